"""The application's lifecycle: one state machine that every change of an application goes through.

States. Four are stored in Application.status; three follow from the decision rows, which
already record what the deciding body did (one adopted decision per application, enforced by
the database), so they are never copied into a second place that could drift:

    draft        Utkast                 stored
    submitted    Sendt inn              stored
    revision     Åpnet for revisjon     stored
    withdrawn    Trukket                stored
    in_vote      Til avstemning         submitted, with a proposal for a decision up for the vote
    granted      Innvilget              an adopted decision that grants money (ends the lifecycle)
    not_granted  Ikke innvilget         an adopted decision that refuses or asks for a new
                                        application (ends the lifecycle)

An adopted decision outranks the stored status, so an application decided before this
module existed and reopened or withdrawn afterwards is still closed.

Transitions: who may make each, and from which states. Anything not in this table is refused.

    transition          from                              to           who
    ------------------  --------------------------------  -----------  ----------------------------------------
    edit                draft, revision                   (same)       applicant of a participating organisation
    (sections, budget lines, benefit rows, attachments)
    add_participant     draft, revision                   (same)       applicant of a participating organisation;
                                                                       only a project owner's applicant adds an owner
    remove_participant  draft, revision                   (same)       applicant of a participating organisation;
                                                                       never a project owner; an owner's applicant
                                                                       removes anyone else, others only their own
                                                                       organisation or participants they added
    submit              draft, revision                   submitted    applicant of a participating organisation
    reopen              submitted                         revision     secretariat of the helsefellesskap or RHF,
                                                                       RHF administrator
    withdraw            draft, submitted, in_vote,        withdrawn    applicant of a participating organisation
                        revision
    formal_check        submitted, in_vote                (same)       formal-check body or the pot's managers
                                                                       (checked in assessment.record_formal_check)
    decide              in_vote                           granted,     leader or secretary of the deciding body
                                                          not_granted  (checked in assessment.conclude); a
                                                          or back to   proposal that is not adopted leaves the
                                                          submitted    application submitted

A granted application is not withdrawn: its grant is ended on the money side, by releasing
the commitments, which keeps the decision and the accounts truthful.

`require()` is called inside the caller's transaction by every domain function that changes an
application: it checks the role, locks the application row and re-reads the state under the
lock, so a change racing a submission, a reopening or a decision waits and is then judged on
the state that won. `allowed()` answers the same question without locking, for the views,
which show only the actions the machine allows.
"""

from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.assessment.models import Decision

from . import permissions
from .models import Application, Participant


class ApplicationError(Exception):
    """A rule was broken; the message is shown to the user as it is."""


class TransitionRefused(ApplicationError):
    """The application's state (or a guard) does not allow the change."""


# --- states ------------------------------------------------------------------

DRAFT = Application.Status.DRAFT.value
SUBMITTED = Application.Status.SUBMITTED.value
REVISION = Application.Status.REVISION.value
WITHDRAWN = Application.Status.WITHDRAWN.value
IN_VOTE = "in_vote"
GRANTED = "granted"
NOT_GRANTED = "not_granted"

STATES = (DRAFT, SUBMITTED, IN_VOTE, REVISION, WITHDRAWN, GRANTED, NOT_GRANTED)
EDITABLE = frozenset({DRAFT, REVISION})
CLOSED = frozenset({WITHDRAWN, GRANTED, NOT_GRANTED})

LABELS = {
    DRAFT: Application.Status.DRAFT.label,
    SUBMITTED: Application.Status.SUBMITTED.label,
    REVISION: Application.Status.REVISION.label,
    WITHDRAWN: Application.Status.WITHDRAWN.label,
    IN_VOTE: gettext_lazy("Til avstemning"),
    GRANTED: gettext_lazy("Innvilget"),
    NOT_GRANTED: gettext_lazy("Ikke innvilget"),
}

# "Søknaden kan ikke <action> fordi <reason>."
_REASONS = {
    DRAFT: gettext_lazy("den ikke er sendt inn"),
    SUBMITTED: gettext_lazy("den er sendt inn"),
    REVISION: gettext_lazy("den er åpnet for revisjon"),
    WITHDRAWN: gettext_lazy("den er trukket"),
    IN_VOTE: gettext_lazy("den er til avstemning i organet som fatter vedtak"),
    GRANTED: gettext_lazy("den er innvilget"),
    NOT_GRANTED: gettext_lazy("det er fattet vedtak om den"),
}


def _state(status: str, decisions) -> str:
    """The state from the stored status and the application's decision rows."""
    adopted = [d for d in decisions if d.status == Decision.Status.ADOPTED]
    if adopted:
        return GRANTED if adopted[0].outcome in Decision.GRANTING else NOT_GRANTED
    if status == SUBMITTED and any(d.status == Decision.Status.PROPOSED for d in decisions):
        return IN_VOTE
    return status


def state(application: Application) -> str:
    """The application's state now. Uses prefetched decisions when the caller has them."""
    if application.pk is None:
        return application.status  # not saved yet, so nothing can have been decided
    return _state(application.status, list(application.decisions.all()))


def label(application: Application) -> str:
    """The state as applicants see it: a vote in progress is the deciding body's business."""
    current = state(application)
    return str(LABELS[SUBMITTED if current == IN_VOTE else current])


# --- who ----------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    name: str
    # None: the assessment function that makes the transition checks the role itself, with the
    # call's process configuration (see the table above), before it asks this module.
    check: Callable | None
    refusal: str = ""


