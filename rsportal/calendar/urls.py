from django.urls import path

from . import views

app_name = "calendar"
urlpatterns = [
    path("", views.my_calendar, name="mine"),
    path("ny-adresse/", views.renew, name="renew"),
    path("arshjul/", views.wheel_index, name="wheel-index"),
    path("arshjul/helsefellesskap/<slug:code>/", views.community_wheel, name="community"),
    path("arshjul/rhf/<str:code>/", views.rhf_wheel, name="rhf"),
    path("<str:token>.ics", views.feed, name="feed"),
]
