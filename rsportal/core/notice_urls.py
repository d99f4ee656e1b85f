from django.urls import path

from . import notice_views

app_name = "notices"
urlpatterns = [
    path("", notice_views.notice_list, name="list"),
    path("lest/", notice_views.mark_read, name="mark-read"),
    path("innstillinger/", notice_views.preferences, name="settings"),
]
