from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("", views.manage, name="manage"),
    path("fjern/", views.remove, name="remove"),
    path("oppsett/", views.setup, name="setup"),
    path("kode/", views.verify, name="verify"),
]
