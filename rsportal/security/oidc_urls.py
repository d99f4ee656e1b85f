from django.urls import path
from mozilla_django_oidc.views import OIDCLogoutView

from . import oidc

# The names are mozilla-django-oidc's own, which its views reverse.
urlpatterns = [
    path("callback/", oidc.AuthenticationCallbackView.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", oidc.AuthenticationRequestView.as_view(), name="oidc_authentication_init"),
    path("logout/", OIDCLogoutView.as_view(), name="oidc_logout"),
]
