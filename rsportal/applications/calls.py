"""Setting up a call without a system administrator: create, edit, copy last year's, publish, close.

One function per state change; each checks `domain.can_manage_calls` for the call's pot, runs in
a transaction and writes an audit record. A call is edited as a whole (its fields with its
criteria, process steps, deadlines and pre-project caps), so its version covers those rows too:
two people editing the same call's criteria cannot overwrite each other unnoticed.

Publishing is checked against the money: a call promises applicants a frame and a project
length, so the frame must fit in what the pot has free in the frame year, and every year a
project may run must have money in the pot (a frame, or an expected appropriation for a
permanent grant not yet passed in the state budget). A call that cannot be paid for is refused
with the list of everything that is missing, so the secretariat can fix it all at once.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core.admin_locking import fingerprint
from rsportal.core.audit import record
from rsportal.core.backoffice import lock
from rsportal.core.formatting import kroner
from rsportal.funding.models import Appropriation, Pot
from rsportal.funding.queries import year_summaries
from rsportal.registry.models import Body

from .domain import can_manage_calls
from .models import ApplicationType, Call, Criterion, Deadline, PreProjectCap, ProcessStep

CALL_FIELDS = [
    "title",
    "kind",
    "purpose",
    "priorities",
    "eligibility",
    "allowed_types",
    "frame_amount",
    "frame_year",
    "rolling",
    "decision_dates",
    "max_forwarded_per_helsefellesskap",
    "max_project_years",
    "pre_project_max_years",
    "light_form_max_amount",
    "light_form_types",
    "research_deducted",
    "reporting_rules",
    "requires_agreement",
    "hide_scores_until_scored",
    "publish_rejected",
    "contact",
]
CRITERION_FIELDS = ["order", "name", "description", "scale_min", "scale_max", "weight"]
STEP_FIELDS = ["step", "body", "by_each_helsefellesskap"]
DEADLINE_FIELDS = ["at", "label"]
CAP_FIELDS = ["min_municipalities", "max_amount"]
# The rows that belong to a call: (model, fields). Part of the call's version.
ROWS = {"criteria": (Criterion, CRITERION_FIELDS), "steps": (ProcessStep, STEP_FIELDS), "deadlines": (Deadline, DEADLINE_FIELDS), "caps": (PreProjectCap, CAP_FIELDS)}
INLINES = [(model, "call") for model, _fields in ROWS.values()]


def version(call: Call) -> str:
    """The call and all its rows as the form showed them."""
    return fingerprint(call, inlines=INLINES)


def _require(actor, pot: Pot) -> None:
    if not can_manage_calls(actor, pot):
        raise PermissionDenied(_("Bare sekretariatet eller RHF-administrasjonen som forvalter potten, kan sette opp utlysningene fra den."))


def _lock(call: Call, expected: str | None) -> Call:
    """backoffice.lock with the call's rows in the version."""
    current = lock(call, None)
    if expected is not None and version(current) != expected:
        lock(call, "")  # refuses with StaleEdit, saying who saved last and when
    return current


def step_bodies(pot: Pot):
    """The bodies that may do a step of a call from `pot`: the RHF's and the pot's helsefellesskap's."""
    owners = Q(rhf=pot.rhf_id)
    if pot.helsefellesskap_id:
        owners |= Q(helsefellesskap=pot.helsefellesskap_id)
    return Body.objects.filter(owners).order_by("name")


def _check(pot: Pot, values: dict, rows: dict) -> None:
    errors = []
    unknown = set(values.get("allowed_types") or []) - set(ApplicationType.values)
    if unknown:
        errors.append(_("Ukjent søknadstype."))
    allowed_bodies = set(step_bodies(pot).values_list("pk", flat=True))
    for step in rows.get("steps", []):
        body = step.get("body")
        if body is not None and body.pk not in allowed_bodies:
            errors.append(_("%(body)s hører ikke til eieren av potten.") % {"body": body.name})
        if body is None and not step.get("by_each_helsefellesskap"):
            errors.append(_("Steget «%(step)s» må ha et organ, eller gjøres av hvert helsefellesskap.") % {"step": ProcessStep.Step(step["step"]).label})
    steps = [s["step"] for s in rows.get("steps", [])]
    if len(steps) != len(set(steps)):
        errors.append(_("Hvert steg kan bare stå én gang i saksgangen."))
    for criterion in rows.get("criteria", []):
        if criterion["scale_max"] <= criterion["scale_min"]:
            errors.append(_("Kriteriet «%(name)s»: høyeste skår må være større enn laveste.") % {"name": criterion["name"]})
        if criterion["weight"] <= 0:
            errors.append(_("Kriteriet «%(name)s»: vekten må være større enn null.") % {"name": criterion["name"]})
    sizes = [c["min_municipalities"] for c in rows.get("caps", [])]
    if len(sizes) != len(set(sizes)):
        errors.append(_("Hver beløpsgrense for forprosjekt må gjelde et eget antall kommuner."))
    if errors:
        raise ValidationError(errors)


