"""Two helsefellesskap in one portal: the secretariat of Troms og Ofoten (Helse Nord) cannot see or
change any of Agder's objects in the back office, and Agder's secretariat none of Troms og
Ofoten's or Helse Nord's: calls, bodies and seats, invitations and roles, pots and transfers.
Every back-office URL of the other's objects answers 404 (outside the scope) or 403 (a part of the
back office the person does not use), on GET and on POST, and a POST saves nothing.

The RHF administrators likewise: Helse Nord's cannot reach Helse Sør-Øst's pots and transfers, nor
the other way. On the demo data, loaded once for the module."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import Invitation, OrganisationRole
from rsportal.applications import calls
from rsportal.applications.models import Call, Criterion, ProcessStep
from rsportal.core.models import AuditEvent
from rsportal.demo import agder
from rsportal.funding.models import Commitment, FrameEntry, Pot, Reserve
from rsportal.registry.models import Body, BodyMember, Membership
from rsportal.security.testing import force_verified_login

TABLES = [Call, Criterion, ProcessStep, Body, BodyMember, Invitation, OrganisationRole, Pot, Commitment, Reserve, FrameEntry, AuditEvent]


def user(username):
    return get_user_model().objects.get(username=username)


def objects_of(code: str, secretariat: str) -> dict:
    """One object of each kind that belongs to the helsefellesskap `code`, a draft call and a
    pending invitation made by its own secretariat included (so publish and withdraw have targets)."""
    pot = Pot.objects.filter(helsefellesskap__code=code).order_by("pk").first()
    call = Call.objects.filter(pot=pot).order_by("pk").first()
    actor = user(secretariat)
    draft = calls.copy_call(actor, call)
    ssu = Body.objects.get(helsefellesskap__code=code, kind=Body.Kind.SSU)
    # A seat without an account where there is one, so that the invitation page has something to invite to.
    seat = BodyMember.objects.filter(body__helsefellesskap__code=code).order_by(F("user").asc(nulls_first=True), "pk").first()
    municipality = Membership.objects.filter(helsefellesskap__code=code).order_by("municipality__number").first().municipality
    invitation, _token = accounts.invite(
        actor, email=f"ny.soker@{code}.example.invalid", name="Ny Søker", base_url="http://testserver/", kind=OrganisationRole.Kind.APPLICANT, municipality=municipality
    )
    role = OrganisationRole.objects.filter(kind=OrganisationRole.Kind.APPLICANT, municipality__memberships__helsefellesskap__code=code).order_by("pk").first()
    transfer = Commitment.objects.filter(recipient_pot=pot).order_by("pk").first()
    assert all((pot, call, seat, role, transfer)), code
    return {"pot": pot, "call": call, "draft": draft, "body": ssu, "seat": seat, "invitation": invitation, "role": role, "transfer": transfer}


def back_office_urls(o: dict) -> list[tuple[str, dict]]:
    """(url, what a POST would send to change the object, or None for a page that only shows) for
    every back-office page of the objects."""
    draft, seat, pot = o["draft"], o["seat"], o["pot"]
    return [
        (reverse("calls:detail", args=[o["call"].pk]), None),
        (reverse("calls:history", args=[o["call"].pk]), None),
        (reverse("calls:preview", args=[draft.pk]), None),
        (reverse("calls:update", args=[draft.pk]), {"title": "Overtatt", "version": calls.version(draft)}),
        (reverse("calls:copy", args=[o["call"].pk]), {"version": calls.version(o["call"])}),
        (reverse("calls:publish", args=[draft.pk]), {"version": calls.version(draft)}),
        (reverse("calls:close", args=[draft.pk]), {"version": calls.version(draft)}),
        (reverse("bodies:detail", args=[o["body"].pk]), None),
        (reverse("bodies:history", args=[o["body"].pk]), None),
        (reverse("bodies:update", args=[o["body"].pk]), {"kind": "ssu", "name": "Overtatt", "decision_rule": "majority", "quorum": "more_than_half"}),
        (reverse("bodies:seat-create", args=[o["body"].pk]), {"name": "Inntrenger", "side": "other", "role": "member", "voting": "on", "start": "2026-01-01"}),
        (reverse("bodies:seat-detail", args=[seat.pk]), None),
        (reverse("bodies:seat-history", args=[seat.pk]), None),
        (reverse("bodies:seat-update", args=[seat.pk]), {"name": "Overtatt", "side": seat.side, "role": seat.role, "start": "2025-01-01"}),
        (reverse("bodies:seat-end", args=[seat.pk]), {"end": "2026-12-31"}),
        (reverse("people:invite") + f"?sete={seat.pk}", {"name": "Inntrenger", "email": "inntrenger@example.invalid"}),
        (reverse("people:invitation-withdraw", args=[o["invitation"].pk]), {"_version": ""}),
        (reverse("people:role-detail", args=[o["role"].pk]), None),
        (reverse("people:role-history", args=[o["role"].pk]), None),
        (reverse("people:role-end", args=[o["role"].pk]), {"end": "2026-12-31"}),
        (reverse("money:pot-detail", args=[pot.pk]), None),
        (reverse("money:pot-history", args=[pot.pk]), None),
        (reverse("money:pot-transfer", args=[pot.parent_id]), {"year": "2027", "mode": "amount", "amount": "1", "target": str(pot.pk), "expected": "0", "confirm": "1"}),
        (reverse("money:pot-allocate", args=[pot.pk]), {"year_1": "2026", "amount_1": "1", "reason": "Inntrenger", "decided_on": "2026-11-01", "expected": str(pot.version)}),
        (reverse("money:commitment-release", args=[o["transfer"].pk]), {"c%d-reason" % o["transfer"].pk: "Inntrenger", "c%d-expected" % o["transfer"].pk: str(pot.version)}),
        (reverse("funding:pot-reserve", args=[pot.pk]), {"reserve-year": "2026", "reserve-kind": "held_back", "reserve-amount": "1", "reserve-expected": str(pot.version)}),
        (reverse("funding:pot-carry-over", args=[pot.pk]), {"carry-from_year": "2026", "carry-amount": "1", "carry-expected": str(pot.version)}),
    ]


def state(o: dict) -> tuple:
    """Row counts of everything the pages could change, and the objects as stored."""
    counts = tuple(model.objects.count() for model in TABLES)
    fresh = {k: type(v).objects.get(pk=v.pk) for k, v in o.items()}
    return counts, fresh["draft"].status, fresh["draft"].title, fresh["body"].name, fresh["seat"].end, fresh["seat"].name, fresh["invitation"].expires_at, fresh["role"].valid_to, fresh["pot"].version


@pytest.fixture
def as_user(demo, db, client):
    def _as(username):
        force_verified_login(client, user(username))
        return client

    return _as


@pytest.mark.parametrize(
    "viewer, owner, owner_secretariat",
    [("sekretariat.tromsofoten", "agder", "sekretariat.agder"), ("sekretariat.agder", "troms-ofoten", "sekretariat.tromsofoten")],
)
def test_a_secretariat_cannot_see_or_change_another_helsefellesskaps_objects(as_user, viewer, owner, owner_secretariat):
    objects = objects_of(owner, owner_secretariat)
    client = as_user(viewer)
    before = state(objects)
    for url, data in back_office_urls(objects):
        response = client.get(url)
        assert response.status_code in (403, 404, 405), (viewer, "GET", url, response.status_code)  # 405: a POST-only action
        if data is not None:
            response = client.post(url, data)
            assert response.status_code in (403, 404), (viewer, "POST", url, response.status_code)
    assert state(objects) == before

    # Nor does any of it show in the viewer's own lists.
    names = [objects["call"].title, objects["draft"].title, objects["seat"].name, objects["invitation"].email]
    for list_url in ("calls:list", "bodies:list", "people:list", "people:invitations"):
        page = client.get(reverse(list_url)).content.decode()
        assert not [name for name in names if name in page], (viewer, list_url)
    page = client.get(reverse("bodies:list")).content.decode()
    assert f'href="{reverse("bodies:detail", args=[objects["body"].pk])}"' not in page


def test_a_secretariat_still_reaches_its_own_objects(as_user):
    """The other side of the test above: the same URLs open for the owner, so the 404s mean scope."""
    objects = objects_of("agder", "sekretariat.agder")
    client = as_user("sekretariat.agder")
    for url, _data in back_office_urls(objects):
        if "/midler/" in url:
            continue  # the money pages are the RHF administrator's (below)
        assert client.get(url).status_code == 200, url
    assert agder.CALL_2026 in client.get(reverse("calls:list")).content.decode()


@pytest.mark.parametrize("viewer, owner", [("rhf.nord", "agder"), ("rhf.sorost", "troms-ofoten")])
def test_an_rhf_administrator_cannot_reach_another_rhfs_pots_and_transfers(as_user, viewer, owner):
    secretariat = {"agder": "sekretariat.agder", "troms-ofoten": "sekretariat.tromsofoten"}[owner]
    objects = objects_of(owner, secretariat)
    client = as_user(viewer)
    before = state(objects)
    money = [(url, data) for url, data in back_office_urls(objects) if "/midler/" in url]
    assert len(money) == 7
    for url, data in money:
        assert client.get(url).status_code in (403, 404, 405), (viewer, url)
        if data is not None:
            assert client.post(url, data).status_code in (403, 404), (viewer, "POST", url)
    assert state(objects) == before
    own = {"rhf.nord": "troms-ofoten", "rhf.sorost": "agder"}[viewer]
    own_pot = Pot.objects.filter(helsefellesskap__code=own).order_by("pk").first()
    assert client.get(reverse("money:pot-detail", args=[own_pot.pk])).status_code == 200
