"""Every URL of the project against every persona, with the outcome each must get.

test_every_url_has_a_row fails when a URL pattern has no row here, so a new view cannot ship
without someone deciding who may open it. To add a view: add a Row to MATRIX under its full
name ("namespace:name"), with a function that builds its URL from `ctx` (create the objects it
needs in the `ctx` fixture) and the expected outcome per method and persona. The helpers
below (`everyone`, `signed_in`, `role_page`, `only`, `these`) cover the common patterns.

Logins here are verified with a two-factor code, as in production, so the matrix tests what
the permission checks decide, not the two-factor redirect (tests/test_security.py does that).

POST rows: every row runs with the same clients against the same world, so a POST must not
change anything another row depends on. Where the view checks permission before it validates,
the body is empty or invalid, and those let through get 400 (or the page again with errors).
Where the permission check sits in the domain function, after validation, the body is valid but
breaks a business rule that is checked after the permission (a closed step, an amount above
the commitment, an application in the wrong state), so those let through get the view's error
answer and nothing is saved. The few rows with a real effect say so, and the effect touches
only objects no other row reads."""

import datetime
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain as applications
from rsportal.applications import thread
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, Attachment, BenefitRow, BudgetLine, Call, JoinRequest, Participant
from rsportal.archive import recording as archive_recording
from rsportal.assessment import documents
from rsportal.calendar import feeds
from rsportal.assessment import domain as assessment
from rsportal.assessment.models import AgendaItem, Conflict, Decision, FormalCheck, Forwarding, Score, Vote
from rsportal.followup import domain as followup
from rsportal.followup.forms import ReportForm
from rsportal.registry.domain import register_district
from rsportal.followup.models import Payment, Report
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, Pot
from rsportal.payments.models import PartnerRecord, PaymentPlan, PaymentRequest
from rsportal.registry.models import BodyMember
from rsportal.security.testing import force_verified_login

from . import factories as f
from .matrix_helpers import PDF, complete_and_submit, response_text

M = 1_000_000

# The personas of issue 6: nobody, signed in without a role, an applicant for another
# municipality (Bergen), the secretariat of another helsefellesskap (Bergen), an allocation
# committee member, a committee member who is conflicted on the application under assessment,
# an observer, the secretariat of the pot's helsefellesskap and a system administrator.
# `applicant` (Tromsø, inside the helsefellesskap) is there for own-data pages.
PERSONAS = (
    "anonymous",
    "outsider",
    "other_applicant",
    "other_secretariat",
    "member",
    "conflicted",
    "observer",
    "applicant",
    "secretariat",
    "sysadmin",
)

LOGIN = "login"  # 302 to the login page
REFUSED = (403, 404)  # either refusal is right; used where the code does not refuse yet
ALLOWED_ABSENT = {"admin"}  # Django's admin: its own permission system, tested by Django

# Groups used in the rows below.
COMMITTEE = ("member", "conflicted", "observer")  # seats in the call's deciding body (Tildelingsutvalget)
MANAGERS = ("secretariat", "sysadmin")  # manage the pot the call and the grant are paid from
TAKES_PART = COMMITTEE + MANAGERS  # everyone with a role in the call's process
READS_APPLICATION = ("applicant",) + TAKES_PART  # a submitted application: its authors and those who handle it

# Texts the conflicted member must never be shown (see the `ctx` fixture).
SCORE_NOTE = "Poengkommentar om hjemkomstprosjektet"
DELIBERATION = "Drøfting av hjemkomstprosjektet i utvalget"
PROPOSAL_REASON = "Forslag om avslag på hjemkomstprosjektet"
ASSESSED_TITLE = "Trygg hjemkomst etter sykehusopphold"
# A second application the conflicted member is conflicted on, already DECIDED: deliberated,
# a proposal to grant it fell on named votes, and a rejection was adopted. Its adopted decision
# is public; the rest stays out of every page, document and export the conflicted member opens.
DECIDED_TITLE = "Felles ambulant rusteam"
DECIDED_DELIBERATION = "Drøfting av rusteamet etter avstemningen"
FALLEN_REASON = "Forslag om å innvilge rusteamet som falt"
ADOPTED_REASON = "Rusteamet avslås fordi finansieringen etter prosjektet mangler"
OWN_CONFLICT = "Jeg er styreleder hos søkeren."
OTHERS_CONFLICT = "Observatøren er nabo til prosjektlederen."
INVITED = "invitert@example.invalid"
INTERNAL_NOTE = "Internt notat om hjemkomstprosjektet"
THREAD_QUESTION = "Spørsmål fra søkerne om hjemkomstprosjektet"  # an invitation to Tromsø's applicant role (see `ctx`)


def _letter(c) -> int:
    """The RHF's letter template for grants (made with the default texts on first use)."""
    from rsportal.assessment import letters

    return letters.template_for(c.world.rhf, "full").pk


def everyone(status):
    return {who: status for who in PERSONAS}


def signed_in(status, anonymous=LOGIN):
    return {**everyone(status), "anonymous": anonymous}


def role_page(status=200):
    """Behind role_required: the login page for anonymous users, 403 for outsiders."""
    return {**signed_in(status), "outsider": 403}


def only(allowed: dict, default=403):
    """A role page where only some personas get through; the others get `default`."""
    return {**role_page(default), **allowed}


def these(status, who):
    return {person: status for person in who}


@dataclass
class Row:
    url: Callable[[SimpleNamespace], str]
    expect: dict[str, dict[str, object]]  # method -> persona -> status, LOGIN or a tuple of acceptable outcomes
    data: dict | Callable[[SimpleNamespace], dict] = field(default_factory=dict)  # POST body
    # persona -> texts that must not be in the response when they get it (200) ...
    hidden: dict[str, Callable[[SimpleNamespace], list[str]]] = field(default_factory=dict)
    # ... and persona -> texts that must be, which shows that the `hidden` check can fail at all
    shown: dict[str, Callable[[SimpleNamespace], list[str]]] = field(default_factory=dict)


POST_ONLY = everyone(405)

# The back office: those who manage something (a helsefellesskap's secretariat, a system
# administrator); on the objects of the pot's helsefellesskap, the other secretariat gets 404.
BACK_OFFICE = ("secretariat", "other_secretariat", "sysadmin")


def own_body(status=200):
    return only({**these(status, ("secretariat", "sysadmin")), "other_secretariat": 404})


OWN_BODY = own_body()


def rhf_money(status=200):
    """The money back office: an RHF's administrators (no persona here is one) and system administrators."""
    return only({"sysadmin": status})


RHF_MONEY = rhf_money()


def conflicted_must_not_see(c):
    """Before and after the decision: scores, deliberation, proposals (also those that fell) and
    who voted how on the applications the conflicted member is conflicted on."""
    return [SCORE_NOTE, DELIBERATION, PROPOSAL_REASON, DECIDED_DELIBERATION, FALLEN_REASON, c.fallen_vote]


def decided_is_shown(c):
    """What a member who is not conflicted reads of the decided application in the minutes."""
    return [DECIDED_DELIBERATION, FALLEN_REASON, c.fallen_vote, ADOPTED_REASON]


# Documents and exports everyone may open: the conflicted member gets them without the secrets.
PUBLIC_SECRETS = {"conflicted": conflicted_must_not_see}


