from django.urls import path, re_path

from . import views

# Mounted at the site root, so every pattern carries its own prefix.
app_name = "catalogue"
urlpatterns = [
    path("prosjekter/", views.project_list, name="project-list"),
    path("prosjekter/<int:pk>/", views.project_detail, name="project-detail"),
    path("statistikk/", views.statistics, name="statistics"),
    path("statistikk/likeverd/", views.application_equality, name="application-equality"),
    path("statistikk/alle.xlsx", views.statistics_workbook, name="statistics-workbook"),
    re_path(r"^statistikk/(?P<key>[a-z]+)\.(?P<fmt>csv|xlsx)$", views.statistics_export, name="statistics-export"),
]
