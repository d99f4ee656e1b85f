from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("oversikt/", views.figures, name="figures"),
    path("eksport.<str:fmt>", views.export, name="export"),
    path("marker-utbetalt/", views.mark_paid, name="mark-paid"),
    path("tilskudd/<int:pk>/", views.grant_payments, name="grant"),
    path("tilskudd/<int:pk>/ny/", views.request_new, name="request-new"),
    path("tilskudd/<int:pk>/overforing/", views.transfer_add, name="transfer-add"),
    path("tilskudd/<int:pk>/faktura/", views.invoice_add, name="invoice-add"),
    path("anmodning/<int:pk>/", views.request_detail, name="request"),
    path("anmodning/<int:pk>/godkjenn/", views.request_approve, name="approve"),
    path("anmodning/<int:pk>/send-tilbake/", views.request_return, name="return"),
    path("bilag/<int:pk>/", views.documentation_download, name="documentation"),
    path("pott/<int:pk>/plan/", views.plan, name="plan"),
]
