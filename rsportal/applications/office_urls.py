from django.urls import path

from . import office_views as views

app_name = "calls"
urlpatterns = [
    path("", views.CallList.as_view(), name="list"),
    path("ny/", views.CallEdit.as_view(), name="create"),
    path("<int:pk>/", views.CallDetail.as_view(), name="detail"),
    path("<int:pk>/endre/", views.CallEdit.as_view(), name="update"),
    path("<int:pk>/historikk/", views.CallHistory.as_view(), name="history"),
    path("<int:pk>/forhandsvis/", views.CallPreview.as_view(), name="preview"),
    path("<int:pk>/kopier/", views.CallCopy.as_view(), name="copy"),
    path("<int:pk>/publiser/", views.CallPublish.as_view(), name="publish"),
    path("<int:pk>/avslutt/", views.CallClose.as_view(), name="close"),
]
