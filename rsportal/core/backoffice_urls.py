from django.urls import path

from . import backoffice

app_name = "backoffice"
urlpatterns = [
    path("", backoffice.Index.as_view(), name="index"),
]