MATRIX: dict[str, Row] = {
    # --- public and login
    "core:home": Row(lambda c: "/", {"GET": everyone(200)}),
    "core:contact": Row(lambda c: "/kontakt/", {"GET": everyone(200)}),
    "core:accessibility": Row(lambda c: "/tilgjengelighet/", {"GET": everyone(200)}),
    "core:privacy-statement": Row(lambda c: "/personvernerklaering/", {"GET": everyone(200)}),
    "login": Row(lambda c: "/logg-inn/", {"GET": everyone(200)}),
    "logout": Row(lambda c: "/logg-ut/", {"GET": everyone(405)}),
    # Sign-in through a provider is open to all; the matrix runs with no provider configured
    # (tests/test_security_oidc.py runs them against a real one), and a callback without a
    # login under way in the session is refused.
    "signin:start": Row(lambda c: "/oidc/idporten/", {"GET": everyone(404)}),
    "signin:callback": Row(lambda c: "/oidc/callback/?code=x&state=y", {"GET": everyone(400)}),
    "security:setup": Row(lambda c: "/logg-inn/tofaktor/oppsett/", {"GET": signed_in(200)}),
    "security:verify": Row(lambda c: "/logg-inn/tofaktor/kode/", {"GET": signed_in(200)}),
    "security:manage": Row(lambda c: "/logg-inn/tofaktor/", {"GET": signed_in(200)}),
    # Only those whose role does not require two-factor login may turn it off; the empty body
    # (no confirmation) gets the page again with 400, so nobody's app is removed here.
    "security:remove": Row(
        lambda c: "/logg-inn/tofaktor/fjern/",
        {"GET": POST_ONLY, "POST": {**signed_in(403), **these(400, ("outsider", "other_applicant", "applicant"))}},
    ),
    # --- registry
    "registry:helsefellesskap-list": Row(lambda c: "/helsefellesskap/", {"GET": role_page()}),
    "registry:helsefellesskap-detail": Row(lambda c: f"/helsefellesskap/{c.world.hf.code}/", {"GET": role_page()}),
    # --- money: everyone with a role reads; only those who manage the pot change it
    "funding:overview": Row(lambda c: "/midler/", {"GET": role_page()}),
    "funding:pot-detail": Row(lambda c: f"/midler/potter/{c.local.pk}/", {"GET": role_page()}),
    # An empty form is refused with 400 after the permission check has let the person through.
    "funding:pot-reserve": Row(
        lambda c: f"/midler/potter/{c.local.pk}/avsetning/",
        {"GET": POST_ONLY, "POST": only({"secretariat": 400, "sysadmin": 400})},
    ),
    "funding:pot-carry-over": Row(
        lambda c: f"/midler/potter/{c.local.pk}/overfor-til-neste-ar/",
        {"GET": POST_ONLY, "POST": only({"secretariat": 400, "sysadmin": 400})},
    ),
    # --- classification of grants: the grant's managers (the helsefellesskap's secretariat, the
    # RHF's secretariat and administrators). The list is open to every secretariat (Bergen's sees
    # only its own grants); the form only to the grant's managers, and an empty post is refused
    # with 400 after the permission check, so nothing is classified.
    "classification:list": Row(lambda c: "/administrasjon/klassifisering/", {"GET": only(these(200, ("other_secretariat", *MANAGERS)))}),
    "classification:grant": Row(
        lambda c: f"/administrasjon/klassifisering/{c.grant.pk}/",
        {"GET": only(these(200, MANAGERS)), "POST": only(these(400, MANAGERS))},
    ),
    # --- calls: public
    "applications:call-list": Row(lambda c: "/soknader/utlysninger/", {"GET": everyone(200)}),
    "applications:call-detail": Row(lambda c: f"/soknader/utlysninger/{c.call.pk}/", {"GET": everyone(200)}),
    # Calls: the pot's managers set them up; another helsefellesskap's secretariat gets 404 on the
    # call (it may not learn a draft exists). An empty edit is 400; an empty publish, close or
    # copy carries no version of the call, so it is refused as stale (409): nothing changes.
    "calls:list": Row(
        lambda c: "/administrasjon/utlysninger/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/utlysninger/{c.call.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/utlysninger/{c.call.pk}/"]},
    ),
    "calls:create": Row(lambda c: "/administrasjon/utlysninger/ny/", {"GET": only(these(200, BACK_OFFICE)), "POST": only(these(400, BACK_OFFICE))}),
    "calls:detail": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/", {"GET": OWN_BODY}),
    "calls:update": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "calls:history": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/historikk/", {"GET": OWN_BODY}),
    "calls:preview": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/forhandsvis/", {"GET": OWN_BODY}),
    "calls:copy": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/kopier/", {"GET": OWN_BODY, "POST": own_body(409)}),
    "calls:publish": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/publiser/", {"GET": OWN_BODY, "POST": own_body(409)}),
    "calls:close": Row(lambda c: f"/administrasjon/utlysninger/{c.call.pk}/avslutt/", {"GET": OWN_BODY, "POST": own_body(409)}),
    # Only applicants start applications. The call only takes committee-designed projects, a rule
    # checked after the permission, so applicants get 400 and no application is created.
    "applications:start": Row(
        lambda c: f"/soknader/utlysninger/{c.designed.pk}/ny-soknad/",
        {"GET": POST_ONLY, "POST": only(these(400, ("applicant", "other_applicant")))},
        data=lambda c: {"title": "Ny søknad", "type": "project", "helsefellesskap": c.world.hf.pk},
    ),
    # The form offers only the person's own municipalities, so without an applicant role nobody
    # can fill it in: everyone with a role gets the empty form back (400) and nothing is saved.
    "applications:join": Row(
        lambda c: f"/soknader/utlysninger/{c.designed.pk}/prosjekter/{c.project.pk}/delta/",
        {"GET": POST_ONLY, "POST": role_page(400)},
    ),
    # --- the applicant's pages. A draft is its authors' alone: not even the secretariat or a
    # system administrator reads it before it is submitted.
    "applications:mine": Row(lambda c: "/soknader/", {"GET": role_page()}),
    "applications:edit": Row(lambda c: f"/soknader/{c.draft.pk}/", {"GET": only({"applicant": 200})}),
    "applications:section-save": Row(
        lambda c: f"/soknader/{c.draft.pk}/del/prosjektet/",
        {"GET": POST_ONLY, "POST": only({"applicant": 400})},  # the title is required
    ),
    "applications:participant-add": Row(lambda c: f"/soknader/{c.draft.pk}/deltakere/", {"GET": POST_ONLY, "POST": only({"applicant": 400})}),
    # Removing one's own organisation is refused after the permission check (302 with a message).
    "applications:participant-remove": Row(
        lambda c: f"/soknader/{c.draft.pk}/deltakere/{c.own_participant.pk}/fjern/",
        {"GET": POST_ONLY, "POST": only({"applicant": 302})},
    ),
    "applications:budget-add": Row(lambda c: f"/soknader/{c.draft.pk}/budsjett/", {"GET": POST_ONLY, "POST": only({"applicant": 400})}),
    "applications:benefit-add": Row(lambda c: f"/soknader/{c.draft.pk}/nytte/", {"GET": POST_ONLY, "POST": only({"applicant": 400})}),
    "applications:attachment-add": Row(lambda c: f"/soknader/{c.draft.pk}/vedlegg/", {"GET": POST_ONLY, "POST": only({"applicant": 400})}),
    # Rows of the submitted application: its authors pass the permission check, and the domain
    # then refuses to change a submitted application (302 with a message), so nothing is removed.
    "applications:budget-remove": Row(
        lambda c: f"/soknader/{c.assessed.pk}/budsjett/{c.assessed.budget_lines.first().pk}/fjern/",
        {"GET": POST_ONLY, "POST": only({"applicant": 302})},
    ),
    "applications:benefit-remove": Row(
        lambda c: f"/soknader/{c.assessed.pk}/nytte/{c.assessed.benefits.first().pk}/fjern/",
        {"GET": POST_ONLY, "POST": only({"applicant": 302})},
    ),
    "applications:attachment-remove": Row(
        lambda c: f"/soknader/{c.assessed.pk}/vedlegg/{c.attachment.pk}/fjern/",
        {"GET": POST_ONLY, "POST": only({"applicant": 302})},
    ),
    # Signed in is enough to ask (login_required, not role_required); the attachment itself
    # follows the application. The conflicted member may read the application they are named in:
    # conflict keeps them out of scoring, deliberation and the vote, not out of the case papers.
    "applications:attachment-download": Row(
        lambda c: f"/soknader/vedlegg/{c.attachment.token}/",
        {"GET": {**signed_in(403), **these(200, READS_APPLICATION)}},
    ),
    # Without the "I have looked at similar projects" box the page comes back (200), unsubmitted.
    "applications:submit": Row(
        lambda c: f"/soknader/{c.draft.pk}/send-inn/",
        {"GET": only({"applicant": 200}), "POST": only({"applicant": 200})},
    ),
    # Another municipality's applicant and another helsefellesskap's secretariat get 403.
    "applications:detail": Row(lambda c: f"/soknader/{c.assessed.pk}/vis/", {"GET": only(these(200, READS_APPLICATION))}),
    "applications:version": Row(lambda c: f"/soknader/{c.assessed.pk}/versjon/1/", {"GET": only(these(200, READS_APPLICATION))}),
    # On an application withdrawn after submission: reopening is for the secretariat side only
    # (they get past the check and get the page again, 400, told only submitted applications
    # reopen); withdrawing is for its authors only (they are told it is already withdrawn).
    "applications:reopen": Row(
        lambda c: f"/soknader/{c.withdrawn.pk}/apne-for-revisjon/",
        {"GET": POST_ONLY, "POST": only(these(400, MANAGERS))},
        data={"reason": "Rett opp budsjettet"},
    ),
    "applications:withdraw": Row(lambda c: f"/soknader/{c.withdrawn.pk}/trekk/", {"GET": POST_ONLY, "POST": only({"applicant": 302})}),
    # --- assessment: those with a role in the call's process (the committee and the pot's
    # managers); applicants and the other helsefellesskap's secretariat are refused.
    # Everyone with a role gets the page; it lists only the calls they take part in (tests/test_assessment.py).
    "assessment:index": Row(lambda c: "/vurdering/", {"GET": role_page()}),
    "assessment:call": Row(lambda c: f"/vurdering/utlysning/{c.call.pk}/", {"GET": only(these(200, TAKES_PART))}, hidden=PUBLIC_SECRETS),
    # Local prioritisation is the helsefellesskap's secretariat's; a rank that is not a number is
    # refused after the permission check (400), so nothing is forwarded.
    "assessment:prioritise": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/prioritering/{c.world.hf.code}/",
        {"GET": only(these(200, MANAGERS)), "POST": only(these(400, MANAGERS))},
        data=lambda c: {f"rank_{c.assessed.pk}": "først"},
    ),
    # Anyone in the process may raise a possible conflict; an incomplete form comes back with 400.
    "assessment:conflicts": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/habilitet/",
        {"GET": only(these(200, TAKES_PART)), "POST": only(these(400, TAKES_PART))},
        data={"reason": "Mangler søknad og medlem"},  # an empty body would not even bind the form
    ),
    # Run on the second call, which has no applications: it finds nothing and only logs the check.
    "assessment:conflicts-detect": Row(
        lambda c: f"/vurdering/utlysning/{c.designed.pk}/habilitet/sjekk/",
        {"GET": POST_ONLY, "POST": only(these(302, TAKES_PART))},
    ),
    # Only the chair decides (the chair is no persona here, so everyone is refused); the body
    # confirms the conflict, so even a wrongful pass would change nothing.
    "assessment:conflict-decide": Row(
        lambda c: f"/vurdering/habilitet/{c.conflict.pk}/avgjor/",
        {"GET": POST_ONLY, "POST": role_page(403)},
        data={"conflicted": "yes"},
    ),
    # The conflicted member sees the ranking, without the application they are conflicted on.
    "assessment:ranking": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/rangering/",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": lambda c: [ASSESSED_TITLE, DECIDED_TITLE, *conflicted_must_not_see(c)]},
        shown={"member": lambda c: [ASSESSED_TITLE, DECIDED_TITLE]},
    ),
    "assessment:ranking-xlsx": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/rangering.xlsx",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": lambda c: [ASSESSED_TITLE, DECIDED_TITLE, *conflicted_must_not_see(c)]},
        shown={"member": lambda c: [ASSESSED_TITLE, DECIDED_TITLE]},
    ),
    # The secretariat or the chair sets up meetings. This row has an effect: the managers each
    # schedule a new meeting of the call; no other row reads those meetings.
    "assessment:meeting-new": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/mote/",
        {"GET": POST_ONLY, "POST": only(these(302, MANAGERS))},
        data={"starts_at": "2030-05-07T09:00", "pitch_minutes": "15", "changeover_minutes": "0"},
    ),
    "assessment:audit": Row(lambda c: f"/vurdering/utlysning/{c.call.pk}/logg/", {"GET": only(these(200, MANAGERS))}),
    # The page is open to the process; recording the check is the secretariat's. On a withdrawn
    # application the domain refuses after the permission check (400), so nothing is recorded.
    "assessment:formal-check": Row(
        lambda c: f"/vurdering/soknad/{c.withdrawn.pk}/formell-kontroll/",
        {"GET": only(these(200, TAKES_PART)), "POST": only(these(400, MANAGERS))},
        data={"outcome": "eligible"},
    ),
    # The conflicted member gets neither the scores nor the form. Voting members save scores;
    # an empty form saves nothing and returns to the page (302). Observers and the secretariat
    # read the scores but do not score.
    "assessment:score": Row(
        lambda c: f"/vurdering/soknad/{c.assessed.pk}/poeng/",
        {"GET": only(these(200, ("member", "observer", *MANAGERS))), "POST": only({"member": 302})},
        data=lambda c: {"expected": assessment.scores_fingerprint(assessment.seat(c.personas.member, c.world.stu), c.assessed)},
    ),
    "assessment:meeting": Row(
        lambda c: f"/vurdering/mote/{c.meeting.pk}/",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": conflicted_must_not_see},
    ),
    # The meeting view on the item the conflicted member must leave the room for.
    "assessment:chair": Row(
        lambda c: f"/vurdering/mote/{c.meeting.pk}/leder/?sak={c.item.order}",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": conflicted_must_not_see},
        shown={"member": lambda c: [DELIBERATION, PROPOSAL_REASON]},
    ),
    # The minutes are for everyone in the process, but on their items the conflicted member reads
    # only who left the room and the adopted decision: no deliberation, no proposal that fell and
    # no named votes, also once the item is decided (rsportal/assessment/visibility.py).
    "assessment:minutes-pdf": Row(
        lambda c: f"/vurdering/mote/{c.meeting.pk}/protokoll.pdf",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": conflicted_must_not_see},
        shown={"member": lambda c: [DELIBERATION, *decided_is_shown(c)], "conflicted": lambda c: [DECIDED_TITLE, ADOPTED_REASON]},
    ),
    # Only the chair or the secretary runs the meeting (neither is a persona here). The item has
    # already started, and an empty deliberation keeps the recorded one.
    # Attendance is recorded by those running the meeting (leader, deputy, secretary, minute-taker).
    # The minutes are approved by the body's leader or secretary (neither is a persona here).
    "assessment:minutes-approve": Row(lambda c: f"/vurdering/mote/{c.meeting.pk}/protokoll/godkjenn/", {"GET": POST_ONLY, "POST": role_page(403)}),
    "assessment:attendance": Row(lambda c: f"/vurdering/mote/{c.meeting.pk}/oppmote/", {"GET": POST_ONLY, "POST": role_page(403)}),
    "assessment:item-start": Row(lambda c: f"/vurdering/sak/{c.item.pk}/start/", {"GET": POST_ONLY, "POST": role_page(403)}),
    "assessment:item-end": Row(lambda c: f"/vurdering/sak/{c.item.pk}/avslutt/", {"GET": POST_ONLY, "POST": role_page(403)}),
    # Seats in the deciding body (observers too) and the secretariat side propose; the conflicted
    # member may not. A grant without amounts is refused after the permission check (302).
    "assessment:decision-propose": Row(
        lambda c: f"/vurdering/sak/{c.item.pk}/forslag/",
        # A full grant without amounts is refused after the permission check (400, the form shown again).
        {"GET": POST_ONLY, "POST": only(these(400, ("member", "observer", *MANAGERS)))},
        data={"outcome": "full", "reason": "Bør innvilges"},
    ),
    # Only voting members without a conflict vote; an empty choice is refused after that check.
    "assessment:vote": Row(lambda c: f"/vurdering/vedtak/{c.proposal.pk}/stem/", {"GET": POST_ONLY, "POST": only({"member": 302})}),
    "assessment:decision-conclude": Row(lambda c: f"/vurdering/vedtak/{c.proposal.pk}/avslutt/", {"GET": POST_ONLY, "POST": role_page(403)}),
    # Only the proposer (the chair, no persona here) or the leader or secretary withdraws a pending proposal.
    "assessment:decision-withdraw": Row(lambda c: f"/vurdering/vedtak/{c.proposal.pk}/trekk/", {"GET": POST_ONLY, "POST": role_page(403)}),
    # The decision letter: the applicants and those in the process.
    "assessment:letter-pdf": Row(lambda c: f"/vurdering/vedtak/{c.decision.pk}/brev.pdf", {"GET": only(these(200, READS_APPLICATION))}, hidden=PUBLIC_SECRETS),
    # --- follow-up: the grant's owners report; the pot's managers follow up and pay
    "followup:overview": Row(lambda c: "/oppfolging/", {"GET": role_page()}),
    "followup:grant": Row(lambda c: f"/oppfolging/tilskudd/{c.grant.pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    "followup:after-project": Row(
        lambda c: f"/oppfolging/tilskudd/{c.grant.pk}/etter-prosjektet/",
        {"GET": only(these(200, ("applicant", *MANAGERS))), "POST": only({"applicant": 400})},
    ),
    "followup:report-new": Row(
        lambda c: f"/oppfolging/tilskudd/{c.grant.pk}/rapport/",
        {"GET": only({"applicant": 200}), "POST": only({"applicant": 400})},
    ),
    "followup:report": Row(lambda c: f"/oppfolging/rapport/{c.report.pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    # The report's accounts file follows the grant, like the report itself.
    "followup:accounts": Row(lambda c: f"/oppfolging/regnskap/{c.report.spending.get().pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    # More than the commitment: refused after the permission check (the page again, 400).
    "followup:payment-add": Row(
        lambda c: f"/oppfolging/tilskudd/{c.grant.pk}/utbetaling/",
        {"GET": POST_ONLY, "POST": only(these(400, MANAGERS))},
        data=lambda c: {"year": str(c.year), "amount": str(100 * M), "paid_on": f"{c.year}-03-01"},
    ),
    # The commitment was released already: refused after the permission check (the page again, 400).
    "followup:release": Row(
        lambda c: f"/oppfolging/tilskudd/{c.grant.pk}/frigjor/",
        {"GET": POST_ONLY, "POST": only(these(400, MANAGERS))},
        data=lambda c: {"commitment": c.released.pk, "reason": "Prosjektet stanset"},
    ),
    "followup:pot": Row(lambda c: f"/oppfolging/pott/{c.local.pk}/", {"GET": only(these(200, MANAGERS))}),
    # Reports to the ministry and the directorate are the RHF's (its administrators and secretariat).
    "followup:annual": Row(lambda c: f"/oppfolging/rhf/{c.world.rhf.code}/arsmelding-{c.year}.xlsx", {"GET": only({"sysadmin": 200})}),
    "followup:project-list": Row(lambda c: f"/oppfolging/rhf/{c.world.rhf.code}/prosjektliste.xlsx", {"GET": only({"sysadmin": 200})}),
    # The annual report PDF, built in the background: the same rule as the report itself.
    "followup:document": Row(lambda c: f"/oppfolging/dokument/{c.document.pk}/", {"GET": only({"sysadmin": 200})}),
    "followup:document-download": Row(lambda c: f"/oppfolging/dokument/{c.document.pk}/{c.document.filename}", {"GET": only({"sysadmin": 200})}),
    # --- payments: the owner's applicants request and pass money on; the pot's managers approve,
    # export and mark paid (never their own request: separation of duties is in the domain)
    "payments:list": Row(lambda c: "/utbetaling/", {"GET": role_page()}),
    "payments:grant": Row(lambda c: f"/utbetaling/tilskudd/{c.grant.pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    # An empty form is refused after the permission check (the form again, 400).
    # (the secretariat registers a request that came by letter)
    "payments:request-new": Row(
        lambda c: f"/utbetaling/tilskudd/{c.grant.pk}/ny/", {"GET": only(these(200, ("applicant", *MANAGERS))), "POST": only(these(400, ("applicant", *MANAGERS)))}
    ),
    "payments:transfer-add": Row(lambda c: f"/utbetaling/tilskudd/{c.grant.pk}/overforing/", {"GET": POST_ONLY, "POST": only({"applicant": 400})}),
    # No persona is an applicant for a partner of the grant.
    "payments:invoice-add": Row(lambda c: f"/utbetaling/tilskudd/{c.grant.pk}/faktura/", {"GET": POST_ONLY, "POST": role_page(403)}),
    "payments:request": Row(lambda c: f"/utbetaling/anmodning/{c.payment_request.pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    # A version that is not the request's: refused as stale after the permission check (409).
    "payments:approve": Row(
        lambda c: f"/utbetaling/anmodning/{c.payment_request.pk}/godkjenn/", {"GET": POST_ONLY, "POST": only(these(409, MANAGERS))}, data={"version": 999}
    ),
    "payments:return": Row(
        lambda c: f"/utbetaling/anmodning/{c.payment_request.pk}/send-tilbake/",
        {"GET": POST_ONLY, "POST": only(these(409, MANAGERS))},
        data={"version": 999, "reason": "Mangler bilag"},
    ),
    "payments:documentation": Row(lambda c: f"/utbetaling/bilag/{c.payment_request.costs.get().pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    # Each secretariat exports (and marks paid) only its own grants' approved requests; an empty
    # selection is refused after the permission check (back to the list).
    "payments:export": Row(lambda c: "/utbetaling/eksport.xlsx", {"GET": only(these(200, BACK_OFFICE))}),
    "payments:mark-paid": Row(lambda c: "/utbetaling/marker-utbetalt/", {"GET": POST_ONLY, "POST": only(these(302, BACK_OFFICE))}),
    "payments:figures": Row(lambda c: "/utbetaling/oversikt/", {"GET": only({"sysadmin": 200})}),
    "payments:plan": Row(lambda c: f"/utbetaling/pott/{c.local.pk}/plan/", {"GET": only(these(200, MANAGERS)), "POST": only(these(400, MANAGERS))}),
    # --- privacy: everyone with a role takes out their own data, and a system administrator
    # anyone's (an empty form: 400); only a system administrator anonymises; the log of who saw
    # whose personal data is for the secretariats (each its own records) and system administrators.
    "privacy:export": Row(lambda c: "/personvern/innsyn/", {"GET": role_page(), "POST": role_page(400)}),
    "privacy:anonymise": Row(lambda c: "/personvern/anonymisering/", {"GET": only({"sysadmin": 200}), "POST": only({"sysadmin": 400})}),
    "privacy:view-log": Row(lambda c: "/personvern/visningslogg/", {"GET": only(these(200, ("secretariat", "other_secretariat", "sysadmin")))}),
    # --- the back office: each helsefellesskap's secretariat keeps its own bodies, seats and
    # applicant roles; another helsefellesskap's secretariat gets 404 on them (it may not learn
    # they exist); people who manage nothing get 403. POSTs are empty: those let through get 400.
    "backoffice:index": Row(lambda c: "/administrasjon/", {"GET": only(these(200, BACK_OFFICE))}),
    "bodies:list": Row(
        lambda c: "/administrasjon/organer/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/organer/{c.world.secretariat_body.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/organer/{c.world.secretariat_body.pk}/"]},
    ),
    "bodies:create": Row(lambda c: "/administrasjon/organer/nytt/", {"GET": only(these(200, BACK_OFFICE)), "POST": only(these(400, BACK_OFFICE))}),
    "bodies:detail": Row(lambda c: f"/administrasjon/organer/{c.world.secretariat_body.pk}/", {"GET": OWN_BODY}),
    "bodies:update": Row(lambda c: f"/administrasjon/organer/{c.world.secretariat_body.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "bodies:history": Row(lambda c: f"/administrasjon/organer/{c.world.secretariat_body.pk}/historikk/", {"GET": OWN_BODY}),
    "bodies:seat-create": Row(lambda c: f"/administrasjon/organer/{c.world.secretariat_body.pk}/seter/nytt/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "bodies:seat-detail": Row(lambda c: f"/administrasjon/organer/seter/{c.secretariat_seat.pk}/", {"GET": OWN_BODY}),
    "bodies:seat-update": Row(lambda c: f"/administrasjon/organer/seter/{c.secretariat_seat.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "bodies:seat-end": Row(lambda c: f"/administrasjon/organer/seter/{c.secretariat_seat.pk}/avslutt/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "bodies:seat-history": Row(lambda c: f"/administrasjon/organer/seter/{c.secretariat_seat.pk}/historikk/", {"GET": OWN_BODY}),
    # The archive: each secretariat keeps the journal of its own pots' cases; another
    # helsefellesskap's secretariat gets 404 on it. An invalid address is refused with 400.
    "archive:list": Row(
        lambda c: "/administrasjon/arkiv/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/"]},
    ),
    "archive:detail": Row(lambda c: f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/", {"GET": OWN_BODY}),
    "archive:history": Row(lambda c: f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/historikk/", {"GET": OWN_BODY}),
    "archive:postmottak": Row(
        lambda c: f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/postmottak/",
        {"GET": OWN_BODY, "POST": own_body(400)},
        data={"postmottak": "ikke en adresse"},
    ),
    "archive:journal": Row(
        lambda c: f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/journal/",
        {"GET": OWN_BODY},
        shown={"secretariat": lambda c: [c.archive_entry.title]},
    ),
    "archive:export": Row(lambda c: f"/administrasjon/arkiv/{c.world.secretariat_body.pk}/uttrekk/", {"GET": OWN_BODY}),
    "archive:entry": Row(lambda c: f"/administrasjon/arkiv/journalpost/{c.archive_entry.pk}/", {"GET": OWN_BODY}),
    "archive:document": Row(lambda c: f"/administrasjon/arkiv/dokument/{c.archive_document.pk}/", {"GET": OWN_BODY}),
    # Organisations of the secretariat's helsefellesskap: city districts, organisation numbers and
    # addresses. Both letter fields may be blank, so an empty POST passes the form and is refused
    # for carrying no version of the organisation (409), like any stale save.
    "organisations:districts": Row(
        lambda c: "/administrasjon/organisasjoner/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/organisasjoner/bydeler/{c.district.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/organisasjoner/bydeler/{c.district.pk}/"]},
    ),
    "organisations:district-create": Row(lambda c: "/administrasjon/organisasjoner/bydeler/ny/", {"GET": only(these(200, BACK_OFFICE)), "POST": only(these(400, BACK_OFFICE))}),
    "organisations:district": Row(lambda c: f"/administrasjon/organisasjoner/bydeler/{c.district.pk}/", {"GET": OWN_BODY}),
    "organisations:district-update": Row(lambda c: f"/administrasjon/organisasjoner/bydeler/{c.district.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "organisations:district-history": Row(lambda c: f"/administrasjon/organisasjoner/bydeler/{c.district.pk}/historikk/", {"GET": OWN_BODY}),
    "organisations:municipalities": Row(
        lambda c: "/administrasjon/organisasjoner/kommuner/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/organisasjoner/kommuner/{c.world.tromso.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/organisasjoner/kommuner/{c.world.tromso.pk}/"]},
    ),
    "organisations:municipality": Row(lambda c: f"/administrasjon/organisasjoner/kommuner/{c.world.tromso.pk}/", {"GET": OWN_BODY}),
    "organisations:municipality-update": Row(lambda c: f"/administrasjon/organisasjoner/kommuner/{c.world.tromso.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(409)}),
    "organisations:municipality-history": Row(lambda c: f"/administrasjon/organisasjoner/kommuner/{c.world.tromso.pk}/historikk/", {"GET": OWN_BODY}),
    "organisations:trusts": Row(lambda c: "/administrasjon/organisasjoner/helseforetak/", {"GET": only(these(200, BACK_OFFICE))}),
    "organisations:trust": Row(lambda c: f"/administrasjon/organisasjoner/helseforetak/{c.world.trust.pk}/", {"GET": OWN_BODY}),
    "organisations:trust-update": Row(lambda c: f"/administrasjon/organisasjoner/helseforetak/{c.world.trust.pk}/endre/", {"GET": OWN_BODY, "POST": own_body(409)}),
    "organisations:trust-history": Row(lambda c: f"/administrasjon/organisasjoner/helseforetak/{c.world.trust.pk}/historikk/", {"GET": OWN_BODY}),
    # Decision-letter templates are the RHF's: its administrators (here only the system
    # administrator) edit them; everyone else who manages nothing of an RHF gets 403.
    "letters:list": Row(lambda c: "/administrasjon/brevmaler/", {"GET": only({"sysadmin": 200})}),
    "letters:create": Row(lambda c: "/administrasjon/brevmaler/ny/", {"GET": only({"sysadmin": 200}), "POST": only({"sysadmin": 400})}),
    "letters:detail": Row(lambda c: f"/administrasjon/brevmaler/{_letter(c)}/", {"GET": only({"sysadmin": 200})}),
    "letters:update": Row(lambda c: f"/administrasjon/brevmaler/{_letter(c)}/endre/", {"GET": only({"sysadmin": 200}), "POST": only({"sysadmin": 400})}),
    "letters:history": Row(lambda c: f"/administrasjon/brevmaler/{_letter(c)}/historikk/", {"GET": only({"sysadmin": 200})}),
    "letters:preview": Row(lambda c: f"/administrasjon/brevmaler/{_letter(c)}/forhandsvisning.pdf", {"GET": only({"sysadmin": 200}), "POST": only({"sysadmin": 400})}),
    "people:list": Row(
        lambda c: "/administrasjon/personer/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/personer/roller/{c.applicant_role.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/personer/roller/{c.applicant_role.pk}/"]},
    ),
    "people:role-detail": Row(lambda c: f"/administrasjon/personer/roller/{c.applicant_role.pk}/", {"GET": OWN_BODY}),
    "people:role-end": Row(lambda c: f"/administrasjon/personer/roller/{c.applicant_role.pk}/avslutt/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "people:role-history": Row(lambda c: f"/administrasjon/personer/roller/{c.applicant_role.pk}/historikk/", {"GET": OWN_BODY}),
    "people:invitations": Row(
        lambda c: "/administrasjon/personer/invitasjoner/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [INVITED]},
        shown={"secretariat": lambda c: [INVITED]},
    ),
    # An empty POST carries no version of the invitation, so it is refused as stale (409): nothing is withdrawn.
    "people:invitation-withdraw": Row(lambda c: f"/administrasjon/personer/invitasjoner/{c.invitation.pk}/trekk/", {"GET": OWN_BODY, "POST": own_body(409)}),
    "people:invite": Row(lambda c: "/administrasjon/personer/inviter/", {"GET": only(these(200, BACK_OFFICE)), "POST": only(these(400, BACK_OFFICE))}),
    # Asking to represent a municipality or a trust: any signed-in person; an empty form is 400.
    "mypage:representation": Row(lambda c: "/min-side/representasjon/", {"GET": signed_in(200), "POST": signed_in(400)}),
    # Requests are answered by those who give applicant roles for the organisation (Tromsø: the
    # pot's helsefellesskap); an empty answer is 400 and nothing is decided.
    "people:requests": Row(
        lambda c: "/administrasjon/personer/foresporsler/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/personer/foresporsler/{c.representation.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/personer/foresporsler/{c.representation.pk}/"]},
    ),
    "people:request-decide": Row(lambda c: f"/administrasjon/personer/foresporsler/{c.representation.pk}/", {"GET": OWN_BODY, "POST": own_body(400)}),
    # Member municipalities' notice addresses: an empty POST carries no version, so it is refused as stale (409).
    "people:notice-addresses": Row(
        lambda c: "/administrasjon/personer/varseladresser/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/personer/varseladresser/{c.world.tromso.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/personer/varseladresser/{c.world.tromso.pk}/"]},
    ),
    "people:notice-address-update": Row(lambda c: f"/administrasjon/personer/varseladresser/{c.world.tromso.pk}/", {"GET": OWN_BODY, "POST": own_body(409)}),
    # Grants decided elsewhere: the pots a person manages (the helsefellesskap's local pot is its
    # secretariat's; another helsefellesskap's secretariat gets 404). Empty POSTs are 400.
    "grants:index": Row(
        lambda c: "/administrasjon/tilskudd/",
        {"GET": only(these(200, BACK_OFFICE))},
        hidden={"other_secretariat": lambda c: [f"/administrasjon/tilskudd/potter/{c.local.pk}/"]},
        shown={"secretariat": lambda c: [f"/administrasjon/tilskudd/potter/{c.local.pk}/"]},
    ),
    "grants:template": Row(lambda c: "/administrasjon/tilskudd/mal.xlsx", {"GET": only(these(200, BACK_OFFICE))}),
    "grants:pot": Row(lambda c: f"/administrasjon/tilskudd/potter/{c.local.pk}/", {"GET": OWN_BODY}),
    "grants:register": Row(lambda c: f"/administrasjon/tilskudd/potter/{c.local.pk}/registrer/", {"GET": OWN_BODY, "POST": own_body(400)}),
    "grants:import": Row(lambda c: f"/administrasjon/tilskudd/potter/{c.local.pk}/importer/", {"GET": OWN_BODY, "POST": own_body(400)}),
    # --- the RHF administrator's money pages: only an RHF's administrators (none among these
    # personas) and system administrators; a helsefellesskap's secretariat gets 403. POSTs carry
    # no pot version (400) or no version of the appropriation (409): nothing is saved.
    "money:appropriations": Row(lambda c: "/administrasjon/midler/", {"GET": RHF_MONEY}),
    "money:appropriation-create": Row(lambda c: "/administrasjon/midler/bevilgninger/ny/", {"GET": RHF_MONEY, "POST": rhf_money(400)}),
    "money:appropriation-detail": Row(lambda c: f"/administrasjon/midler/bevilgninger/{c.expected_appropriation.pk}/", {"GET": RHF_MONEY}),
    "money:appropriation-pass": Row(lambda c: f"/administrasjon/midler/bevilgninger/{c.expected_appropriation.pk}/vedtatt/", {"GET": RHF_MONEY, "POST": rhf_money(409)}),
    "money:appropriation-history": Row(lambda c: f"/administrasjon/midler/bevilgninger/{c.expected_appropriation.pk}/historikk/", {"GET": RHF_MONEY}),
    "money:pots": Row(lambda c: "/administrasjon/midler/potter/", {"GET": RHF_MONEY}),
    "money:pot-create": Row(lambda c: "/administrasjon/midler/potter/ny/", {"GET": RHF_MONEY, "POST": rhf_money(400)}),
    "money:pot-detail": Row(lambda c: f"/administrasjon/midler/potter/{c.local.pk}/", {"GET": RHF_MONEY}),
    "money:pot-history": Row(lambda c: f"/administrasjon/midler/potter/{c.local.pk}/historikk/", {"GET": RHF_MONEY}),
    "money:pot-transfer": Row(lambda c: f"/administrasjon/midler/potter/{c.root.pk}/overfor/", {"GET": RHF_MONEY, "POST": rhf_money(400)}),
    "money:pot-allocate": Row(lambda c: f"/administrasjon/midler/potter/{c.local.pk}/tildel/", {"GET": RHF_MONEY, "POST": rhf_money(400)}),
    "money:keys": Row(lambda c: "/administrasjon/midler/nokler/", {"GET": RHF_MONEY}),
    "money:key-create": Row(lambda c: f"/administrasjon/midler/nokler/ny/{c.world.rhf.pk}/", {"GET": RHF_MONEY, "POST": rhf_money(400)}),
    "money:key-detail": Row(lambda c: f"/administrasjon/midler/nokler/{c.key.pk}/", {"GET": RHF_MONEY}),
    "money:key-history": Row(lambda c: f"/administrasjon/midler/nokler/{c.key.pk}/historikk/", {"GET": RHF_MONEY}),
    "money:conditional": Row(lambda c: f"/administrasjon/midler/betingede-tilsagn/?ar={c.year + 2}", {"GET": RHF_MONEY}),
    "money:commitment-confirm": Row(lambda c: f"/administrasjon/midler/betingede-tilsagn/{c.conditional.pk}/bekreft/", {"GET": POST_ONLY, "POST": rhf_money(400)}),
    "money:commitment-release": Row(lambda c: f"/administrasjon/midler/betingede-tilsagn/{c.conditional.pk}/frigjor/", {"GET": POST_ONLY, "POST": rhf_money(400)}),
    # The one-time link: the set-password form for nobody signed in (an empty form is 400); a
    # signed-in account with another e-mail address is refused.
    "accounts:invitation": Row(
        lambda c: f"/invitasjon/{c.invitation_token}/", {"GET": {**everyone(403), "anonymous": 200}, "POST": {**everyone(403), "anonymous": 400}}
    ),
    # --- the open catalogue and statistics: public for everyone
    "catalogue:project-list": Row(lambda c: "/prosjekter/", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "catalogue:project-detail": Row(lambda c: f"/prosjekter/{c.grant.pk}/", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "catalogue:statistics": Row(lambda c: "/statistikk/", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "catalogue:statistics-export": Row(lambda c: "/statistikk/storrelse.csv", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "catalogue:statistics-workbook": Row(lambda c: "/statistikk/alle.xlsx", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "catalogue:application-equality": Row(lambda c: "/statistikk/likeverd/", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    # --- the open API: public for everyone
    "api:api-root": Row(lambda c: "/api/v1/", {"GET": everyone(404)}),
    "api:openapi-json": Row(lambda c: "/api/v1/openapi.json", {"GET": everyone(200)}),
    "api:openapi-view": Row(lambda c: "/api/v1/docs", {"GET": everyone(200)}),
    "api:list_rhf": Row(lambda c: "/api/v1/rhf", {"GET": everyone(200)}),
    "api:list_helsefellesskap": Row(lambda c: "/api/v1/helsefellesskap", {"GET": everyone(200)}),
    "api:get_helsefellesskap": Row(lambda c: f"/api/v1/helsefellesskap/{c.world.hf.code}", {"GET": everyone(200)}),
    "api:list_municipalities": Row(lambda c: "/api/v1/municipalities", {"GET": everyone(200)}),
    # Two endpoints share this name; the catalogue's /statistics/per-inhabitant is in VARIANTS.
    # Totals per pot and year: public, and never a person (the requester, the approver).
    "api:payment_figures": Row(
        lambda c: "/api/v1/payments",
        {"GET": everyone(200)},
        hidden={who: (lambda c: [c.personas.applicant.username, c.personas.applicant.email, c.personas.secretariat.email]) for who in PERSONAS},
        shown={"anonymous": lambda c: ["Lokal pott", "\"requested\": 50000"]},
    ),
    "api:per_inhabitant": Row(lambda c: f"/api/v1/allocation-per-inhabitant?year={c.year}", {"GET": everyone(200)}),
    "api:list_projects": Row(lambda c: "/api/v1/projects", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "api:get_project": Row(lambda c: f"/api/v1/projects/{c.grant.pk}", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    "api:themes": Row(lambda c: "/api/v1/statistics/themes", {"GET": everyone(200)}),
    "api:size_bands": Row(lambda c: "/api/v1/statistics/size-bands", {"GET": everyone(200)}),
    "api:coverage": Row(lambda c: "/api/v1/statistics/coverage", {"GET": everyone(200)}),
    "api:equality": Row(lambda c: "/api/v1/statistics/equality", {"GET": everyone(200)}),
    "api:application_equality": Row(lambda c: "/api/v1/statistics/applications", {"GET": everyone(200)}, hidden=PUBLIC_SECRETS),
    # --- notifications, calendar and the thread on an application (issue 14)
    "notices:list": Row(lambda c: "/varsler/", {"GET": signed_in(200)}),
    "notices:mark-read": Row(lambda c: "/varsler/lest/", {"GET": POST_ONLY, "POST": signed_in(302)}),  # one's own only
    "notices:settings": Row(lambda c: "/varsler/innstillinger/", {"GET": signed_in(200), "POST": signed_in(400)}),  # no choice made
    "calendar:mine": Row(lambda c: "/kalender/", {"GET": signed_in(200)}),
    "calendar:renew": Row(lambda c: "/kalender/ny-adresse/", {"GET": POST_ONLY, "POST": signed_in(302)}),  # one's own feed only
    "calendar:wheel-index": Row(lambda c: "/kalender/arshjul/", {"GET": everyone(200)}),
    "calendar:community": Row(lambda c: f"/kalender/arshjul/helsefellesskap/{c.world.hf.code}/", {"GET": everyone(200)}),
    "calendar:rhf": Row(lambda c: f"/kalender/arshjul/rhf/{c.world.rhf.code}/", {"GET": everyone(200)}),
    # The secret address is the key: anyone holding it gets the feed, without a session.
    "calendar:feed": Row(lambda c: f"/kalender/{feeds.token(feeds.feed_for(c.personas.applicant))}.ics", {"GET": everyone(200)}),
    # The thread on the application under assessment: its authors, the committee (internal notes)
    # and the pot's secretariat; the conflicted member, other applicants and the other
    # secretariat are refused. An empty message is 400 for those let through.
    "applications:thread": Row(
        lambda c: f"/soknader/{c.assessed.pk}/samtale/",
        {
            "GET": only(these(200, ("applicant", "member", "observer", "secretariat", "sysadmin"))),
            "POST": only(these(400, ("applicant", "member", "observer", "secretariat", "sysadmin"))),
        },
        hidden={"applicant": lambda c: [INTERNAL_NOTE]},
        shown={"member": lambda c: [INTERNAL_NOTE], "applicant": lambda c: [THREAD_QUESTION]},
    ),
    # Inviting the secretariat to read a draft is for its authors (a note over 2 000 characters: 400, nothing saved).
    "applications:thread-invite": Row(
        lambda c: f"/soknader/{c.draft.pk}/samtale/inviter-sekretariatet/",
        {"GET": POST_ONLY, "POST": only({"applicant": 400})},
        data={"note": "x" * 2001},
    ),
    "applications:thread-withdraw": Row(  # no invitation to withdraw: the authors are told so
        lambda c: f"/soknader/{c.draft.pk}/samtale/trekk-invitasjonen/", {"GET": POST_ONLY, "POST": only({"applicant": 302})}
    ),
    # --- project ideas (issue 14): the owner's applicants write and convert, the secretariat of the
    # idea's helsefellesskap reads and suggests partners. Empty forms are 400 for those let through;
    # connecting the one suggested partner is a real effect on an object no other row reads.
    "ideas:list": Row(lambda c: "/prosjektideer/", {"GET": role_page(200)}),
    "ideas:new": Row(
        lambda c: "/prosjektideer/ny/", {"GET": only(these(200, ("applicant", "other_applicant"))), "POST": only(these(400, ("applicant", "other_applicant")))}
    ),
    "ideas:detail": Row(lambda c: f"/prosjektideer/{c.idea.pk}/", {"GET": only(these(200, ("applicant", *MANAGERS)))}),
    "ideas:edit": Row(lambda c: f"/prosjektideer/{c.idea.pk}/endre/", {"GET": only({"applicant": 200}), "POST": only({"applicant": 400})}),
    "ideas:partner-add": Row(lambda c: f"/prosjektideer/{c.idea.pk}/partnere/", {"GET": POST_ONLY, "POST": only(these(400, MANAGERS))}),
    "ideas:partner-connect": Row(
        lambda c: f"/prosjektideer/{c.idea.pk}/partnere/{c.idea_link.pk}/koble/", {"GET": POST_ONLY, "POST": only(these(302, MANAGERS))}
    ),
    "ideas:convert": Row(lambda c: f"/prosjektideer/{c.idea.pk}/gjor-om-til-soknad/", {"GET": only({"applicant": 200}), "POST": only({"applicant": 400})}),
}

# Second looks at URLs that already have a row, with an object whose rules differ. Keyed by the
# URL name and what differs; checked by test_matrix like the rows above.
VARIANTS: dict[str, Row] = {
    "api:per_inhabitant (catalogue statistics)": Row(lambda c: "/api/v1/statistics/per-inhabitant", {"GET": everyone(200)}),
    # --- the application the conflicted member is conflicted on, after its decision. They may
    # read the case papers and the adopted decision (it is public), nothing of its assessment.
    "applications:detail (decided, conflicted)": Row(
        lambda c: f"/soknader/{c.decided.pk}/vis/", {"GET": only(these(200, READS_APPLICATION))}, hidden=PUBLIC_SECRETS, shown={"conflicted": lambda c: [DECIDED_TITLE]}
    ),
    "applications:version (decided, conflicted)": Row(
        lambda c: f"/soknader/{c.decided.pk}/versjon/1/", {"GET": only(these(200, READS_APPLICATION))}, hidden=PUBLIC_SECRETS, shown={"conflicted": lambda c: [DECIDED_TITLE]}
    ),
    "assessment:formal-check (decided, conflicted)": Row(
        lambda c: f"/vurdering/soknad/{c.decided.pk}/formell-kontroll/", {"GET": only(these(200, ("member", "observer", *MANAGERS)))}
    ),
    # Everyone in the process reads the conflicts page; the conflicted member sees their own
    # conflict on the decided application, but not the others' conflicts on it.
    "assessment:conflicts (decided, conflicted)": Row(
        lambda c: f"/vurdering/utlysning/{c.call.pk}/habilitet/",
        {"GET": only(these(200, TAKES_PART))},
        hidden={"conflicted": lambda c: [OTHERS_CONFLICT]},
        shown={"member": lambda c: [OTHERS_CONFLICT], "conflicted": lambda c: [OWN_CONFLICT]},
    ),
    "assessment:score (decided, conflicted)": Row(
        lambda c: f"/vurdering/soknad/{c.decided.pk}/poeng/", {"GET": only(these(200, ("member", "observer", *MANAGERS)))}
    ),
    "assessment:chair (decided, conflicted)": Row(
        lambda c: f"/vurdering/mote/{c.meeting.pk}/leder/?sak={c.decided_item.order}",
        {"GET": only(these(200, TAKES_PART))},
        hidden=PUBLIC_SECRETS,
        shown={"member": lambda c: [DECIDED_TITLE, DECIDED_DELIBERATION]},
    ),
    "assessment:letter-pdf (decided, conflicted)": Row(
        lambda c: f"/vurdering/vedtak/{c.decided_decision.pk}/brev.pdf",
        {"GET": only(these(200, READS_APPLICATION))},
        hidden=PUBLIC_SECRETS,
        shown={"conflicted": lambda c: [ADOPTED_REASON]},
    ),

    # A draft withdrawn before it was ever submitted is still its authors' alone. Fails today:
    # can_view in rsportal/applications/permissions.py only keeps status "draft" private.
    "applications:detail (draft withdrawn unsubmitted)": Row(
        lambda c: f"/soknader/{c.withdrawn_draft.pk}/vis/",
        {"GET": {**role_page(REFUSED), "applicant": 200}},
    ),
    "calendar:feed (wrong token)": Row(lambda c: f"/kalender/{c.personas.applicant.pk}.1.{'0' * 40}.ics", {"GET": everyone(404)}),
}


def project_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ALLOWED_ABSENT:
                    continue
                inner = ":".join(part for part in (namespace, pattern.namespace) if part) if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"URL pattern {pattern.pattern} has no name, so it cannot have a row in the matrix"
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_url_has_a_row():
    names = project_url_names()
    missing = sorted(names - MATRIX.keys())
    stale = sorted(MATRIX.keys() - names)
    assert not missing, f"URLs without a row in tests/test_permission_matrix.py MATRIX: {missing}"
    assert not stale, f"rows for URLs that no longer exist: {stale}"
    assert {key.split(" ")[0] for key in VARIANTS} <= names, "a variant names a URL that no longer exists"


def test_every_row_names_every_persona():
    for name, row in {**MATRIX, **VARIANTS}.items():
        for method, expected in row.expect.items():
            assert set(expected) == set(PERSONAS), f"{name} {method}"
        assert set(row.hidden) | set(row.shown) <= set(PERSONAS), name


@pytest.fixture
def ctx(world, personas, settings, tmp_path):
    """One world for every row: a helsefellesskap pot with two calls, the applicant's
    applications in every state, an assessment with a conflicted member (on one application
    still up for the vote and on one already decided), a meeting, a decided grant with a
    report. Built with the domain functions, as the people would."""
    settings.MEDIA_ROOT = str(tmp_path)  # uploaded attachments
    year = timezone.localdate().year
    root = domain.root_pot(world.rhf)
    for y in (year, year + 1):
        domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=y, name=f"RS {y}", amount=130 * M, rhf=world.rhf))
    local = domain.create_pot(personas.rhf_admin, parent=root, name="Lokal pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for y in (year, year + 1):
        domain.transfer(personas.rhf_admin, source=root, target=local, year=y, amount=M)

    # The conflicted persona: a voting member of the committee, named as project leader in the
    # application under assessment; they declared it and the chair confirmed the conflict.
    # Automatic detection is not run, so `member` (who sits for Tromsø) stays unconflicted.
    conflicted = f.UserFactory(username="conflicted", first_name="Konrad", last_name="Inhabil")
    conflicted_seat = f.seat(world.stu, conflicted, side=BodyMember.Side.GP)
    people = SimpleNamespace(**vars(personas), conflicted=conflicted)

    # The call under assessment: formal check by the helsefellesskap's secretariat, scoring and
    # decision by the committee. A second call, of committee-designed projects, has no applications.
    deadline = timezone.now() + datetime.timedelta(days=30)
    call = Call.objects.create(pot=local, title="Lokal utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=M, frame_year=year)
    call.deadlines.create(at=deadline)
    add_default_criteria(call)
    call.steps.create(step="formal_check", body=world.secretariat_body)
    call.steps.create(step="decision", body=world.stu)
    designed = Call.objects.create(pot=local, title="Utvalgets prosjekter", kind=Call.Kind.DESIGNED, status=Call.Status.PUBLISHED, purpose="Formål")
    designed.deadlines.create(at=deadline)
    designed.steps.create(step="decision", body=world.stu)
    project = designed.designed_projects.create(title="Felles legevakt", description="Kommuner kan slutte seg til", designed_by=world.stu)

    def start(title):
        return applications.start_application(personas.applicant, call=call, title=title, type="project", helsefellesskap=world.hf)

    assessed = start(ASSESSED_TITLE)
    complete_and_submit(personas.applicant, assessed, trust=world.trust, owners=f"Tromsø kommune og UNN, prosjektleder {conflicted.get_full_name()}", grant_by_year={year: 400_000})
    granted = start("Digital hjemmeoppfølging av skrøpelige eldre")
    complete_and_submit(personas.applicant, granted, trust=world.trust, owners="Tromsø kommune og UNN", grant_by_year={year: 300_000, year + 1: 100_000})
    withdrawn = start("Felles rehabilitering")
    complete_and_submit(personas.applicant, withdrawn, trust=world.trust, owners="Tromsø kommune og UNN", grant_by_year={year: 200_000})
    applications.withdraw(personas.applicant, withdrawn)
    withdrawn_draft = start("Forlatt idé om pasientreiser")
    applications.withdraw(personas.applicant, withdrawn_draft)
    draft = start("Utkast til legevaktsamarbeid")
    decided = start(DECIDED_TITLE)
    complete_and_submit(personas.applicant, decided, trust=world.trust, owners=f"Tromsø kommune, styreleder {conflicted.get_full_name()}", grant_by_year={year: 250_000})

    conflict = assessment.declare_conflict(conflicted, assessed, conflicted_seat, "Jeg er prosjektleder i søknaden.")
    assessment.decide_conflict(personas.chair, conflict, conflicted=True)
    # On the decided application the conflict is still pending: the chair never ruled on it.
    assessment.declare_conflict(conflicted, decided, conflicted_seat, OWN_CONFLICT)
    observer_seat = BodyMember.objects.get(body=world.stu, user=personas.observer)
    assessment.decide_conflict(personas.chair, assessment.declare_conflict(personas.chair, decided, observer_seat, OTHERS_CONFLICT), conflicted=False)
    for scored in (assessed, decided):
        assessment.save_scores(personas.member, scored, {c.pk: (c.scale_min, SCORE_NOTE) for c in assessment.criteria_of(call)})

    # The meeting: the assessed application was deliberated (the conflicted member out of the
    # room) and a proposal is up for the vote; the other was granted, which booked the grant.
    meeting = assessment.schedule_meeting(personas.secretariat, call, starts_at=timezone.now(), location="Tromsø")
    items = {i.application_id: i for i in meeting.items.all()}
    item = items[assessed.pk]
    assessment.record_attendance(personas.chair, meeting, list(meeting.body.members.all()))
    assessment.start_item(personas.chair, item)
    assessment.start_item(personas.chair, items[granted.pk])
    assessment.end_item(personas.chair, item, DELIBERATION)
    proposal = assessment.propose_decision(personas.chair, assessed, outcome="rejected", amounts={}, reason=PROPOSAL_REASON, item=item)
    decision = assessment.propose_decision(
        personas.chair, granted, outcome="full", amounts={year: 300_000, year + 1: 100_000}, reason="Godt forankret", item=items[granted.pk]
    )
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, decision, "for")
    assert assessment.conclude(personas.chair, decision).adopted
    decision.refresh_from_db()
    # The decided application: deliberated, a grant voted down by name, a rejection adopted.
    decided_item = items[decided.pk]
    assessment.start_item(personas.chair, decided_item)
    assessment.end_item(personas.chair, decided_item, DECIDED_DELIBERATION)
    fallen = assessment.propose_decision(personas.chair, decided, outcome="full", amounts={year: 250_000}, reason=FALLEN_REASON, item=decided_item)
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, fallen, "against")
    assert not assessment.conclude(personas.chair, fallen).adopted
    decided_decision = assessment.propose_decision(personas.chair, decided, outcome="rejected", amounts={}, reason=ADOPTED_REASON, item=decided_item)
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, decided_decision, "for")
    assert assessment.conclude(personas.chair, decided_decision).adopted
    grant = decision.grant
    # The second year was not granted after all: its conditional commitment is released.
    released = domain.release_commitment(personas.secretariat, grant.commitments.get(pot_year__year=year + 1), "Andre år innvilges ikke")
    form = ReportForm({"progress": "on_track", "progress_text": "Teamet er i gang", "owner": "Tromsø kommune", "agreements": "formal", "user_involvement": "Brukerråd"})
    assert form.is_valid(), form.errors
    report = followup.submit_report(personas.applicant, grant, form=form, spending={year: (100_000, SimpleUploadedFile("regnskap.pdf", PDF))}, contributions=[])
    # The granted application's submission in its case, with its documents, in the archive of
    # the local pot's helsefellesskap (the after-commit step run here, as the tests run in one transaction).
    archive_entry = archive_recording.register("application", granted.versions.get())[0]
    assert archive_recording.build(archive_entry), archive_entry.error
    from rsportal.payments import domain as payments

    payment_request = payments.submit_request(
        personas.applicant, grant, year=year, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 6, 30),
        costs=[payments.Cost(world.tromso, 50_000, SimpleUploadedFile("bilag.pdf", PDF))],
    )
    # An annual report PDF the RHF ordered, already built (a stand-in file: the rows test who may open it).
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from rsportal.followup.models import DocumentJob

    document = DocumentJob.objects.create(
        kind=DocumentJob.Kind.ANNUAL_REPORT_PDF, rhf=world.rhf, year=year, requested_by=personas.sysadmin,
        status=DocumentJob.Status.READY, file=default_storage.save("documents/matrix.pdf", ContentFile(PDF)),
    )
    invitation, invitation_token = accounts.invite(
        personas.secretariat, email=INVITED, name="Ivar Invitert", base_url="http://testserver/", kind="applicant", municipality=world.tromso
    )

    # A pending request from the outsider to represent Tromsø (in the pot's helsefellesskap).
    representation = accounts.request_to_represent(personas.outsider, municipality=world.tromso, message="Kommuneoverlege")

    # The money back office: a later year booked as expected, and a conditional commitment against it.
    expected_appropriation = domain.book_rhf_appropriation(personas.rhf_admin, rhf=world.rhf, year=year + 2, name="RS forventet", amount=M, expected=True)
    conditional = Commitment.objects.create(
        pot_year=root.years.get(year=year + 2), kind=Commitment.Kind.ALLOCATION, amount=1_000, status=Commitment.Status.CONDITIONAL, description="Betinget"
    )

    # A project idea from Tromsø in the pot's helsefellesskap, with Harstad suggested as partner.
    from rsportal.ideas import domain as ideas

    idea = ideas.register_idea(
        personas.applicant, helsefellesskap=world.hf, title="Idé om felles legevakt", problem="Lange reiser", approach="Felles vakt",
        contact_name="Tove", contact_email="tove@example.invalid",
    )
    idea_link = ideas.suggest_partner(personas.secretariat, idea, municipality=world.harstad)

    key = domain.create_distribution_key(personas.rhf_admin, rhf=world.rhf, name="Folketall", shares={world.hf: 2, world.other_hf: 1})
    thread.post(personas.applicant, assessed, THREAD_QUESTION)
    thread.post(personas.secretariat, assessed, INTERNAL_NOTE, kind="internal")

    return SimpleNamespace(
        world=world,
        personas=people,
        key=key,
        expected_appropriation=expected_appropriation,
        conditional=conditional,
        year=year,
        document=document,
        root=root,
        local=local,
        call=call,
        designed=designed,
        project=project,
        assessed=assessed,
        attachment=assessed.attachments.first(),
        granted=granted,
        withdrawn=withdrawn,
        withdrawn_draft=withdrawn_draft,
        draft=draft,
        decided=decided,
        decided_item=decided_item,
        decided_decision=decided_decision,
        # a named vote, as the minutes write it: only the proposal that fell was voted against
        fallen_vote=f"{BodyMember.objects.get(body=world.stu, user=personas.member).name} mot",
        own_participant=draft.participants.get(municipality=world.tromso),
        conflict=conflict,
        meeting=meeting,
        item=item,
        proposal=proposal,
        decision=decision,
        grant=grant,
        released=released,
        report=report,
        archive_entry=archive_entry,
        archive_document=archive_entry.documents.first(),
        payment_request=payment_request,
        invitation=invitation,
        invitation_token=invitation_token,
        secretariat_seat=BodyMember.objects.get(body=world.secretariat_body, user=personas.secretariat),
        applicant_role=OrganisationRole.objects.get(user=personas.applicant),
        representation=representation,
        idea=idea,
        idea_link=idea_link,
        district=register_district(personas.secretariat, municipality=world.tromso, name="Bydel Sentrum"),
    )


def outcome(response):
    if response.status_code == 302 and response["Location"].startswith("/logg-inn/?"):
        return LOGIN
    return response.status_code


@pytest.fixture
def clients(ctx, settings):
    """One client per persona, signed in once (with a verified second factor) for the whole matrix."""
    settings.RSPORTAL_REQUIRE_2FA = True
    result = {}
    for who in PERSONAS:
        result[who] = Client(raise_request_exception=False)  # a crash is a 500 in the list, not the end of the run
        if who != "anonymous":
            force_verified_login(result[who], getattr(ctx.personas, who))
    return result


@pytest.fixture
def printed(monkeypatch):
    """PDFs are not printed here (their layout is tested with the documents); the views get the
    HTML a PDF would be printed from, which is kept so a row can check what the PDF shows.
    Refusals are not logged either: a thousand tracebacks would cost more than the requests."""
    seen = []

    def pdf(template, context):
        seen.append(documents.render_to_string(template, {**context, "generated_at": timezone.now()}))
        return b"%PDF-1.4 (not printed in the permission matrix)\n"

    monkeypatch.setattr(documents, "pdf", pdf)
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    return seen


def state(ctx):
    """What the rows must leave as they found it (meeting-new adds meetings of its own)."""
    return (
        sorted(Application.objects.values_list("pk", "status", "title")),
        sorted(Participant.objects.values_list("pk", flat=True)),
        sorted(BudgetLine.objects.values_list("pk", flat=True)),
        sorted(BenefitRow.objects.values_list("pk", flat=True)),
        sorted(Attachment.objects.values_list("pk", flat=True)),
        sorted(Conflict.objects.values_list("pk", "status")),
        sorted(Score.objects.values_list("pk", "value")),
        sorted(Decision.objects.values_list("pk", "status")),
        sorted(Vote.objects.values_list("pk", "choice")),
        sorted(AgendaItem.objects.filter(meeting=ctx.meeting).values_list("pk", "started_at", "ended_at", "deliberation")),
        sorted(Forwarding.objects.values_list("pk", flat=True)),
        sorted(FormalCheck.objects.values_list("pk", flat=True)),
        sorted(Commitment.objects.values_list("pk", "status", "amount")),
        sorted(Payment.objects.values_list("pk", flat=True)),
        sorted(Report.objects.values_list("pk", flat=True)),
        sorted(JoinRequest.objects.values_list("pk", flat=True)),
        sorted(PaymentRequest.objects.values_list("pk", "status", "version")),
        sorted(PartnerRecord.objects.values_list("pk", flat=True)),
        sorted(PaymentPlan.objects.values_list("pk", "advance_percent")),
    )


def test_matrix(ctx, clients, printed):
    """One test for all rows: building the world and signing ten people in once keeps it fast.
    Rows must therefore not change data other rows depend on (see the module docstring)."""
    before = state(ctx)
    wrong = []
    for name, row in sorted({**MATRIX, **VARIANTS}.items()):
        url = row.url(ctx)
        data = row.data(ctx) if callable(row.data) else row.data
        for method, expected in row.expect.items():
            for who in PERSONAS:
                printed.clear()
                response = clients[who].get(url) if method == "GET" else clients[who].post(url, data)
                got = outcome(response)
                if got != expected[who] and not (isinstance(expected[who], tuple) and got in expected[who]):
                    wrong.append(f"{name} {method} {url} as {who}: got {got}, want {expected[who]}")
                elif got == 200 and (who in row.hidden or who in row.shown):
                    text = response_text(response, printed)
                    leaked = [secret for secret in row.hidden[who](ctx) if secret in text] if who in row.hidden else []
                    missing = [part for part in row.shown[who](ctx) if part not in text] if who in row.shown else []
                    if leaked:
                        wrong.append(f"{name} {method} {url} as {who}: shows {leaked}")
                    if missing:
                        wrong.append(f"{name} {method} {url} as {who}: does not show {missing}, so the row checks nothing")
                if response.streaming:
                    # Read a file to the end, as a server would: the client then closes it without
                    # closing the database connection (calling close() here would, on PostgreSQL).
                    b"".join(response.streaming_content)
    if state(ctx) != before:
        wrong.append("a row changed data that other rows depend on")
    assert not wrong, "\n".join(wrong)
