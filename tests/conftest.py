import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from rsportal.accounts.models import OrganisationRole
from rsportal.registry.models import Body, BodyMember

from . import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """A small region: one RHF, two helsefellesskap, four municipalities, the bodies that matter."""
    rhf = f.RHFFactory(code="HN", name="Helse Nord RHF")
    other_rhf = f.RHFFactory(code="HV", name="Helse Vest RHF")
    trust = f.TrustFactory(code="UNN", name="Universitetssykehuset Nord-Norge HF", rhf=rhf)
    hf = f.HelsefellesskapFactory(code="troms-ofoten", name="Troms og Ofoten", trust=trust)
    other_hf = f.HelsefellesskapFactory(code="finnmark", name="Finnmark", trust=f.TrustFactory(code="FIN", rhf=rhf))
    far_hf = f.HelsefellesskapFactory(code="bergen", name="Bergensområdet", trust=f.TrustFactory(code="HB", rhf=other_rhf))
    county = f.CountyFactory(number="55", name="Troms")
    tromso = f.MunicipalityFactory(number="5501", name="Tromsø", county=county, population=78745)
    harstad = f.MunicipalityFactory(number="5503", name="Harstad", county=county, population=24915)
    alta = f.MunicipalityFactory(number="5601", name="Alta", county=f.CountyFactory(number="56", name="Finnmark"), population=21676)
    bergen = f.MunicipalityFactory(number="4601", name="Bergen", county=f.CountyFactory(number="46", name="Vestland"), population=291940)
    for community, municipality in ((hf, tromso), (hf, harstad), (other_hf, alta), (far_hf, bergen)):
        f.MembershipFactory(helsefellesskap=community, municipality=municipality)
    return SimpleNamespace(
        rhf=rhf,
        other_rhf=other_rhf,
        trust=trust,
        hf=hf,
        other_hf=other_hf,
        far_hf=far_hf,
        tromso=tromso,
        harstad=harstad,
        alta=alta,
        bergen=bergen,
        stu=Body.objects.create(kind=Body.Kind.ALLOCATION, name="Tildelingsutvalget", rhf=rhf),
        secretariat_body=Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat", helsefellesskap=hf),
        rhf_secretariat_body=Body.objects.create(kind=Body.Kind.SECRETARIAT, name="RHF-sekretariat", rhf=rhf),
        far_secretariat_body=Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat Bergen", helsefellesskap=far_hf),
    )


@pytest.fixture
def personas(world):
    """The named people every view is tested against."""
    people = SimpleNamespace(
        applicant=f.UserFactory(username="applicant"),
        other_applicant=f.UserFactory(username="other_applicant"),
        secretariat=f.UserFactory(username="secretariat"),
        other_secretariat=f.UserFactory(username="other_secretariat"),
        member=f.UserFactory(username="member"),
        chair=f.UserFactory(username="chair"),
        observer=f.UserFactory(username="observer"),
        rhf_admin=f.UserFactory(username="rhf_admin"),
        sysadmin=f.UserFactory(username="sysadmin", is_superuser=True, is_staff=True),
        outsider=f.UserFactory(username="outsider"),
    )
    f.role(people.applicant, OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    f.role(people.other_applicant, OrganisationRole.Kind.APPLICANT, municipality=world.bergen)
    f.role(people.rhf_admin, OrganisationRole.Kind.RHF_ADMIN, rhf=world.rhf)
    f.seat(world.secretariat_body, people.secretariat)
    f.seat(world.far_secretariat_body, people.other_secretariat)
    f.seat(world.stu, people.member, municipality=world.tromso)
    f.seat(world.stu, people.chair, role=BodyMember.Role.LEADER, side=BodyMember.Side.RHF)
    f.seat(world.stu, people.observer, role=BodyMember.Role.OBSERVER, side=BodyMember.Side.USER_REP)
    return people


@pytest.fixture
def login(client):
    """Sign in as a user who has also given their two-factor code."""
    from rsportal.security.testing import force_verified_login

    def _login(user):
        return force_verified_login(client, user)

    return _login


@pytest.fixture
def today():
    return datetime.date.today()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres_only"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL row locks; CI runs this suite on PostgreSQL too")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for a test module inside a transaction rolled back after it;
    each test runs in its own savepoint. Loading it per test would cost most of the suite's time."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("uploads")):
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            yield
            transaction.set_rollback(True)
