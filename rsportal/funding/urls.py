from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("potter/<int:pk>/", views.pot_detail, name="pot-detail"),
    path("potter/<int:pk>/avsetning/", views.pot_reserve, name="pot-reserve"),
    path("potter/<int:pk>/overfor-til-neste-ar/", views.pot_carry_over, name="pot-carry-over"),
]