def _replace_rows(call: Call, rows: dict) -> None:
    for key, (model, fields) in ROWS.items():
        if key not in rows:
            continue
        model.objects.filter(call=call).delete()
        model.objects.bulk_create(model(call=call, **{f: row.get(f) for f in fields if f in row}) for row in rows[key])


def _summary(rows: dict) -> dict:
    return {key: len(value) for key, value in rows.items()}


@transaction.atomic
def create_call(actor, *, pot: Pot, rows: dict | None = None, **values) -> Call:
    """A new call from `pot`, as a draft nobody else sees until it is published."""
    _require(actor, pot)
    rows = rows or {}
    values = {k: values[k] for k in CALL_FIELDS if k in values}
    _check(pot, values, rows)
    call = Call.objects.create(pot=pot, status=Call.Status.DRAFT, **values)
    _replace_rows(call, rows)
    record(actor, "call.created", call, _("Utlysningen %(title)s er opprettet som utkast.") % {"title": call.title}, pot=pot.pk, **_summary(rows))
    return call


@transaction.atomic
def update_call(actor, call: Call, *, expected: str | None = None, rows: dict | None = None, **values) -> Call:
    """Change the call and, for each key given in `rows`, replace those rows. A published
    call may still be corrected (a typo, a new deadline), but not into one that could not be
    published: a larger frame or longer projects are checked against the money again."""
    _require(actor, call.pot)
    call = _lock(call, expected)
    if call.status == Call.Status.CLOSED:
        raise ValidationError(_("Utlysningen er avsluttet og kan ikke endres."))
    rows = rows or {}
    values = {k: values[k] for k in CALL_FIELDS if k in values}
    _check(call.pot, values, rows)
    changed = [k for k, v in values.items() if getattr(call, k) != v]
    for name, value in values.items():
        setattr(call, name, value)
    call.save()
    _replace_rows(call, rows)
    if call.status == Call.Status.PUBLISHED:
        problems = publish_problems(call, deadlines=False)
        if problems:
            raise ValidationError(problems)  # the transaction is rolled back: nothing is saved
    record(
        actor,
        "call.changed",
        call,
        _("Utlysningen %(title)s er endret.") % {"title": call.title},
        fields=changed,
        **_summary(rows),
    )
    return call


def _next_year(value: datetime.datetime) -> datetime.datetime:
    try:
        return value.replace(year=value.year + 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year + 1, day=28)


@transaction.atomic
def copy_call(actor, source: Call, *, expected: str | None = None) -> Call:
    """Next year's call from this one: a draft with the same text, rules, criteria, steps and
    caps, its deadlines and frame year one year later. The frame amount is kept as a starting
    point; publishing checks it against next year's money. `expected`: the version the person
    saw, so what is copied is what they looked at."""
    _require(actor, source.pot)
    source = _lock(source, expected)
    values = {k: getattr(source, k) for k in CALL_FIELDS}
    if source.frame_year:
        values["frame_year"] = source.frame_year + 1
        values["title"] = source.title.replace(str(source.frame_year), str(source.frame_year + 1))
    if values["title"] == source.title:
        values["title"] = _("%(title)s (kopi)") % {"title": source.title}
    values["title"] = values["title"][: Call._meta.get_field("title").max_length]
    call = Call.objects.create(pot=source.pot, status=Call.Status.DRAFT, **values)
    Criterion.objects.bulk_create(Criterion(call=call, **{f: getattr(c, f) for f in CRITERION_FIELDS}) for c in source.criteria.all())
    ProcessStep.objects.bulk_create(ProcessStep(call=call, **{f: getattr(s, f) for f in STEP_FIELDS}) for s in source.steps.all())
    PreProjectCap.objects.bulk_create(PreProjectCap(call=call, **{f: getattr(c, f) for f in CAP_FIELDS}) for c in source.pre_project_caps.all())
    Deadline.objects.bulk_create(Deadline(call=call, at=_next_year(d.at), label=d.label) for d in source.deadlines.all())
    record(actor, "call.copied", call, _("Utlysningen %(title)s er kopiert fra %(source)s.") % {"title": call.title, "source": source.title}, source=source.pk)
    return call


