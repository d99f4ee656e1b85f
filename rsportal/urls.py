from django.contrib import admin
from django.urls import include, path

from rsportal.api.api import api
from rsportal.security.views import LoginView
from rsportal.signin.views import LogoutView

admin.site.site_header = "RS-portalen – administrasjon"
admin.site.site_title = "RS-portalen"

urlpatterns = [
    path("", include("rsportal.core.urls")),
    path("logg-inn/", LoginView.as_view(), name="login"),
    path("logg-inn/tofaktor/", include("rsportal.security.urls")),
    path("logg-ut/", LogoutView.as_view(), name="logout"),
    path("oidc/", include("rsportal.signin.urls")),
    path("helsefellesskap/", include("rsportal.registry.urls")),
    path("midler/", include("rsportal.funding.urls")),
    path("administrasjon/klassifisering/", include("rsportal.funding.classification_urls")),
    path("soknader/", include("rsportal.applications.urls")),
    path("vurdering/", include("rsportal.assessment.urls")),
    path("oppfolging/", include("rsportal.followup.urls")),
    path("utbetaling/", include("rsportal.payments.urls")),
    path("administrasjon/utlysninger/", include("rsportal.applications.office_urls")),
    path("personvern/", include("rsportal.privacy.urls")),
    path("administrasjon/", include("rsportal.core.backoffice_urls")),
    path("administrasjon/tilskudd/", include("rsportal.funding.registration_urls")),
    path("administrasjon/organer/", include("rsportal.registry.backoffice_urls")),
    path("administrasjon/organisasjoner/", include("rsportal.registry.organisation_urls")),
    path("administrasjon/personer/", include("rsportal.accounts.backoffice_urls")),
    path("administrasjon/midler/", include("rsportal.funding.office_urls")),
    path("administrasjon/brevmaler/", include("rsportal.assessment.letter_urls")),
    path("administrasjon/arkiv/", include("rsportal.archive.urls")),
    path("invitasjon/", include("rsportal.accounts.urls")),
    path("min-side/", include("rsportal.accounts.mypage_urls")),
    path("varsler/", include("rsportal.core.notice_urls")),
    path("kalender/", include("rsportal.calendar.urls")),
    path("prosjektideer/", include("rsportal.ideas.urls")),
    path("", include("rsportal.catalogue.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# The 500 page is rendered without the database (it may be what failed); the 404 page is Django's
# default view with templates/404.html.
handler500 = "rsportal.core.views.server_error"

