from django.urls import path

from . import classification_views as views

# Mounted at /administrasjon/klassifisering/.
app_name = "classification"
urlpatterns = [
    path("", views.grant_list, name="list"),
    path("<int:pk>/", views.grant_form, name="grant"),
]
