from django.urls import path

from . import views

app_name = "signin"
urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("<slug:slug>/", views.start, name="start"),
]
