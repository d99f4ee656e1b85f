"""Saksgang: where an application is in its handling, step by step, as its applicants see it.

    Sendt inn -> Formell kontroll -> Helsefellesskapets prioritering -> Til behandling -> Vedtak

Each step is read from the record the assessment keeps (the formal check, the forwarding
rows and the adopted decision), so the page and the e-mails (notices.py) cannot tell two
stories. Only what `visibility.what_may_see(...).progress` allows the applicants to know is
read here: outcomes, reasons given to them and dates; never scores, proposals that were not
adopted, votes, deliberation or conflicts of interest.

The helsefellesskap's reason for not forwarding an application is kept in the audit trail
(the "assessment.not_forwarded" event that notices.after_forwarding records), since the
forwarding rows only exist for the applications that were forwarded.
"""

import datetime
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.assessment.models import Decision, FormalCheck, Forwarding
from rsportal.assessment.visibility import published_decision
from rsportal.core.formatting import kroner, long_date
from rsportal.core.models import AuditEvent

from . import lifecycle
from .models import Application, ProcessStep

NOT_FORWARDED = "assessment.not_forwarded"

DONE, CURRENT, WAITING, STOPPED = "done", "current", "waiting", "stopped"
STATE_LABELS = {
    DONE: gettext_lazy("Fullført"),
    CURRENT: gettext_lazy("Pågår"),
    WAITING: gettext_lazy("Ikke ennå"),
    STOPPED: gettext_lazy("Stoppet her"),
}

# What each outcome of the formal check means for the applicants: the grey zone in plain words.
OUTCOME_TEXTS = {
    FormalCheck.Outcome.ELIGIBLE: gettext_lazy("Søknaden oppfyller kravene i utlysningen."),
    FormalCheck.Outcome.REAPPLY: gettext_lazy(
        "Søknaden er i en gråsone: den oppfyller ikke kravene slik den er nå. Dere blir bedt om å sende en ny søknad ved neste tildeling."
    ),
    FormalCheck.Outcome.PART: gettext_lazy(
        "Søknaden er i en gråsone: bare deler av prosjektet oppfyller kravene. Den kan få tilskudd til de delene; organet som fatter vedtak, avgjør hvilke."
    ),
    FormalCheck.Outcome.PRE_PROJECT: gettext_lazy(
        "Søknaden er i en gråsone: den kan få tilskudd til et forprosjekt i stedet for hele prosjektet. Organet som fatter vedtak, avgjør."
    ),
    FormalCheck.Outcome.REJECTED: gettext_lazy("Søknaden oppfyller ikke kravene i utlysningen."),
}


@dataclass
class Step:
    key: str
    title: str
    state: str
    date: datetime.datetime | datetime.date | None = None
    lines: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, path)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def date_text(self) -> str:
        return long_date(self.date)


@dataclass
class ForwardingState:
    """The helsefellesskap's answer: forwarded (with its row), not forwarded (with the reason
    and date) or not given yet (both None)."""

    forwarding: Forwarding | None = None
    refusal: AuditEvent | None = None

    @property
    def reason(self) -> str:
        return (self.refusal.data or {}).get("reason", "") if self.refusal else ""


def _configured(application: Application) -> set[str]:
    return {s.step for s in application.call.steps.all()}


def decision_body_name(application: Application) -> str:
    step = next((s for s in application.call.steps.all() if s.step == ProcessStep.Step.DECISION and s.body_id), None)
    return step.body.name if step else ""


def formal_check(application: Application) -> FormalCheck | None:
    return FormalCheck.objects.filter(application=application).first()


def forwarding_state(application: Application) -> ForwardingState:
    forwarding = Forwarding.objects.filter(application=application).select_related("helsefellesskap").first()
    if forwarding is not None:
        return ForwardingState(forwarding=forwarding)
    refusal = AuditEvent.objects.filter(action=NOT_FORWARDED, object_type=Application._meta.label_lower, object_id=str(application.pk)).order_by("-at", "-pk").first()
    return ForwardingState(refusal=refusal)


def needs_formal_check(application: Application) -> bool:
    return ProcessStep.Step.FORMAL_CHECK in _configured(application)


def needs_forwarding(application: Application) -> bool:
    return ProcessStep.Step.LOCAL_PRIORITISATION in _configured(application)


def in_assessment_since(application: Application, check: FormalCheck | None, forwarded: ForwardingState):
    """When the application reached the deciding body (the last of the steps before it that
    the call has), or None while it has not. A formal check in the grey zone, or one that
    finds the rules unmet, still goes to the body: it decides."""
    dates = [application.submitted_at]
    if needs_formal_check(application) or check is not None:
        if check is None:
            return None
        dates.append(check.checked_at)
    if needs_forwarding(application):
        if forwarded.forwarding is None:
            return None
        dates.append(forwarded.forwarding.forwarded_at)
    return max(d for d in dates if d)