APPLICANT = Role("applicant", permissions.is_participant, gettext_lazy("Du er ikke med på denne søknaden."))
SECRETARIAT = Role("secretariat", permissions.can_reopen, gettext_lazy("Bare sekretariatet kan åpne en søknad for revisjon."))
FORMAL_CHECKER = Role("formal_checker", None)
DECIDING_BODY = Role("deciding_body", None)


def _owner_organisations(actor, application: Application) -> bool:
    municipalities, trusts = permissions.applicant_scopes(actor)
    return any(p.is_owner and (p.municipality_id in municipalities or p.trust_id in trusts) for p in application.participants.all())


def _guard_add(actor, application: Application, *, is_owner: bool = False, **_context) -> str | None:
    # An owner decides who else owns: otherwise a co-applicant could make an organisation of
    # theirs an owner and then remove the others.
    if is_owner and not _owner_organisations(actor, application):
        return _("Bare søkere for prosjekteieren kan legge til en ny prosjekteier.")
    return None


def _guard_remove(actor, application: Application, *, participant: Participant, **_context) -> str | None:
    if participant.is_owner:
        return _("%(org)s er prosjekteier og kan ikke fjernes fra søknaden.") % {"org": participant.organisation}
    if _owner_organisations(actor, application):
        return None
    municipalities, trusts = permissions.applicant_scopes(actor)
    own = participant.municipality_id in municipalities or participant.trust_id in trusts
    if own or (participant.added_by_id is not None and participant.added_by_id == actor.pk):
        return None
    return _("Bare prosjekteieren kan fjerne andre deltakere. Du kan fjerne din egen organisasjon og deltakere du selv har lagt til.")


# --- transitions ----------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    name: str
    action: str  # completes "Søknaden kan ikke ..."
    sources: frozenset
    role: Role
    guard: Callable | None = None
    hints: dict | None = None  # state -> what to do instead


_ASK_FOR_REVISION = gettext_lazy("Be sekretariatet åpne den for revisjon.")
_EDIT_HINTS = {SUBMITTED: _ASK_FOR_REVISION}
_ONLY_SUBMITTED = gettext_lazy("Bare innsendte søknader kan åpnes for revisjon.")

EDIT = Transition("edit", gettext_lazy("endres"), EDITABLE, APPLICANT, hints=_EDIT_HINTS)
ADD_PARTICIPANT = Transition("add_participant", gettext_lazy("endres"), EDITABLE, APPLICANT, _guard_add, _EDIT_HINTS)
REMOVE_PARTICIPANT = Transition("remove_participant", gettext_lazy("endres"), EDITABLE, APPLICANT, _guard_remove, _EDIT_HINTS)
SUBMIT = Transition("submit", gettext_lazy("sendes inn"), EDITABLE, APPLICANT)
REOPEN = Transition(
    "reopen", gettext_lazy("åpnes for revisjon"), frozenset({SUBMITTED}), SECRETARIAT,
    hints={DRAFT: _ONLY_SUBMITTED, REVISION: _ONLY_SUBMITTED, WITHDRAWN: _ONLY_SUBMITTED},
)
WITHDRAW = Transition(
    "withdraw", gettext_lazy("trekkes"), frozenset({DRAFT, SUBMITTED, IN_VOTE, REVISION}), APPLICANT,
    hints={GRANTED: gettext_lazy("Et innvilget tilskudd avsluttes ved at sekretariatet frigjør det, ikke ved at søknaden trekkes.")},
)
FORMAL_CHECK = Transition("formal_check", gettext_lazy("kontrolleres"), frozenset({SUBMITTED, IN_VOTE}), FORMAL_CHECKER)
DECIDE = Transition("decide", gettext_lazy("avgjøres"), frozenset({IN_VOTE}), DECIDING_BODY)

TRANSITIONS = (EDIT, ADD_PARTICIPANT, REMOVE_PARTICIPANT, SUBMIT, REOPEN, WITHDRAW, FORMAL_CHECK, DECIDE)


def _message(transition: Transition, current: str) -> str:
    message = _("Søknaden kan ikke %(action)s fordi %(reason)s.") % {"action": transition.action, "reason": _REASONS[current]}
    hint = (transition.hints or {}).get(current)
    return f"{message} {hint}" if hint else message


def _refusal(application: Application, transition: Transition, current: str, actor, context) -> str | None:
    if current not in transition.sources:
        return _message(transition, current)
    if transition.guard is not None:
        return transition.guard(actor, application, **context)
    return None


def _check_role(application: Application, transition: Transition, actor) -> None:
    if transition.role.check is not None and not transition.role.check(actor, application):
        raise PermissionDenied(str(transition.role.refusal))


def refusal(application: Application, transition: Transition, actor=None, **context) -> str | None:
    """Why the transition is not allowed now, or None. Reads the decisions afresh; the caller
    holds the application row's lock and has checked the role (the assessment functions)."""
    current = _state(application.status, list(Decision.objects.filter(application_id=application.pk).only("status", "outcome")))
    return _refusal(application, transition, current, actor, context)


def require(application: Application, transition: Transition, actor, **context) -> None:
    """Refuse (PermissionDenied for the wrong person, TransitionRefused for the wrong state or a
    broken guard) unless `actor` may make `transition` now. Call inside the transaction that
    makes the change: the application row stays locked until it commits."""
    _check_role(application, transition, actor)
    application.status = Application.objects.select_for_update().filter(pk=application.pk).values_list("status", flat=True).get()
    message = refusal(application, transition, actor, **context)
    if message:
        raise TransitionRefused(message)


def allowed(application: Application, transition: Transition, actor, **context) -> bool:
    """Whether to offer the action: the same rules as require(), without locking."""
    if transition.role.check is not None and not transition.role.check(actor, application):
        return False
    return _refusal(application, transition, state(application), actor, context) is None
