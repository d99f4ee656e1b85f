from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("kontakt/", views.contact_page, name="contact"),
    path("tilgjengelighet/", views.accessibility, name="accessibility"),
    # Not under /personvern/: that prefix holds the privacy tools (export, anonymisation, view log).
    path("personvernerklaering/", views.privacy_statement, name="privacy-statement"),
]