def forwarding_lines(application: Application, forwarded: ForwardingState) -> list[str]:
    name = application.helsefellesskap.name
    row = forwarded.forwarding
    if row is not None and row.joint:
        return [_("%(hf)s har sendt søknaden videre som felles søknad med andre helsefellesskap.") % {"hf": name}]
    if row is not None:
        return [_("%(hf)s har prioritert søknaden som nr. %(rank)s og sendt den videre.") % {"hf": name, "rank": row.rank}]
    lines = [_("%(hf)s har ikke sendt søknaden videre til behandling.") % {"hf": name}]
    if forwarded.reason:
        lines.append(_("Begrunnelse: %(reason)s") % {"reason": forwarded.reason})
    return lines


def formal_check_lines(check: FormalCheck) -> list[str]:
    lines = [_("Resultat: %(outcome)s.") % {"outcome": check.get_outcome_display()}, str(OUTCOME_TEXTS[check.outcome])]
    if check.note.strip():
        lines.append(_("Begrunnelse: %(note)s") % {"note": check.note.strip()})
    return lines


def decision_lines(decision: Decision) -> list[str]:
    lines = [_("%(body)s har fattet vedtak: %(outcome)s.") % {"body": decision.body.name, "outcome": decision.get_outcome_display()}]
    if decision.amounts:
        years = ", ".join(f"{year}: {kroner(int(amount))}" for year, amount in sorted(decision.amounts.items()))
        lines.append(_("Tilskudd: %(years)s.") % {"years": years})
    if decision.part_description.strip():
        lines.append(_("Del av prosjektet: %(part)s") % {"part": decision.part_description.strip()})
    if decision.reason.strip():
        lines.append(_("Begrunnelse: %(reason)s") % {"reason": decision.reason.strip()})
    return lines


def letter_path(decision: Decision) -> str:
    return reverse("assessment:letter-pdf", args=[decision.pk])


def _withdrawn_at(application: Application):
    event = AuditEvent.objects.filter(action="application.withdrawn", object_type=Application._meta.label_lower, object_id=str(application.pk)).order_by("-at").first()
    return event.at if event else None


def steps(application: Application) -> list[Step]:
    """The Saksgang of a submitted application ([] for a draft never sent in). The caller has
    checked that the reader may see it: `what_may_see(user, application).progress`."""
    if application.submitted_at is None:
        return []
    state = lifecycle.state(application)
    decision = published_decision(application.decisions.all())
    check = formal_check(application)
    forwarded = forwarding_state(application) if needs_forwarding(application) else ForwardingState()
    result = []

    submitted = Step("submitted", _("Sendt inn"), DONE, application.submitted_at)
    if state == lifecycle.REVISION:
        submitted.state = CURRENT
        submitted.lines.append(_("Sekretariatet har åpnet søknaden for revisjon. Send den inn på nytt når den er endret."))
    result.append(submitted)

    if needs_formal_check(application) or check is not None:
        step = Step("formal_check", _("Formell kontroll"), WAITING)
        if check is not None:
            step.state, step.date, step.lines = DONE, check.checked_at, formal_check_lines(check)
        else:
            step.lines.append(_("Sekretariatet kontrollerer om søknaden oppfyller kravene i utlysningen."))
        result.append(step)

    if needs_forwarding(application):
        step = Step("forwarding", _("Prioritering i helsefellesskapet"), WAITING)
        if forwarded.forwarding is not None:
            step.state, step.date, step.lines = DONE, forwarded.forwarding.forwarded_at, forwarding_lines(application, forwarded)
        elif forwarded.refusal is not None and decision is None:
            step.state, step.date, step.lines = STOPPED, forwarded.refusal.at, forwarding_lines(application, forwarded)
        else:
            step.lines.append(_("%(hf)s prioriterer søknadene og sender de høyest prioriterte videre.") % {"hf": application.helsefellesskap.name})
        result.append(step)

    if any(s.state == STOPPED for s in result):
        result = [s for s in result if s.state != WAITING]  # not forwarded: nothing more happens to it
    else:
        result += _assessment_and_decision(application, decision, check, forwarded)

    if state == lifecycle.WITHDRAWN and decision is None:
        result = [s for s in result if s.state in (DONE, STOPPED)]
        result.append(Step("withdrawn", _("Trukket"), DONE, _withdrawn_at(application), [_("Søkerne har trukket søknaden.")]))
    return result


def _assessment_and_decision(application: Application, decision: Decision | None, check: FormalCheck | None, forwarded: ForwardingState) -> list[Step]:
    since = in_assessment_since(application, check, forwarded)
    assessment = Step("assessment", _("Til behandling"), WAITING)
    if decision is not None or since is not None:
        assessment.state, assessment.date = (DONE if decision is not None else CURRENT), since
    if body := decision_body_name(application):
        assessment.lines.append(_("Søknaden vurderes og behandles av %(body)s.") % {"body": body})
    final = Step("decision", _("Vedtak"), WAITING)
    if decision is not None:
        final.state, final.date, final.lines = DONE, decision.concluded_at, decision_lines(decision)
        final.links.append((_("Vedtaksbrev (PDF)"), letter_path(decision)))
    return [assessment, final]


def current_step(rows: list[Step]) -> Step | None:
    """The step the application is at now: the first not completed, or the last."""
    return next((s for s in rows if s.state in (CURRENT, STOPPED)), None) or next((s for s in rows if s.state == WAITING), None) or (rows[-1] if rows else None)
