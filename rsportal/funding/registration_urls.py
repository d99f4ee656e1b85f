from django.urls import path

from . import registration_views as views

app_name = "grants"
urlpatterns = [
    path("", views.PotList.as_view(), name="index"),
    path("mal.xlsx", views.template_sheet, name="template"),
    path("potter/<int:pk>/", views.GrantList.as_view(), name="pot"),
    path("potter/<int:pk>/registrer/", views.register, name="register"),
    path("potter/<int:pk>/importer/", views.import_sheet, name="import"),
]
