from django.urls import path

from . import backoffice as views

app_name = "archive"
urlpatterns = [
    path("", views.ArchiveList.as_view(), name="list"),
    path("<int:pk>/", views.ArchiveDetail.as_view(), name="detail"),
    path("<int:pk>/historikk/", views.ArchiveHistory.as_view(), name="history"),
    path("<int:pk>/postmottak/", views.PostmottakUpdate.as_view(), name="postmottak"),
    path("<int:pk>/journal/", views.Journal.as_view(), name="journal"),
    path("<int:pk>/uttrekk/", views.Export.as_view(), name="export"),
    path("journalpost/<int:pk>/", views.EntryDetail.as_view(), name="entry"),
    path("dokument/<int:pk>/", views.DocumentDownload.as_view(), name="document"),
]