def _years(years) -> str:
    return ", ".join(str(y) for y in sorted(years))


def expected_years(pot: Pot, years) -> set[int]:
    """Years with an appropriation to the pot's RHF that is expected but not yet passed."""
    return set(
        Appropriation.objects.filter(year__in=list(years), expected=True)
        .filter(Q(rhf=pot.rhf_id) | Q(key__shares__rhf=pot.rhf_id))
        .values_list("year", flat=True)
    )


def publish_problems(call: Call, now=None, *, deadlines: bool = True) -> list[str]:
    """Everything that keeps the call from being published, in Norwegian; empty when it may be.
    `deadlines=False` for a published call being corrected after its last deadline."""
    now = now or timezone.now()
    problems = []
    if deadlines and not call.rolling and not call.deadlines.filter(at__gt=now).exists():
        problems.append(_("Utlysningen har ingen søknadsfrist fram i tid. Legg til en frist, eller velg løpende søknadsfrist."))
    if not call.criteria.filter(weight__gt=0).exists():
        problems.append(_("Utlysningen har ingen kriterier med vekt. Legg til minst ett kriterium."))
    if not call.steps.filter(step=ProcessStep.Step.DECISION, body__isnull=False).exists():
        problems.append(_("Saksgangen mangler et organ som fatter vedtak. Legg til steget «Vedtak» med organet som vedtar."))
    if not call.frame_amount or not call.frame_year:
        problems.append(_("Utlysningen mangler ramme og året rammen gjelder."))
        return problems
    summaries = {s.year: s for s in year_summaries([call.pot])[call.pot.pk]}
    frame_year = summaries.get(call.frame_year)
    free = frame_year.available if frame_year else 0
    if call.frame_amount > free:
        problems.append(
            _("Rammen på %(frame)s er større enn det %(pot)s har ledig i %(year)s: %(free)s.")
            % {"frame": kroner(call.frame_amount), "pot": call.pot.name, "year": call.frame_year, "free": kroner(max(free, 0))}
        )
    years = range(call.frame_year, call.frame_year + call.max_project_years)
    framed = {y for y, s in summaries.items() if s.frame > 0}
    uncovered = set(years) - framed
    uncovered -= expected_years(call.pot, uncovered)
    if uncovered:
        problems.append(
            _(
                "Prosjekter kan vare i %(n)s år fra %(first)s, men %(pot)s har ingen ramme og ingen forventet bevilgning for %(years)s. "
                "Overfør midler til potten for disse årene, registrer forventet bevilgning, eller kort ned maks prosjektlengde."
            )
            % {"n": call.max_project_years, "first": call.frame_year, "pot": call.pot.name, "years": _years(uncovered)}
        )
    return problems


@transaction.atomic
def publish_call(actor, call: Call, *, expected: str | None = None) -> Call:
    """Open the call to applicants, when it can be paid for and processed (publish_problems)."""
    _require(actor, call.pot)
    call = _lock(call, expected)
    if call.status != Call.Status.DRAFT:
        raise ValidationError(_("Bare et utkast kan publiseres."))
    problems = publish_problems(call)
    if problems:
        raise ValidationError(problems)
    call.status = Call.Status.PUBLISHED
    call.save(update_fields=["status"])
    record(actor, "call.published", call, _("Utlysningen %(title)s er publisert.") % {"title": call.title})
    from .notices import call_published  # imported here: notices imports the assessment models

    call_published(call)
    return call


@transaction.atomic
def close_call(actor, call: Call, *, expected: str | None = None) -> Call:
    """Stop taking applications; those already sent in are processed as before."""
    _require(actor, call.pot)
    call = _lock(call, expected)
    if call.status != Call.Status.PUBLISHED:
        raise ValidationError(_("Bare en publisert utlysning kan avsluttes."))
    call.status = Call.Status.CLOSED
    call.save(update_fields=["status"])
    record(actor, "call.closed", call, _("Utlysningen %(title)s er avsluttet.") % {"title": call.title})
    return call
