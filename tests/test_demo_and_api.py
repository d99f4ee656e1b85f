"""The demo data set and the figures the running system must reproduce from it."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext, override_settings

from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear

M = 1_000_000


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the tests of a class inside a transaction rolled back after
    them; each test runs in its own savepoint. Loading it per test cost most of this file's time."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("uploads")):
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            yield
            transaction.set_rollback(True)


def per_inhabitant(client, year):
    response = client.get(f"/api/v1/allocation-per-inhabitant?year={year}")
    assert response.status_code == 200
    return {row["rhf"]["code"]: row for row in response.json()}


@pytest.mark.usefixtures("demo")
class TestDemoData:
    def test_2024_per_inhabitant_comes_out_as_in_the_board_case(self, db, client):
        rows = per_inhabitant(client, 2024)
        assert {code: row["per_inhabitant_rounded"] for code, row in rows.items()} == {"HSO": 29, "HV": 29, "HMN": 32, "HN": 267}
        assert rows["HSO"]["amount"] == 92_850_000 and rows["HV"]["amount"] == 32_850_000 and rows["HMN"]["amount"] == 24_300_000
        assert rows["HN"]["amount"] == 130 * M
        assert rows["HN"]["population_date"] == "2024-01-01"

    def test_helse_nord_40_and_90_separately(self, db):
        from rsportal.funding.queries import allocation_per_inhabitant

        def nord(name):
            ids = list(Appropriation.objects.filter(name__startswith=name).values_list("pk", flat=True))
            return [r for r in allocation_per_inhabitant(2024, ids) if r.rhf.code == "HN"][0].per_inhabitant_rounded

        assert nord("Saldert") == 82
        assert nord("Revidert") == 185

    def test_expected_years_are_not_counted_as_granted(self, db, client):
        assert per_inhabitant(client, 2027) == {}

    def test_table_18_grants_with_yearly_commitments(self, db):
        table18 = Grant.objects.filter(reference__startswith="Fafo")
        assert table18.count() == 27
        first_round_2025 = Commitment.objects.filter(grant__in=table18, grant__round_label="1/25", pot_year__year=2025)
        assert first_round_2025.aggregate(s=Sum("amount"))["s"] == 41_124_000
        nurse = Grant.objects.get(title__startswith="Helgelandssykepleieren")
        assert list(nurse.commitments.order_by("pot_year__year").values_list("pot_year__year", "amount", "status")) == [
            (2025, 2_000_000, "firm"),
            (2026, 2_000_000, "firm"),
            (2027, 2_000_000, "firm"),
            (2028, 2_000_000, "firm"),
            (2029, 2_000_000, "firm"),
        ]
        assert set(nurse.municipalities.values_list("name", flat=True)) == {"Vefsn", "Rana", "Lurøy", "Hemnes", "Leirfjord"}
        assert list(nurse.trusts.values_list("code", flat=True)) == ["HSYK"]

    def test_helse_nord_2026_money(self, db):
        regional = Pot.objects.get(name="Regional søknadsbasert ordning Helse Nord")
        year = PotYear.objects.get(pot=regional, year=2026)
        # 90 MNOK and unspent 2025 money, minus Vefsn 21 MNOK, Prosjekt X 10 MNOK and the 2026
        # commitments of table 18 (7 044 + 13 250 thousand): the second round's frame in the minutes.
        assert year.frame == 90 * M + 7_594_000
        assert year.committed() == 21 * M + 10 * M + 20_294_000
        assert year.available() == 46_300_000
        prosjekt_x = PotYear.objects.get(pot__name="Prosjekt X", year=2026)
        assert (prosjekt_x.frame, prosjekt_x.committed()) == (10 * M, 5 * M)
        for pot_year in PotYear.objects.all():
            assert pot_year.committed() + pot_year.reserved() <= pot_year.frame, pot_year

    def test_vefsn_is_registered_as_decided_outside_the_portal(self, db, client):
        import datetime

        from rsportal.core.models import AuditEvent

        vefsn = Grant.objects.get(title__startswith="Intermediær døgnpost Vefsn")
        assert vefsn.registered_elsewhere and vefsn.decided_on == datetime.date(2025, 8, 18)
        assert vefsn.decided_by == "Helse Nord RHF (foretaksprotokoll)" and vefsn.reports_due.exists()
        assert AuditEvent.objects.filter(action="grant.registered", object_id=str(vefsn.pk)).exists()
        assert "vedtok 18. august 2025" in client.get(f"/prosjekter/{vefsn.pk}/").content.decode()

    def test_demo_can_be_loaded_twice(self, db):
        before = Commitment.objects.count()
        call_command("load_demo", stdout=io.StringIO())
        assert Commitment.objects.count() == before

    def test_helsefellesskap_api(self, db, client):
        response = client.get("/api/v1/helsefellesskap/helgeland?on=2026-01-01")
        data = response.json()
        assert data["municipality_count"] == 17
        assert data["population"] == sum(m["population"] for m in data["municipalities"])
        assert {"number": "1824", "name": "Vefsn"}.items() <= next(m for m in data["municipalities"] if m["number"] == "1824").items()
        assert client.get("/api/v1/helsefellesskap/finnes-ikke").status_code == 404

    def test_demo_applicants_can_start_in_the_open_calls_of_their_community(self, db, client):
        """The demo's promise: a new user signs in as the Tromsø or UNN applicant and applies."""
        from django.contrib.auth import get_user_model

        from rsportal.applications.models import Call

        for username in ("soker.tromso", "soker.unn"):
            client.force_login(get_user_model().objects.get(username=username))
            open_calls = [call for call in Call.objects.filter(kind=Call.Kind.OPEN, status=Call.Status.PUBLISHED) if call.is_open()]
            assert len(open_calls) >= 2
            for call in open_calls:
                html = client.get(f"/soknader/utlysninger/{call.pk}/").content.decode()
                assert "Start søknad" in html and "Ingen av organisasjonene du søker for" not in html, (username, call.title)


def test_api_list_has_constant_query_count(world, client):
    from tests import factories as f

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/helsefellesskap").status_code == 200
        return len(queries)

    few = count()
    for i in range(20):
        hf = f.HelsefellesskapFactory(trust=world.trust)
        f.MembershipFactory(helsefellesskap=hf, municipality=f.MunicipalityFactory(county=world.tromso.county, population=1000 + i))
    assert count() == few


def test_openapi_documents_every_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/rhf", "/api/v1/helsefellesskap", "/api/v1/helsefellesskap/{code}", "/api/v1/municipalities", "/api/v1/allocation-per-inhabitant"} <= set(schema["paths"])
    assert client.get("/api/v1/docs").status_code == 200


def test_api_rejects_bad_input_without_server_error(db, client):
    assert client.get("/api/v1/allocation-per-inhabitant?year=tjue").status_code == 422
    assert client.get("/api/v1/helsefellesskap?on=2026-13-40").status_code == 422


def test_a_fresh_checkout_migrates_into_a_data_folder_that_does_not_exist_yet(tmp_path):
    """`make demo` on a new clone: there is no var/ yet, and SQLite will not create it."""
    data_dir = tmp_path / "fresh" / "var"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("RSPORTAL_")}
    env["RSPORTAL_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (data_dir / "rsportal.sqlite3").stat().st_size > 0
