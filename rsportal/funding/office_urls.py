from django.urls import path

from . import office_views as views

app_name = "money"
urlpatterns = [
    path("", views.AppropriationList.as_view(), name="appropriations"),
    path("bevilgninger/ny/", views.AppropriationCreate.as_view(), name="appropriation-create"),
    path("bevilgninger/<int:pk>/", views.AppropriationDetail.as_view(), name="appropriation-detail"),
    path("bevilgninger/<int:pk>/vedtatt/", views.AppropriationPass.as_view(), name="appropriation-pass"),
    path("bevilgninger/<int:pk>/historikk/", views.AppropriationHistory.as_view(), name="appropriation-history"),
    path("potter/", views.PotList.as_view(), name="pots"),
    path("potter/ny/", views.PotCreate.as_view(), name="pot-create"),
    path("potter/<int:pk>/", views.PotDetail.as_view(), name="pot-detail"),
    path("potter/<int:pk>/historikk/", views.PotHistory.as_view(), name="pot-history"),
    path("potter/<int:pk>/overfor/", views.PotTransfer.as_view(), name="pot-transfer"),
    path("potter/<int:pk>/tildel/", views.PotAllocate.as_view(), name="pot-allocate"),
    path("nokler/", views.KeyList.as_view(), name="keys"),
    path("nokler/ny/<int:rhf>/", views.KeyCreate.as_view(), name="key-create"),
    path("nokler/<int:pk>/", views.KeyDetail.as_view(), name="key-detail"),
    path("nokler/<int:pk>/historikk/", views.KeyHistory.as_view(), name="key-history"),
    path("betingede-tilsagn/", views.Conditional.as_view(), name="conditional"),
    path("betingede-tilsagn/<int:pk>/bekreft/", views.CommitmentConfirm.as_view(), name="commitment-confirm"),
    path("betingede-tilsagn/<int:pk>/frigjor/", views.CommitmentRelease.as_view(), name="commitment-release"),
]
