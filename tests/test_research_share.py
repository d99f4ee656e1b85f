"""The research deduction: where the call says research is deducted, the decision's amounts, the
letter and the money pages show the grant, the part set aside for research and what is paid to
the project (funding.research)."""

import re

from rsportal.applications.models import Call
from rsportal.assessment import letters
from rsportal.funding import research

from .test_assessment import round_  # noqa: F401 (fixture)
from .test_letters import granted, printed  # noqa: F401 (fixtures)


def words(response) -> str:
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_split_adds_up_to_the_krone_and_never_exceeds_the_grant():
    split = research.split(100_000, {2027: 1, 2028: 2, 2029: 0})
    assert [(r.year, r.granted, r.research, r.to_project) for r in split.rows] == [(2027, 1, 1, 0), (2028, 2, 2, 0)]
    split = research.split(1_000, {2027: 2_000_000, 2028: 1_000_000})
    assert [r.research for r in split.rows] == [667, 333] and split.research == 1_000 and split.to_project == 2_999_000
    assert research.split(0, {2027: 1_000}) is None


def test_the_decision_letter_and_money_pages_show_the_research_share_deducted(world, personas, granted, login, printed):  # noqa: F811
    # The application budgets 300 000 kr for research; STU granted 3 MNOK for 2027 and 1 MNOK for 2028.
    assert granted.application.call.research_deducted and granted.application.research_share == 300_000
    letter = letters.for_decision(granted)
    assert [(r.year, r.granted, r.research, r.to_project) for r in letter.rows if r.granted] == [(2027, 3_000_000, 225_000, 2_775_000), (2028, 1_000_000, 75_000, 925_000)]
    assert (letter.granted_total, letter.research, letter.to_project) == (4_000_000, 300_000, 3_700_000)
    assert login(personas.applicant).get(f"/vurdering/vedtak/{granted.pk}/brev.pdf").status_code == 200
    text = printed[-1]
    assert "Herav forskning Til prosjektet" in text and "3 000 000 kr 225 000 kr 2 775 000 kr" in text
    assert "Sum" in text and "4 000 000 kr 300 000 kr 3 700 000 kr" in text
    # The project's money page, and the ledger of the pot the grant is paid from.
    grant = granted.grant
    page = words(login(personas.sysadmin).get(f"/oppfolging/tilskudd/{grant.pk}/"))
    assert "Satt av til forskning" in page and "2027 3 000 000 kr 225 000 kr 2 775 000 kr" in page and "Sum 4 000 000 kr 300 000 kr 3 700 000 kr" in page
    page = words(login(personas.sysadmin).get(f"/midler/potter/{grant.pot.pk}/"))
    assert "Herav 225 000 kr satt av til forskning (trekkes fra); 2 775 000 kr til prosjektet" in page
    assert "Herav 75 000 kr satt av til forskning (trekkes fra); 925 000 kr til prosjektet" in page


def test_nothing_is_deducted_where_the_call_does_not_say_so(world, personas, granted, login):  # noqa: F811
    Call.objects.filter(pk=granted.application.call_id).update(research_deducted=False)
    granted.application.call.refresh_from_db()
    letter = letters.for_decision(granted)
    assert letter.research == 0 and all(r.research == 0 for r in letter.rows)
    assert research.for_grant(granted.grant) is None
    assert "Satt av til forskning" not in words(login(personas.sysadmin).get(f"/oppfolging/tilskudd/{granted.grant.pk}/"))
    assert "satt av til forskning" not in words(login(personas.sysadmin).get(f"/midler/potter/{granted.grant.pot.pk}/"))
