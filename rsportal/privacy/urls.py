from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("innsyn/", views.export, name="export"),
    path("anonymisering/", views.anonymise, name="anonymise"),
    path("visningslogg/", views.view_log, name="view-log"),
]
