"""Which helsefellesskap a user's organisations belong to (`applications.permissions.communities_for`):
the one rule behind the call page's choice of community and the front page's next deadline."""

import datetime

from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Call
from rsportal.applications.permissions import communities_for
from rsportal.core import todo
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot
from rsportal.registry.models import Membership

from . import factories as f


def test_a_municipality_belongs_to_its_communities_while_its_membership_lasts(world, personas):
    """Harstad leaves Troms og Ofoten at the end of 2025 and joins Finnmark: before, its
    applicants apply in Troms og Ofoten; after, in Finnmark only."""
    applicant = f.UserFactory(username="harstad_applicant")
    f.role(applicant, OrganisationRole.Kind.APPLICANT, municipality=world.harstad)
    Membership.objects.filter(municipality=world.harstad).update(valid_to=datetime.date(2025, 12, 31))
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=world.harstad, valid_from=datetime.date(2026, 1, 1))

    assert set(communities_for(applicant, datetime.date(2025, 6, 1))) == {world.hf}
    assert set(communities_for(applicant, datetime.date(2026, 6, 1))) == {world.other_hf}
    assert set(communities_for(applicant)) == ({world.other_hf} if timezone.localdate() >= datetime.date(2026, 1, 1) else {world.hf})


def test_a_trust_belongs_to_the_communities_it_is_the_trust_of(world, personas):
    applicant = f.UserFactory(username="unn_applicant")
    f.role(applicant, OrganisationRole.Kind.APPLICANT, trust=world.trust)
    assert set(communities_for(applicant)) == {world.hf}
    # A municipality and a trust: both communities, once each.
    f.role(applicant, OrganisationRole.Kind.APPLICANT, municipality=world.alta)
    assert sorted(c.code for c in communities_for(applicant)) == ["finnmark", "troms-ofoten"]


def test_a_user_with_no_organisation_belongs_nowhere(world, personas):
    assert not communities_for(personas.outsider).exists()
    assert not communities_for(personas.secretariat).exists()  # a seat is not an organisation
    assert not communities_for(personas.rhf_admin).exists()


def test_the_call_page_and_the_front_page_use_the_same_communities(client, login, world, personas):
    """A municipality that has left a community is offered neither the community's call on the
    call page nor its deadline on the front page; a call of its new community is offered on both."""
    for year in (2026, 2027):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10_000_000, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    calls = {}
    for community, days in ((world.hf, 20), (world.other_hf, 40)):
        pot = funding.create_pot(personas.rhf_admin, parent=root, name=f"Pott {community.code}", kind=Pot.Kind.APPLICATION, helsefellesskap=community)
        calls[community.code] = call = Call.objects.create(pot=pot, title=f"Utlysning {community.name}", status=Call.Status.PUBLISHED, purpose="-")
        call.deadlines.create(at=timezone.now() + datetime.timedelta(days=days))
    Membership.objects.filter(municipality=world.tromso).update(valid_to=timezone.localdate() - datetime.timedelta(days=1))
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=world.tromso, valid_from=timezone.localdate())

    page = login(personas.applicant)
    left = page.get(f"/soknader/utlysninger/{calls['troms-ofoten'].pk}/")
    assert left.context.get("not_member") and "start_form" not in left.context
    joined = page.get(f"/soknader/utlysninger/{calls['finnmark'].pk}/")
    assert list(joined.context["start_form"].fields["helsefellesskap"].queryset) == [world.other_hf]
    assert set(todo._calls_open_to(personas.applicant).values_list("pk", flat=True)) == {calls["finnmark"].pk}
