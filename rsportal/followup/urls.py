from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("tilskudd/<int:pk>/", views.grant_detail, name="grant"),
    path("tilskudd/<int:pk>/rapport/", views.report_new, name="report-new"),
    path("tilskudd/<int:pk>/etter-prosjektet/", views.after_project, name="after-project"),
    path("tilskudd/<int:pk>/utbetaling/", views.payment_add, name="payment-add"),
    path("tilskudd/<int:pk>/frigjor/", views.commitment_release, name="release"),
    path("rapport/<int:pk>/", views.report_detail, name="report"),
    path("regnskap/<int:pk>/", views.accounts_download, name="accounts"),
    path("pott/<int:pk>/", views.pot_followup, name="pot"),
    path("rhf/<str:code>/arsmelding-<int:year>.<str:fmt>", views.annual_report, name="annual"),
    path("rhf/<str:code>/prosjektliste.xlsx", views.project_list, name="project-list"),
    path("dokument/<int:pk>/", views.document, name="document"),
    path("dokument/<int:pk>/<str:filename>", views.document_download, name="document-download"),
]
