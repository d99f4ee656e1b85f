"""The RHF administrator's money pages (/administrasjon/midler/): scope, booking, transfers to the
helsefellesskap, direct allocations decided by a body, conditional later years, and the refusals
(over-commitment, a pot changed meanwhile, a third transfer in a year) with the typed values kept."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rsportal.accounts.models import OrganisationRole
from rsportal.core.models import AuditEvent
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, DistributionKey, DistributionShare, FrameEntry, Grant, Pot, PotYear

from . import factories as f

M = 1_000_000
YEAR = 2027


@pytest.fixture
def money(world, personas):
    """Helse Nord with 100 MNOK booked for 2027, a pot for each of its two helsefellesskap,
    a key 3:1 between them, and an administrator of another RHF."""
    domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=YEAR, name="RS 2027", amount=100 * M, rhf=world.rhf))
    root = domain.root_pot(world.rhf)
    hf_pot = domain.create_pot(personas.rhf_admin, parent=root, name="Troms og Ofoten", kind=Pot.Kind.DIRECT_TRANSFER, helsefellesskap=world.hf)
    other_pot = domain.create_pot(personas.rhf_admin, parent=root, name="Finnmark", kind=Pot.Kind.DIRECT_TRANSFER, helsefellesskap=world.other_hf)
    key = DistributionKey.objects.create(name="Folketall Nord")
    key.shares.create(helsefellesskap=world.hf, share=Decimal("2"))
    key.shares.create(helsefellesskap=world.other_hf, share=Decimal("1"))
    vest_admin = f.UserFactory(username="vest_admin")
    f.role(vest_admin, OrganisationRole.Kind.RHF_ADMIN, rhf=world.other_rhf)
    root.refresh_from_db()
    return type("Money", (), dict(root=root, hf_pot=hf_pot, other_pot=other_pot, key=key, vest_admin=vest_admin))


def kr(text: str) -> str:
    """An amount as the pages show it: "1 250 000 kr" with non-breaking spaces."""
    return text.replace(" ", "\xa0") + "\xa0kr"


def snapshot():
    return (Appropriation.objects.count(), Pot.objects.count(), Commitment.objects.count(), FrameEntry.objects.count(), AuditEvent.objects.count())


# --- scope -------------------------------------------------------------------------------


def test_outsiders_of_the_rhf_are_refused_and_nothing_is_saved(client, login, world, personas, money):
    pot = money.root.pk
    posts = {
        "/administrasjon/midler/bevilgninger/ny/": {"rhf": world.rhf.pk, "year": YEAR, "name": "X", "amount": "1 000"},
        "/administrasjon/midler/potter/ny/": {"name": "X", "kind": "earmarked", "parent": pot},
        f"/administrasjon/midler/potter/{pot}/overfor/": {"year": YEAR, "mode": "amount", "amount": "1 000", "target": money.hf_pot.pk, "expected": money.root.version, "confirm": "1"},
        f"/administrasjon/midler/potter/{pot}/tildel/": {"year_1": YEAR, "amount_1": "1000", "body": world.stu.pk, "decided_on": "2027-01-05", "reason": "X", "expected": money.root.version},
    }
    before = snapshot()
    # A helsefellesskap's secretariat (even of this RHF) and an outsider manage no RHF money: 403.
    for user in (personas.secretariat, personas.outsider):
        login(user)
        assert client.get("/administrasjon/midler/").status_code == 403
        assert client.get("/administrasjon/midler/potter/").status_code == 403
        for url, data in posts.items():
            assert client.post(url, data).status_code == 403, url
    # Another RHF's administrator uses the pages, but Helse Nord's objects are 404 to them.
    login(money.vest_admin)
    assert client.get("/administrasjon/midler/").status_code == 200
    listing = client.get("/administrasjon/midler/potter/")
    assert listing.status_code == 200 and "Troms og Ofoten" not in listing.content.decode()
    assert client.get(f"/administrasjon/midler/potter/{pot}/").status_code == 404
    for url, data in list(posts.items())[2:]:
        assert client.post(url, data).status_code == 404, url
    # ... and cannot book for Helse Nord (the RHF is not among the choices) nor fund from its pot.
    assert client.post("/administrasjon/midler/bevilgninger/ny/", posts["/administrasjon/midler/bevilgninger/ny/"]).status_code == 400
    assert client.post("/administrasjon/midler/potter/ny/", posts["/administrasjon/midler/potter/ny/"]).status_code == 400
    assert snapshot() == before


def test_the_landing_page_shows_money_to_the_rhf_administrator_only(client, login, personas, money):
    login(personas.rhf_admin)
    assert "/administrasjon/midler/" in client.get("/administrasjon/").content.decode()
    login(personas.secretariat)
    assert "/administrasjon/midler/" not in client.get("/administrasjon/").content.decode()


# --- appropriations ------------------------------------------------------------------------


def test_booking_an_expected_later_year_and_passing_it(client, login, world, personas, money):
    login(personas.rhf_admin)
    response = client.post(
        "/administrasjon/midler/bevilgninger/ny/",
        {"rhf": world.rhf.pk, "year": 2028, "name": "RS 2028", "amount": "1 250 000", "expected": "on", "reference": "Varig tilskudd"},
    )
    assert response.status_code == 302
    appropriation = Appropriation.objects.get(name="RS 2028")
    assert (appropriation.amount, appropriation.expected, appropriation.rhf) == (1_250_000, True, world.rhf)
    frame = PotYear.objects.get(pot=money.root, year=2028)
    assert frame.frame == 1_250_000
    assert frame.entries.get().appropriation_share.appropriation == appropriation  # the frame is marked expected through it
    detail = client.get(response["Location"]).content.decode()
    assert kr("1 250 000") in detail and "Forventet" in detail
    frames = client.get(f"/administrasjon/midler/potter/{money.root.pk}/").context["frames"]
    assert [(s.year, s.frame, expected) for s, expected in frames] == [(YEAR, 100 * M, 0), (2028, 1_250_000, 1_250_000)]
    assert AuditEvent.objects.filter(action="appropriation.booked", object_id=str(appropriation.pk), actor=personas.rhf_admin).exists()

    page = client.get(f"/administrasjon/midler/bevilgninger/{appropriation.pk}/vedtatt/")
    version = page.context["form"].initial["_version"]
    assert client.post(page.request["PATH_INFO"], {"reference": "Statsbudsjettet 2028", "_version": version}).status_code == 302
    appropriation.refresh_from_db()
    assert not appropriation.expected and appropriation.reference == "Statsbudsjettet 2028"
    frames = client.get(f"/administrasjon/midler/potter/{money.root.pk}/").context["frames"]
    assert [expected for _s, expected in frames] == [0, 0]
    assert AuditEvent.objects.filter(action="appropriation.passed", object_id=str(appropriation.pk)).exists()
    # Passed once: the page is gone.
    assert client.get(page.request["PATH_INFO"]).status_code == 404


def test_a_zero_amount_is_refused_with_the_form_kept(client, login, world, personas, money):
    login(personas.rhf_admin)
    before = snapshot()
    response = client.post("/administrasjon/midler/bevilgninger/ny/", {"rhf": world.rhf.pk, "year": 2028, "name": "Feil", "amount": "0"})
    assert response.status_code == 400 and 'value="Feil"' in response.content.decode()
    assert snapshot() == before


# --- pots ------------------------------------------------------------------------------------


def test_creating_an_earmarked_pot(client, login, world, personas, money):
    login(personas.rhf_admin)
    response = client.post(
        "/administrasjon/midler/potter/ny/", {"name": "Rus og psykiatri", "kind": "earmarked", "parent": money.root.pk, "description": "Øremerket"}
    )
    pot = Pot.objects.get(name="Rus og psykiatri")
    assert response.status_code == 302 and response["Location"] == f"/administrasjon/midler/potter/{pot.pk}/"
    assert (pot.kind, pot.parent, pot.rhf, pot.helsefellesskap) == (Pot.Kind.EARMARKED, money.root, world.rhf, None)
    assert AuditEvent.objects.filter(action="pot.created", object_id=str(pot.pk), actor=personas.rhf_admin).exists()


def test_a_pot_for_another_rhfs_helsefellesskap_is_not_offered(client, login, world, personas, money):
    login(personas.rhf_admin)
    response = client.post("/administrasjon/midler/potter/ny/", {"name": "Bergen", "kind": "application", "parent": money.root.pk, "helsefellesskap": world.far_hf.pk})
    assert response.status_code == 400 and not Pot.objects.filter(name="Bergen").exists()


# --- transfers -------------------------------------------------------------------------------


def transfer_url(money):
    return f"/administrasjon/midler/potter/{money.root.pk}/overfor/"


def test_transfer_by_key_is_previewed_then_split_exactly(client, login, world, personas, money):
    login(personas.rhf_admin)
    data = {"year": YEAR, "mode": "key", "key": money.key.pk, "amount": "10 000 000", "expected": money.root.version}
    preview = client.post(transfer_url(money), data)
    page = preview.content.decode()
    assert preview.status_code == 200 and kr("6 666 667") in page and kr("3 333 333") in page and kr("10 000 000") in page
    assert not Commitment.objects.filter(kind=Commitment.Kind.TRANSFER).exists()  # a preview saves nothing

    assert client.post(transfer_url(money), {**data, "confirm": "1"}).status_code == 302
    assert PotYear.objects.get(pot=money.hf_pot, year=YEAR).frame == 6_666_667  # the largest remainder gets the krone
    assert PotYear.objects.get(pot=money.other_pot, year=YEAR).frame == 3_333_333
    assert PotYear.objects.get(pot=money.root, year=YEAR).available() == 90 * M
    assert AuditEvent.objects.filter(action="pot.transfer", actor=personas.rhf_admin).count() == 2


def test_transfer_by_amount_and_a_third_in_the_year_is_refused(client, login, world, personas, money):
    login(personas.rhf_admin)
    for n in (1, 2):
        money.root.refresh_from_db()
        data = {"year": YEAR, "mode": "amount", "target": money.hf_pot.pk, "amount": "1 000 000", "expected": money.root.version, "confirm": "1"}
        assert client.post(transfer_url(money), data).status_code == 302
    assert PotYear.objects.get(pot=money.hf_pot, year=YEAR).frame == 2 * M
    money.root.refresh_from_db()
    data = {"year": YEAR, "mode": "amount", "target": money.hf_pot.pk, "amount": "500 000", "expected": money.root.version, "confirm": "1"}
    third = client.post(transfer_url(money), data)
    page = third.content.decode()
    assert third.status_code == 400 and "høyst to ganger i året" in page and 'value="500 000"' in page
    assert PotYear.objects.get(pot=money.hf_pot, year=YEAR).frame == 2 * M
    # The other helsefellesskap has had none: a round by key is refused as a whole, nothing moves.
    money.root.refresh_from_db()
    by_key = {"year": YEAR, "mode": "key", "key": money.key.pk, "amount": "300", "expected": money.root.version, "confirm": "1"}
    assert client.post(transfer_url(money), by_key).status_code == 400
    assert not PotYear.objects.filter(pot=money.other_pot, year=YEAR).exists()
    # Another year is a fresh count.
    domain.book_rhf_appropriation(personas.rhf_admin, rhf=world.rhf, year=YEAR + 1, name="RS 2028", amount=M)
    money.root.refresh_from_db()
    assert client.post(transfer_url(money), {**data, "year": YEAR + 1, "expected": money.root.version}).status_code == 302
    assert PotYear.objects.get(pot=money.hf_pot, year=YEAR + 1).frame == 500_000


def test_over_commitment_is_refused_with_the_form_kept(client, login, world, personas, money):
    login(personas.rhf_admin)
    data = {"year": YEAR, "mode": "amount", "target": money.hf_pot.pk, "amount": "100 000 001", "expected": money.root.version, "confirm": "1"}
    response = client.post(transfer_url(money), data)
    page = response.content.decode()
    assert response.status_code == 400 and kr("100 000 000") + " ledig" in page and 'value="100 000 001"' in page
    assert not Commitment.objects.filter(kind=Commitment.Kind.TRANSFER).exists()


def test_a_stale_pot_version_is_refused(client, login, world, personas, money):
    login(personas.rhf_admin)
    seen = money.root.version
    domain.transfer(personas.sysadmin, source=money.root, target=money.other_pot, year=YEAR, amount=M)  # someone else, meanwhile
    data = {"year": YEAR, "mode": "amount", "target": money.hf_pot.pk, "amount": "1 000", "expected": seen, "confirm": "1"}
    response = client.post(transfer_url(money), data)
    assert response.status_code == 409 and "endret av noen andre" in response.content.decode()
    assert not PotYear.objects.filter(pot=money.hf_pot, year=YEAR).exists()
    money.root.refresh_from_db()
    assert response.context["form"].data["expected"] == money.root.version  # saving again is deliberate
    assert client.post(transfer_url(money), {**data, "expected": money.root.version}).status_code == 302


# --- direct allocations ------------------------------------------------------------------------


def test_direct_allocation_is_recorded_with_its_deciding_body(client, login, world, personas, money):
    login(personas.rhf_admin)
    url = f"/administrasjon/midler/potter/{money.root.pk}/tildel/"
    data = {
        "year_1": YEAR, "amount_1": "2 000 000", "year_2": YEAR, "amount_2": "", "body": world.stu.pk,
        "decided_on": "2027-01-05", "reason": "Felles kompetansesenter", "expected": money.root.version,
    }
    bad = client.post(url, data)
    assert bad.status_code == 400 and "både år og beløp" in bad.content.decode()
    del data["year_2"]
    assert client.post(url, {**data, "year_2": YEAR + 1, "amount_2": "1"}).status_code == 400  # 2028 has no frame: all years or none
    assert not Commitment.objects.filter(kind=Commitment.Kind.ALLOCATION).exists()

    assert client.post(url, data).status_code == 302
    commitment = Commitment.objects.get(kind=Commitment.Kind.ALLOCATION)
    assert (commitment.amount, commitment.pot_year.year) == (2 * M, YEAR)
    assert commitment.description == "Vedtatt av Tildelingsutvalget 5. januar 2027: Felles kompetansesenter"
    event = AuditEvent.objects.get(action="pot.allocation.decided")
    assert event.actor == personas.rhf_admin and event.data["body"] == world.stu.pk and event.data["decided_on"] == "2027-01-05"
    assert event.data["commitments"] == [commitment.pk]


def test_a_body_of_another_rhf_cannot_decide(client, login, world, personas, money):
    login(personas.rhf_admin)
    url = f"/administrasjon/midler/potter/{money.root.pk}/tildel/"
    data = {"year_1": YEAR, "amount_1": "1000", "body": world.far_secretariat_body.pk, "decided_on": "2027-01-05", "reason": "X", "expected": money.root.version}
    assert client.post(url, data).status_code == 400
    assert not Commitment.objects.filter(kind=Commitment.Kind.ALLOCATION).exists()


# --- conditional later years -----------------------------------------------------------------


@pytest.fixture
def conditional(world, personas, money):
    domain.book_rhf_appropriation(personas.rhf_admin, rhf=world.rhf, year=YEAR + 1, name="RS 2028", amount=50 * M, expected=True)
    grants = []
    for title in ("Legevakt", "Hjemmesykehus"):
        grant = Grant.objects.create(pot=money.root, title=title)
        domain.commit_grant(personas.rhf_admin, grant=grant, amounts={YEAR: M, YEAR + 1: M}, conditional_from=YEAR + 1)
        grants.append(grant)
    money.root.refresh_from_db()
    return [g.commitments.get(pot_year__year=YEAR + 1) for g in grants]


def test_confirm_and_release_conditional_commitments(client, login, world, personas, money, conditional):
    first, second = conditional
    login(personas.rhf_admin)
    page = client.get(f"/administrasjon/midler/betingede-tilsagn/?ar={YEAR + 1}")
    assert page.status_code == 200 and "Legevakt" in page.content.decode() and "Hjemmesykehus" in page.content.decode()
    version = money.root.version
    assert client.post(f"/administrasjon/midler/betingede-tilsagn/{first.pk}/bekreft/", {f"c{first.pk}-expected": version}).status_code == 302
    first.refresh_from_db()
    assert first.status == Commitment.Status.FIRM
    assert AuditEvent.objects.filter(action="commitment.confirmed", object_id=str(first.pk), actor=personas.rhf_admin).exists()
    # Confirmed: no longer on the list, and cannot be confirmed again.
    assert client.post(f"/administrasjon/midler/betingede-tilsagn/{first.pk}/bekreft/", {f"c{first.pk}-expected": version + 1}).status_code == 404

    money.root.refresh_from_db()
    url = f"/administrasjon/midler/betingede-tilsagn/{second.pk}/frigjor/"
    missing = client.post(url, {f"c{second.pk}-expected": money.root.version, f"c{second.pk}-reason": ""})
    assert missing.status_code == 400
    stale = client.post(url, {f"c{second.pk}-expected": money.root.version - 1, f"c{second.pk}-reason": "Ikke bevilget"})
    assert stale.status_code == 409 and 'value="Ikke bevilget"' in stale.content.decode()
    second.refresh_from_db()
    assert second.status == Commitment.Status.CONDITIONAL
    assert client.post(url, {f"c{second.pk}-expected": money.root.version, f"c{second.pk}-reason": "Ikke bevilget"}).status_code == 302
    second.refresh_from_db()
    assert (second.status, second.release_reason) == (Commitment.Status.RELEASED, "Ikke bevilget")
    assert PotYear.objects.get(pot=money.root, year=YEAR + 1).available() == 49 * M


def test_another_rhfs_administrator_cannot_confirm(client, login, world, personas, money, conditional):
    first = conditional[0]
    login(money.vest_admin)
    assert client.post(f"/administrasjon/midler/betingede-tilsagn/{first.pk}/bekreft/", {f"c{first.pk}-expected": money.root.version}).status_code == 404
    assert "Legevakt" not in client.get(f"/administrasjon/midler/betingede-tilsagn/?ar={YEAR + 1}").content.decode()
    first.refresh_from_db()
    assert first.status == Commitment.Status.CONDITIONAL


# --- query counts ------------------------------------------------------------------------------


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_cost_the_same_with_more_rows(client, login, world, personas, money, conditional):
    login(personas.rhf_admin)
    urls = ["/administrasjon/midler/", "/administrasjon/midler/potter/", f"/administrasjon/midler/betingede-tilsagn/?ar={YEAR + 1}"]
    for url in urls:
        client.get(url)
    before = [count(client, url) for url in urls]
    for i in range(10):
        domain.book_rhf_appropriation(personas.rhf_admin, rhf=world.rhf, year=YEAR + 1, name=f"Ekstra {i}", amount=M, expected=True)
        pot = domain.create_pot(personas.rhf_admin, parent=money.root, name=f"Pott {i}", kind=Pot.Kind.EARMARKED, helsefellesskap=world.other_hf)
        grant = Grant.objects.create(pot=money.root, title=f"Prosjekt {i}")
        domain.commit_grant(personas.rhf_admin, grant=grant, amounts={YEAR + 1: 1000}, conditional_from=YEAR + 1)
        assert pot
    assert [count(client, url) for url in urls] == before


def test_an_allocation_above_the_frame_keeps_what_was_typed(client, login, world, personas, money):
    login(personas.rhf_admin)
    url = f"/administrasjon/midler/potter/{money.hf_pot.pk}/tildel/"  # a helsefellesskap pot with no frame yet
    data = {"year_1": YEAR, "amount_1": "1 500 000", "body": world.stu.pk, "decided_on": "2027-03-01", "reason": "Felles legevakt", "expected": money.hf_pot.version}
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400 and "har bare 0" in page and 'value="1 500 000"' in page and "Felles legevakt</textarea>" in page
    assert not Commitment.objects.filter(kind=Commitment.Kind.ALLOCATION).exists()
    assert not AuditEvent.objects.filter(action__startswith="pot.allocation").exists()


# --- distribution keys ---------------------------------------------------------------------


def test_a_distribution_key_over_the_rhfs_helsefellesskap(client, login, world, personas, money):
    login(personas.rhf_admin)
    url = f"/administrasjon/midler/nokler/ny/{world.rhf.pk}/"
    page = client.get(url).content.decode()
    assert "Andel for Troms og Ofoten" in page and "Andel for Finnmark" in page and "Bergensområdet" not in page
    response = client.post(url, {"name": "Innbyggere 2026", f"hf_{world.hf.pk}": "2,5", f"hf_{world.other_hf.pk}": "1"})
    key = DistributionKey.objects.get(name="Innbyggere 2026")
    assert response.status_code == 302 and response["Location"] == f"/administrasjon/midler/nokler/{key.pk}/"
    assert {(s.helsefellesskap, s.share) for s in key.shares.all()} == {(world.hf, Decimal("2.5")), (world.other_hf, Decimal("1"))}
    assert AuditEvent.objects.filter(action="distribution_key.created", object_id=str(key.pk), actor=personas.rhf_admin).exists()
    # No shares at all: refused, the name kept.
    empty = client.post(url, {"name": "Tom nøkkel"})
    assert empty.status_code == 400 and 'value="Tom nøkkel"' in empty.content.decode()
    # The key is offered on the transfer form, and splits 10 000 000 as 2,5 : 1.
    preview = client.post(transfer_url(money), {"year": YEAR, "mode": "key", "key": key.pk, "amount": "10 000 000", "expected": money.root.version})
    assert kr("7 142 857") in preview.content.decode() and kr("2 857 143") in preview.content.decode()


def test_another_rhfs_administrator_cannot_make_or_see_helse_nords_keys(client, login, world, personas, money):
    login(money.vest_admin)
    before = DistributionShare.objects.count()
    assert client.get(f"/administrasjon/midler/nokler/ny/{world.rhf.pk}/").status_code == 404
    assert client.post(f"/administrasjon/midler/nokler/ny/{world.rhf.pk}/", {"name": "X", f"hf_{world.hf.pk}": "1"}).status_code == 404
    assert client.get(f"/administrasjon/midler/nokler/{money.key.pk}/").status_code == 404
    assert "Folketall Nord" not in client.get("/administrasjon/midler/nokler/").content.decode()
    # Their own RHF's form offers only their own helsefellesskap.
    own = client.post(f"/administrasjon/midler/nokler/ny/{world.other_rhf.pk}/", {"name": "X", f"hf_{world.hf.pk}": "1"})
    assert own.status_code == 400
    assert DistributionShare.objects.count() == before and not DistributionKey.objects.filter(name="X").exists()
