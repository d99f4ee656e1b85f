from django.urls import path

from . import organisations as views

app_name = "organisations"
urlpatterns = [
    path("", views.DistrictList.as_view(), name="districts"),
    path("bydeler/ny/", views.DistrictCreate.as_view(), name="district-create"),
    path("bydeler/<int:pk>/", views.DistrictDetail.as_view(), name="district"),
    path("bydeler/<int:pk>/endre/", views.DistrictUpdate.as_view(), name="district-update"),
    path("bydeler/<int:pk>/historikk/", views.DistrictHistory.as_view(), name="district-history"),
    path("kommuner/", views.MunicipalityList.as_view(), name="municipalities"),
    path("kommuner/<int:pk>/", views.MunicipalityDetail.as_view(), name="municipality"),
    path("kommuner/<int:pk>/endre/", views.MunicipalityUpdate.as_view(), name="municipality-update"),
    path("kommuner/<int:pk>/historikk/", views.MunicipalityHistory.as_view(), name="municipality-history"),
    path("helseforetak/", views.TrustList.as_view(), name="trusts"),
    path("helseforetak/<int:pk>/", views.TrustDetail.as_view(), name="trust"),
    path("helseforetak/<int:pk>/endre/", views.TrustUpdate.as_view(), name="trust-update"),
    path("helseforetak/<int:pk>/historikk/", views.TrustHistory.as_view(), name="trust-history"),
]
