from django.urls import path

from . import views

app_name = "ideas"
urlpatterns = [
    path("", views.idea_list, name="list"),
    path("ny/", views.idea_new, name="new"),
    path("<int:pk>/", views.idea_detail, name="detail"),
    path("<int:pk>/endre/", views.idea_edit, name="edit"),
    path("<int:pk>/partnere/", views.partner_add, name="partner-add"),
    path("<int:pk>/partnere/<int:link>/koble/", views.partner_connect, name="partner-connect"),
    path("<int:pk>/gjor-om-til-soknad/", views.idea_convert, name="convert"),
]
