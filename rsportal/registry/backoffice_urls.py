from django.urls import path

from . import backoffice as views

app_name = "bodies"
urlpatterns = [
    path("", views.BodyList.as_view(), name="list"),
    path("nytt/", views.BodyCreate.as_view(), name="create"),
    path("<int:pk>/", views.BodyDetail.as_view(), name="detail"),
    path("<int:pk>/endre/", views.BodyUpdate.as_view(), name="update"),
    path("<int:pk>/historikk/", views.BodyHistory.as_view(), name="history"),
    path("<int:body>/seter/nytt/", views.SeatCreate.as_view(), name="seat-create"),
    path("seter/<int:pk>/", views.SeatDetail.as_view(), name="seat-detail"),
    path("seter/<int:pk>/endre/", views.SeatUpdate.as_view(), name="seat-update"),
    path("seter/<int:pk>/avslutt/", views.SeatEnd.as_view(), name="seat-end"),
    path("seter/<int:pk>/historikk/", views.SeatHistory.as_view(), name="seat-history"),
]
