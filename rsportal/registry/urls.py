from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.helsefellesskap_list, name="helsefellesskap-list"),
    path("<slug:code>/", views.helsefellesskap_detail, name="helsefellesskap-detail"),
]
