from django.urls import path

from . import letter_views as views

app_name = "letters"
urlpatterns = [
    path("", views.TemplateList.as_view(), name="list"),
    path("ny/", views.TemplateCreate.as_view(), name="create"),
    path("<int:pk>/", views.TemplateDetail.as_view(), name="detail"),
    path("<int:pk>/endre/", views.TemplateUpdate.as_view(), name="update"),
    path("<int:pk>/historikk/", views.TemplateHistory.as_view(), name="history"),
    path("<int:pk>/forhandsvisning.pdf", views.TemplatePreview.as_view(), name="preview"),
]
