"""State changes of the assessment: one function per change, each in a transaction,
checking permission, writing the audit trail and queuing notifications."""

import datetime
import hashlib

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions as account_permissions
from rsportal.applications import lifecycle, notices
from rsportal.applications.models import Application, Call, Criterion, ProcessStep
from rsportal import archive
from rsportal.core.audit import notify, record
from rsportal.core.models import AuditEvent
from rsportal.core.request_memo import memoized
from rsportal.core.formatting import kroner, local_stamp, person_name
from rsportal.funding import domain as funding
from rsportal.funding.models import Grant
from rsportal.registry.models import Body, BodyMember

from . import agenda, headroom, meeting_rules, voting
from .models import AgendaItem, Conflict, ConflictVote, Decision, FormalCheck, Forwarding, Meeting, Score, Vote

# Starting a meeting this long before its date needs the chair's explicit confirmation.
EARLY_START_MARGIN = datetime.timedelta(days=1)


class AssessmentError(Exception):
    """A rule was broken; the message is shown as it is."""


class StaleEdit(AssessmentError):
    """Someone changed the object after the form was drawn: the save is refused rather than
    applied on top. The message says who changed what; the form keeps what the user typed."""


# --- optimistic locking ------------------------------------------------------
#
# Every form that changes shared state posts back a token for what it showed: a timestamp,
# an id, a status or a fingerprint. The domain function locks a row, re-reads the token under
# the lock and refuses if it differs. `expected=None` means the caller posted no form (a script
# or a test) and skips the check; the views always pass a string, "" meaning "nothing yet".


def stamp(value: datetime.datetime | None) -> str:
    """A timestamp as the token a form posts back ("" when there is none)."""
    return value.isoformat() if value else ""


def _digest(rows) -> str:
    rows = sorted(rows)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:24] if rows else ""


def _who(user) -> str:
    return person_name(user) if user is not None else _("Noen andre")


def _last_actor(action: str, obj) -> str:
    event = AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("actor").first()
    return _who(event.actor if event else None)


def formal_check_version(application: Application) -> str:
    check = FormalCheck.objects.filter(application=application).only("checked_at").first()
    return stamp(check.checked_at if check else None)


def scores_fingerprint(member: BodyMember | None, application: Application) -> str:
    """Changes whenever the member's scores on the application are saved, added or removed."""
    if member is None:
        return ""
    rows = Score.objects.filter(application=application, member=member).values_list("criterion_id", "value", "comment", "updated_at")
    return _digest((criterion, value, comment, stamp(at)) for criterion, value, comment, at in rows)


def forwarding_fingerprint(call: Call, helsefellesskap) -> str:
    """Changes whenever the helsefellesskap's prioritisation is saved: forward() recreates the rows."""
    rows = Forwarding.objects.filter(application__call=call, helsefellesskap=helsefellesskap).values_list("pk", "application_id", "rank", "joint")
    return _digest(rows)


def pending_proposal(application: Application) -> Decision | None:
    return application.decisions.filter(status=Decision.Status.PROPOSED).select_related("proposed_by").order_by("-proposed_at", "-pk").first()


# --- who does what ---------------------------------------------------------


def step_body(call: Call, *steps: str) -> Body | None:
    """The body doing the first of `steps` that the call has configured."""
    configured = {s.step: s for s in call.steps.select_related("body")}
    for step in steps:
        if step in configured and configured[step].body_id:
            return configured[step].body
    return None


def scoring_body(call: Call) -> Body | None:
    return step_body(call, ProcessStep.Step.SCORING, ProcessStep.Step.DECISION)


def decision_body(call: Call) -> Body | None:
    return step_body(call, ProcessStep.Step.DECISION)


def seat(user, body: Body | None) -> BodyMember | None:
    if body is None or not user.is_authenticated:
        return None
    return account_permissions.active_seats(user).filter(body=body).first()


@memoized
def manages(user, call: Call) -> bool:
    """The secretariat side: the pot's managers (RHF admin, RHF or community secretariat)."""
    pot = call.pot
    return account_permissions.can_manage_money(user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap)


@memoized
def takes_part(user, call: Call) -> bool:
    """Anyone with a role in the call's process: managers and seats in its bodies."""
    if manages(user, call):
        return True
    bodies = call.steps.exclude(body=None).values_list("body_id", flat=True)
    return account_permissions.active_seats(user).filter(body_id__in=bodies).exists()


MEETING_ROLES = (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY, BodyMember.Role.SECRETARY, BodyMember.Role.MINUTE_TAKER)


def runs_meeting(user, body: Body | None) -> bool:
    """Leader, deputy, secretary and minute-taker run the meeting: attendance, the agenda."""
    member = seat(user, body)
    return member is not None and member.role in MEETING_ROLES


def runs_item(user, item: AgendaItem) -> bool:
    """Who runs one item: the acting chair (the deputy when the leader is out), or the secretary
    or minute-taker; never someone who must leave the room for it."""
    member = seat(user, item.meeting.body)
    if member is None or member.pk in meeting_rules.out_of_room(item):
        return False
    if member.role in (BodyMember.Role.SECRETARY, BodyMember.Role.MINUTE_TAKER):
        return True
    chair = meeting_rules.acting_chair(item)
    return chair is not None and chair.pk == member.pk


def conflicted_members(application: Application) -> set[int]:
    return {c.member_id for c in application.conflicts.all() if c.blocks}


def is_conflicted(member: BodyMember | None, application: Application) -> bool:
    return member is not None and application.conflicts.filter(member=member).exclude(status=Conflict.Status.DISMISSED).exists()


def candidates(call: Call):
    """Applications in the assessment: submitted ones; where the call has a local
    prioritisation step, only those a helsefellesskap has forwarded."""
    applications = call.applications.filter(status=Application.Status.SUBMITTED)
    if call.steps.filter(step=ProcessStep.Step.LOCAL_PRIORITISATION).exists():
        applications = applications.filter(forwarding__isnull=False)
    return applications


# --- formal check and local prioritisation ----------------------------------


@transaction.atomic
def record_formal_check(
    actor, application: Application, *, outcome: str, efficient_use, not_ordinary_operation, digital_compliant, note: str, expected: str | None = None
) -> FormalCheck:
    """`expected` is formal_check_version() of the check the form showed ("" for none)."""
    call = application.call
    body = step_body(call, ProcessStep.Step.FORMAL_CHECK)
    if not (manages(actor, call) or (seat(actor, body) and seat(actor, body).role != BodyMember.Role.OBSERVER)):
        raise PermissionDenied(_("Du utfører ikke formell kontroll for denne utlysningen."))
    # The application row serialises the checkers, also when there is no check to lock yet.
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if refusal := lifecycle.refusal(locked, lifecycle.FORMAL_CHECK):
        raise AssessmentError(refusal)
    if outcome != FormalCheck.Outcome.ELIGIBLE and not note.strip():
        raise AssessmentError(_("Begrunn resultatet når søknaden ikke oppfyller kravene fullt ut."))
    current = FormalCheck.objects.filter(application=application).select_related("checked_by").first()
    if expected is not None and stamp(current.checked_at if current else None) != expected:
        raise StaleEdit(
            _(
                "%(who)s lagret formell kontroll av søknaden %(when)s (resultat: %(outcome)s) etter at du åpnet siden. "
                "Kontrollen din er ikke lagret, men står fortsatt i skjemaet. Se hva som er lagret nå, og lagre på nytt hvis du vil erstatte det."
            )
            % {"who": _who(current.checked_by), "when": local_stamp(current.checked_at), "outcome": current.get_outcome_display()}
            if current
            else _("Den formelle kontrollen du så, finnes ikke lenger. Kontrollen din er ikke lagret, men står fortsatt i skjemaet; lagre på nytt.")
        )
    check, created = FormalCheck.objects.update_or_create(
        application=application,
        defaults={
            "outcome": outcome,
            "efficient_use": efficient_use,
            "not_ordinary_operation": not_ordinary_operation,
            "digital_compliant": digital_compliant,
            "note": note,
            "checked_by": actor,
        },
    )
    record(actor, "assessment.formal_check", application, _("Formell kontroll: %(outcome)s") % {"outcome": check.get_outcome_display()}, note=note)
    notices.formal_check_recorded(check, previous=current)
    return check


@transaction.atomic
def forward(
    actor, call: Call, helsefellesskap, *, ranked: list[Application], joint: list[Application], expected: str | None = None, reasons: dict[int, str] | None = None
) -> list[Forwarding]:
    """Local prioritisation: the helsefellesskap approves, ranks and forwards its applications.
    `expected` is forwarding_fingerprint() of the prioritisation the form showed; `reasons`
    (application id -> text) says why an application is not forwarded, for its applicants."""
    if not (account_permissions.is_secretariat(actor, helsefellesskap) or account_permissions.is_rhf_admin(actor, call.pot.rhf)):
        raise PermissionDenied(_("Bare sekretariatet i helsefellesskapet kan prioritere søknadene."))
    Call.objects.select_for_update().get(pk=call.pk)  # serialises every prioritisation of the call
    limit = call.max_forwarded_per_helsefellesskap
    if limit and len(ranked) > limit:
        raise AssessmentError(_("Helsefellesskapet kan sende videre høyst %(n)s søknader (i tillegg til felles søknader).") % {"n": limit})
    for application in [*ranked, *joint]:
        if application.call_id != call.pk or application.helsefellesskap_id != helsefellesskap.pk:
            raise AssessmentError(_("«%(t)s» hører ikke til dette helsefellesskapet og denne utlysningen.") % {"t": application.title})
        if application.status != Application.Status.SUBMITTED:
            raise AssessmentError(_("«%(t)s» er ikke sendt inn.") % {"t": application.title})
    if expected is not None and forwarding_fingerprint(call, helsefellesskap) != expected:
        raise StaleEdit(_stale_forwarding(call, helsefellesskap))
    before = set(Forwarding.objects.filter(application__call=call, helsefellesskap=helsefellesskap).values_list("application_id", flat=True))
    Forwarding.objects.filter(application__call=call, helsefellesskap=helsefellesskap).delete()
    rows = [Forwarding(application=a, helsefellesskap=helsefellesskap, rank=i, forwarded_by=actor) for i, a in enumerate(ranked, start=1)]
    rows += [Forwarding(application=a, helsefellesskap=helsefellesskap, joint=True, forwarded_by=actor) for a in joint]
    Forwarding.objects.bulk_create(rows)
    record(
        actor,
        "assessment.forwarded",
        call,
        _("%(hf)s sendte videre %(n)s søknader (%(j)s felles)") % {"hf": helsefellesskap.name, "n": len(rows), "j": len(joint)},
        ranked=[a.pk for a in ranked],
        joint=[a.pk for a in joint],
    )
    notices.after_forwarding(actor, call, helsefellesskap, before=before, reasons=reasons)
    return rows


def _stale_forwarding(call: Call, helsefellesskap) -> str:
    current = list(Forwarding.objects.filter(application__call=call, helsefellesskap=helsefellesskap).select_related("application", "forwarded_by").order_by("joint", "rank", "pk"))
    kept = _("Prioriteringen din er ikke lagret, men står fortsatt i skjemaet. Lagre på nytt hvis den skal erstatte den som er lagret nå.")
    if not current:
        return _("Prioriteringen for %(hf)s ble endret etter at du åpnet siden, og ingen søknader er sendt videre nå.") % {"hf": helsefellesskap.name} + " " + kept
    latest = max(current, key=lambda f: f.forwarded_at)
    listing = ", ".join(f"{f.rank}. {f.application.title}" if not f.joint else _("«%(t)s» (felles)") % {"t": f.application.title} for f in current)
    return (
        _("%(who)s lagret prioriteringen for %(hf)s %(when)s etter at du åpnet siden. Sendt videre nå: %(list)s.")
        % {"who": _who(latest.forwarded_by), "hf": helsefellesskap.name, "when": local_stamp(latest.forwarded_at), "list": listing}
        + " "
        + kept
    )


# --- conflicts of interest -------------------------------------------------


def _named(member: BodyMember, application: Application) -> bool:
    name = member.name.strip().lower()
    email = (member.user.email if member.user_id else "").lower()
    texts = [application.project_owners, *(f"{p.contact_name} {p.contact_email}" for p in application.participants.all())]
    haystack = " ".join(t.lower() for t in texts if t)
    return bool(name and name in haystack) or bool(email and email in haystack)


@transaction.atomic
def detect_conflicts(actor, call: Call) -> list[Conflict]:
    """Flag members named in an application, or representing one of its participants."""
    if not takes_part(actor, call):
        raise PermissionDenied(_("Du har ingen rolle i behandlingen av denne utlysningen."))
    bodies = {b for b in (scoring_body(call), decision_body(call)) if b}
    members = list(BodyMember.objects.active_on(timezone.localdate()).filter(body__in=bodies).select_related("user"))
    created = []
    for application in candidates(call).prefetch_related("participants"):
        municipalities = {p.municipality_id for p in application.participants.all() if p.municipality_id}
        trusts = {p.trust_id for p in application.participants.all() if p.trust_id}
        for member in members:
            if member.municipality_id in municipalities or member.trust_id in trusts:
                source, reason = Conflict.Source.ORGANISATION, _("Representerer %(org)s, som er med i søknaden.") % {"org": member.municipality or member.trust}
            elif _named(member, application):
                source, reason = Conflict.Source.NAMED, _("Navnet står i søknaden.")
            else:
                continue
            conflict, was_created = Conflict.objects.get_or_create(
                application=application, member=member, defaults={"source": source, "reason": reason, "raised_by": actor}
            )
            if was_created:
                created.append(conflict)
    record(actor, "assessment.conflicts_detected", call, _("Habilitet sjekket automatisk: %(n)s nye flagg") % {"n": len(created)})
    return created


@transaction.atomic
def declare_conflict(actor, application: Application, member: BodyMember, reason: str) -> Conflict:
    """A member declares themselves, or another member, possibly conflicted."""
    call = application.call
    own = seat(actor, member.body)
    if own is None and not manages(actor, call):
        raise PermissionDenied(_("Bare medlemmer av organet og sekretariatet kan melde inhabilitet."))
    if not reason.strip():
        raise AssessmentError(_("Skriv hvorfor medlemmet kan være inhabilt."))
    source = Conflict.Source.SELF if own and own.pk == member.pk else Conflict.Source.OTHER
    conflict, created = Conflict.objects.get_or_create(
        application=application, member=member, defaults={"source": source, "reason": reason, "raised_by": actor}
    )
    if not created:
        raise AssessmentError(_("Habiliteten til %(name)s i denne saken er allerede meldt.") % {"name": member.name})
    record(actor, "assessment.conflict_declared", application, _("%(name)s meldt mulig inhabil: %(reason)s") % {"name": member.name, "reason": reason})
    # Those who decide it: the leader, the deputy when it concerns the leader, or the body's voters.
    deciders = meeting_rules.conflict_deciders(conflict) or meeting_rules.conflict_voters(conflict)
    from .visibility import may_notify

    deciders = [d for d in deciders if d.user_id and may_notify(d.user, application)]  # one conflicted on the case is not told about it
    notify([d.user.email for d in deciders], _("Habilitet må vurderes: %(t)s") % {"t": application.title}, _("%(name)s: %(reason)s") % {"name": member.name, "reason": reason})
    return conflict


def may_decide_conflict(user, conflict: Conflict) -> bool:
    """Whether the conflicts page offers `user` the buttons: the deciding leader or deputy, a
    voter when the body decides, or the secretariat when no other voting member exists."""
    deciders = meeting_rules.conflict_deciders(conflict)
    if deciders:
        return any(d.user_id == user.pk for d in deciders)
    voters = meeting_rules.conflict_voters(conflict)
    if voters:
        return any(v.user_id == user.pk for v in voters)
    return manages(user, conflict.application.call)


@transaction.atomic
def decide_conflict(actor, conflict: Conflict, *, conflicted: bool, expected_status: str | None = None) -> Conflict:
    """Decide a possible conflict. The leader decides; the deputy when the conflict is about the
    leader or the leader is conflicted in the same application; with neither, the body votes
    without the member concerned (this records the actor's vote, and the conflict is decided when
    a majority agrees, or as conflicted on a tie once all have voted). No conflict is left
    without someone who can decide it: see meeting_rules.
    `expected_status` is the status the person saw when choosing."""
    # decided_by is nullable (an outer join): lock only the conflict's own row.
    conflict = Conflict.objects.select_for_update(of=("self",)).select_related("member__body", "decided_by", "application__call").get(pk=conflict.pk)
    own = seat(actor, conflict.member.body)
    if own is not None and own.pk == conflict.member_id and own.role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY):
        raise AssessmentError(_("Du kan ikke avgjøre din egen habilitet; nestleder eller organet avgjør."))
    deciders = meeting_rules.conflict_deciders(conflict)
    voters = []
    if deciders:
        if own is None or own.pk not in {d.pk for d in deciders}:
            raise PermissionDenied(_("%(name)s (%(role)s) avgjør denne habiliteten.") % {"name": deciders[0].name, "role": deciders[0].get_role_display().lower()})
    else:
        voters = meeting_rules.conflict_voters(conflict)
        if not voters and not manages(actor, conflict.application.call):
            raise PermissionDenied(_("Organet har ingen andre stemmeberettigede; sekretariatet avgjør habiliteten."))
        if voters and (own is None or own.pk not in {v.pk for v in voters}):
            raise PermissionDenied(_("Organet avgjør denne habiliteten ved avstemning, uten medlemmet det gjelder, og du er ikke blant dem som stemmer."))
    if expected_status is not None and conflict.status != expected_status:
        raise StaleEdit(
            _(
                "%(who)s avgjorde habiliteten til %(name)s %(when)s: %(status)s. Din avgjørelse (%(choice)s) er ikke lagret. "
                "Se avgjørelsen som gjelder nå, og avgjør på nytt hvis den skal endres."
            )
            % {
                "who": _who(conflict.decided_by),
                "name": conflict.member.name,
                "when": local_stamp(conflict.decided_at),
                "status": conflict.get_status_display().lower(),
                "choice": (Conflict.Status.CONFIRMED.label if conflicted else Conflict.Status.DISMISSED.label).lower(),
            }
        )
    how = ""
    if voters:
        ConflictVote.objects.update_or_create(conflict=conflict, member=own, defaults={"conflicted": conflicted})
        record(actor, "assessment.conflict_vote", conflict.application, _("%(voter)s stemte om habiliteten til %(name)s") % {"voter": own.name, "name": conflict.member.name})
        votes = dict(conflict.votes.values_list("member_id", "conflicted"))
        outcome = meeting_rules.conflict_vote_outcome(votes, {v.pk for v in voters})
        if outcome is None:
            return conflict
        conflicted = outcome
        how = _(" av organet ved avstemning (%(yes)s inhabil, %(no)s habil)") % {"yes": sum(votes.values()), "no": len(votes) - sum(votes.values())}
    conflict.status = Conflict.Status.CONFIRMED if conflicted else Conflict.Status.DISMISSED
    conflict.decided_by = actor
    conflict.decided_at = timezone.now()
    conflict.save()
    if conflicted:
        Score.objects.filter(application=conflict.application, member=conflict.member).delete()
    record(
        actor,
        "assessment.conflict_decided",
        conflict.application,
        _("%(name)s vurdert som %(status)s%(how)s") % {"name": conflict.member.name, "status": conflict.get_status_display().lower(), "how": how},
    )
    return conflict


# --- scoring -----------------------------------------------------------------


def scorer(user, application: Application) -> BodyMember | None:
    member = seat(user, scoring_body(application.call))
    if member is None or not member.voting or is_conflicted(member, application):
        return None
    return member


@transaction.atomic
def save_scores(actor, application: Application, values: dict[int, tuple[int, str]], *, expected: str | None = None) -> list[Score]:
    """Save a member's scores (criterion id -> (value, comment)) for one application.
    `expected` is scores_fingerprint() of the scores the form showed."""
    member = scorer(actor, application)
    if member is None:
        raise PermissionDenied(_("Du kan ikke gi poeng på denne søknaden (ikke stemmeberettiget medlem, eller inhabil)."))
    if not candidates(application.call).filter(pk=application.pk).exists():
        raise AssessmentError(_("Søknaden er ikke til vurdering."))
    BodyMember.objects.select_for_update().get(pk=member.pk)  # serialises the member's own saves (two tabs)
    criteria = {c.pk: c for c in application.call.criteria.all()}
    if expected is not None and scores_fingerprint(member, application) != expected:
        current = list(Score.objects.filter(application=application, member=member).order_by("criterion__order", "criterion_id"))
        kept = _("Poengene du skrev nå, er ikke lagret, men står fortsatt i skjemaet. Lagre på nytt hvis de skal erstatte de lagrede.")
        if not current:
            raise StaleEdit(_("Poengene dine på denne søknaden er fjernet etter at du åpnet siden.") + " " + kept)
        raise StaleEdit(
            _("Poengene dine på denne søknaden ble lagret %(when)s, i en annen fane eller et annet vindu, etter at du åpnet siden. Lagret nå: %(saved)s.")
            % {
                "when": local_stamp(max(s.updated_at for s in current)),
                "saved": "; ".join(f"{criteria[s.criterion_id].name} = {s.value}" for s in current if s.criterion_id in criteria),
            }
            + " "
            + kept
        )
    saved = []
    for criterion_id, (value, comment) in values.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise AssessmentError(_("Ukjent kriterium."))
        if not criterion.scale_min <= value <= criterion.scale_max:
            raise AssessmentError(
                _("%(name)s skal ha poeng fra %(low)s til %(high)s.") % {"name": criterion.name, "low": criterion.scale_min, "high": criterion.scale_max}
            )
        previous = Score.objects.filter(application=application, criterion=criterion, member=member).first()
        score, _created = Score.objects.update_or_create(
            application=application, criterion=criterion, member=member, defaults={"value": value, "comment": comment}
        )
        if previous is None or previous.value != value or previous.comment != comment:
            record(
                actor,
                "assessment.score",
                application,
                _("%(member)s: %(criterion)s = %(value)s%(was)s")
                % {"member": member.name, "criterion": criterion.name, "value": value, "was": f" (var {previous.value})" if previous and previous.value != value else ""},
                criterion=criterion.pk,
                value=value,
                previous=previous.value if previous else None,
            )
        saved.append(score)
    return saved


def may_see_scores(user, application: Application) -> bool:
    """Whether the user may see the members' scores on the application: the `scores` part of
    `visibility.what_may_see`, where the rule lives (conflicted members never; the secretariat
    side always; members once they have scored themselves, if the call says so)."""
    from .visibility import what_may_see

    return what_may_see(user, application).scores


# --- the meeting -----------------------------------------------------------


@transaction.atomic
def schedule_meeting(actor, call: Call, *, starts_at: datetime.datetime, location: str = "", pitch_minutes: int = 15, changeover_minutes: int = 0) -> Meeting:
    """A meeting of the deciding body with every candidate on the agenda, in equal slots,
    ordered so that conflicted members leave the room as few times as possible."""
    body = decision_body(call)
    if body is None:
        raise AssessmentError(_("Utlysningen har ikke noe organ for vedtak."))
    if not (manages(actor, call) or runs_meeting(actor, body)):
        raise PermissionDenied(_("Bare sekretariatet eller leder kan sette opp møtet."))
    if pitch_minutes < 1:
        raise AssessmentError(_("Hvert prosjekt må ha minst ett minutt."))
    # The body's row is locked so two meetings scheduled at once cannot take the same number.
    Body.objects.select_for_update().filter(pk=body.pk).first()
    year = timezone.localtime(starts_at).year
    numbered = Meeting.objects.filter(body=body, year=year)
    number = (numbered.aggregate(n=Max("number"))["n"] or 0) + 1
    case = AgendaItem.objects.filter(meeting__in=numbered).aggregate(n=Max("case_number"))["n"] or 0
    meeting = Meeting.objects.create(
        call=call,
        body=body,
        starts_at=starts_at,
        location=location,
        pitch_minutes=pitch_minutes,
        changeover_minutes=changeover_minutes,
        created_by=actor,
        year=year,
        number=number,
    )
    applications = list(
        candidates(call).select_related("helsefellesskap").prefetch_related("conflicts").order_by("helsefellesskap__name", "forwarding__joint", "forwarding__rank", "pk")
    )
    ordered = agenda.order_items(applications, conflicted_members)
    slot = datetime.timedelta(minutes=pitch_minutes)
    gap = datetime.timedelta(minutes=changeover_minutes)
    start = starts_at
    for order, application in enumerate(ordered, start=1):
        AgendaItem.objects.create(meeting=meeting, application=application, order=order, case_number=case + order, planned_start=start, planned_end=start + slot)
        start += slot + gap
    record(
        actor,
        "assessment.meeting_scheduled",
        meeting,
        _("%(label)s satt opp %(date)s med %(n)s saker (sak %(first)s–%(last)s); medlemmer forlater rommet %(k)s ganger")
        % {
            "label": meeting.label,
            "date": timezone.localtime(starts_at).strftime("%d.%m.%Y %H:%M"),
            "n": len(ordered),
            "first": f"{case + 1}/{year % 100:02d}",
            "last": f"{case + len(ordered)}/{year % 100:02d}",
            "k": agenda.count_leaves(ordered, conflicted_members),
        },
    )
    return meeting


def early_start(meeting: Meeting) -> bool:
    """Whether starting the meeting now would be well before its date (a mistake, or a
    meeting moved forward that the chair must confirm). Once an item has started, it is under way."""
    if meeting.items.filter(started_at__isnull=False).exists():
        return False
    return timezone.now() < meeting.starts_at - EARLY_START_MARGIN


@transaction.atomic
def record_attendance(actor, meeting: Meeting, present: list[BodyMember]) -> Meeting:
    """Who is present. Leader, deputy, secretary or minute-taker records it, and may record it
    again when someone arrives or leaves; the quorum of each vote counts who is present then."""
    given = meeting
    meeting = Meeting.objects.select_for_update().select_related("body").get(pk=meeting.pk)
    if not runs_meeting(actor, meeting.body):
        raise PermissionDenied(_("Bare leder, nestleder, sekretær eller referent registrerer oppmøtet."))
    seats = {m.pk: m for m in BodyMember.objects.active_on(timezone.localdate()).filter(body=meeting.body)}
    strangers = [m for m in present if m.pk not in seats]
    if strangers:
        raise AssessmentError(_("%(name)s har ikke sete i %(body)s.") % {"name": strangers[0].name, "body": meeting.body.name})
    meeting.present.set([seats[m.pk] for m in present])
    meeting.attendance_recorded_at = timezone.now()
    meeting.save(update_fields=["attendance_recorded_at"])
    given.attendance_recorded_at = meeting.attendance_recorded_at  # the caller's instance too
    names = sorted(seats[m.pk].name for m in present)
    record(actor, "assessment.attendance", meeting, _("Til stede: %(names)s") % {"names": ", ".join(names) or _("ingen")}, present=[m.pk for m in present])
    return meeting


@transaction.atomic
def start_item(actor, item: AgendaItem, *, confirm_early: bool = False) -> AgendaItem:
    """Open an item: conflicted members are recorded as having left the room. Starting the
    meeting more than a day before its date needs `confirm_early` from the one running it."""
    item = AgendaItem.objects.select_for_update().select_related("meeting__body", "application").get(pk=item.pk)
    if not runs_item(actor, item):
        raise PermissionDenied(_("Bare den som leder saken (leder, eller nestleder når leder er inhabil eller borte), sekretær eller referent styrer den."))
    meeting = item.meeting
    if item.started_at is None and early_start(meeting) and not confirm_early:
        raise AssessmentError(
            _("Møtet er satt opp %(when)s. Bekreft at møtet holdes nå, før oppsatt tid, for å starte saken.") % {"when": local_stamp(meeting.starts_at)}
        )
    early = item.started_at is None and early_start(meeting)
    item.started_at = item.started_at or timezone.now()
    item.save(update_fields=["started_at"])
    out = [c.member for c in item.application.conflicts.select_related("member") if c.blocks and c.member.body_id == meeting.body_id]
    item.left_room.set(out)
    record(
        actor,
        "assessment.item_started",
        item.application,
        _("Sak %(n)s startet; forlot rommet: %(names)s") % {"n": item.order, "names": ", ".join(m.name for m in out) or _("ingen")}
        + (" " + _("Møtet ble bekreftet holdt før oppsatt tid (%(when)s).") % {"when": local_stamp(meeting.starts_at)} if early else ""),
    )
    return item


@transaction.atomic
def end_item(actor, item: AgendaItem, deliberation: str = "", *, expected_ended_at: str | None = None) -> AgendaItem:
    """`expected_ended_at` is stamp() of the item's end as the form showed it ("" when still open)."""
    item = AgendaItem.objects.select_for_update().select_related("meeting__body", "application").get(pk=item.pk)
    if not runs_item(actor, item):
        raise PermissionDenied(_("Bare den som leder saken, sekretær eller referent styrer den."))
    if expected_ended_at is not None and stamp(item.ended_at) != expected_ended_at:
        raise StaleEdit(
            _(
                "%(who)s avsluttet sak %(n)s %(when)s etter at du åpnet siden; drøftingen som er lagret, står under «Drøfting». "
                "Drøftingen din er ikke lagret, men står fortsatt i feltet. Lagre på nytt hvis den skal erstatte den som er lagret."
            )
            % {"who": _last_actor("assessment.item_ended", item.application), "n": item.order, "when": local_stamp(item.ended_at)}
            if item.ended_at
            else _("Saken er åpnet på nytt etter at du lastet siden. Drøftingen din er ikke lagret, men står fortsatt i feltet; lagre på nytt.")
        )
    item.ended_at = timezone.now()
    if deliberation:
        item.deliberation = deliberation
    item.save(update_fields=["ended_at", "deliberation"])
    record(actor, "assessment.item_ended", item.application, _("Sak %(n)s avsluttet") % {"n": item.order})
    return item


# --- decisions ---------------------------------------------------------------


def _clean_amounts(amounts: dict) -> dict[str, int]:
    cleaned = {}
    for year, amount in amounts.items():
        year, amount = int(year), int(amount)
        if amount < 0:
            raise AssessmentError(_("Beløp kan ikke være negative."))
        if amount:
            cleaned[str(year)] = amount
    return dict(sorted(cleaned.items()))


@transaction.atomic
def propose_decision(
    actor,
    application: Application,
    *,
    outcome: str,
    amounts: dict,
    reason: str,
    part_description: str = "",
    item: AgendaItem | None = None,
    expected_pending: str | None = None,
) -> Decision:
    """Any seat holder, observers included (they may propose), puts a decision to the vote.
    A new proposal replaces one that is still up for the vote (its votes lapse), so the form
    posts `expected_pending`: the id of the pending proposal it showed, "" for none."""
    call = application.call
    body = decision_body(call)
    member = seat(actor, body)
    if member is None and not manages(actor, call):
        raise PermissionDenied(_("Bare organet som fatter vedtak og sekretariatet kan fremme forslag til vedtak."))
    if member is not None and is_conflicted(member, application):
        raise PermissionDenied(_("Du er inhabil i denne saken."))
    Application.objects.select_for_update().get(pk=application.pk)  # serialises proposals on the application
    item = item or agenda_item(application, body)
    if item is None:
        raise AssessmentError(_("Forslag til vedtak legges fram i møte: søknaden står ikke på dagsorden i noe møte i %(body)s.") % {"body": body.name})
    item.refresh_from_db(fields=["started_at"])
    if item.started_at is None:
        raise AssessmentError(_("Sak %(n)s er ikke startet. Forslag kan legges fram først når saken er startet.") % {"n": item.order})
    if not reason.strip():
        raise AssessmentError(_("Alle vedtak skal begrunnes."))
    amounts = _clean_amounts(amounts)
    if outcome in Decision.GRANTING and not amounts:
        raise AssessmentError(_("Oppgi beløp per år for et vedtak som innvilger tilskudd."))
    if outcome not in Decision.GRANTING and amounts:
        raise AssessmentError(_("Et avslag har ikke beløp."))
    if outcome == Decision.Outcome.PARTIAL and not part_description.strip():
        raise AssessmentError(_("Beskriv hvilken del av prosjektet som får tilskudd."))
    if outcome == Decision.Outcome.PRE_PROJECT:
        if len(amounts) > call.pre_project_max_years:
            raise AssessmentError(_("Et forprosjekt kan få tilskudd for høyst %(n)s år.") % {"n": call.pre_project_max_years})
        # Distinct municipalities: two city districts of Oslo are one municipality taking part.
        cap = call.pre_project_cap(application.participants.filter(municipality__isnull=False).values("municipality").distinct().count())
        if cap is not None and sum(amounts.values()) > cap:
            raise AssessmentError(_("Et forprosjekt med så mange kommuner kan få høyst %(cap)s.") % {"cap": kroner(cap)})
    if application.decisions.filter(status=Decision.Status.ADOPTED).exists():
        raise AssessmentError(_("Søknaden har allerede et vedtak."))
    if outcome in Decision.GRANTING and (refused := headroom.refusal(call.pot, amounts)):
        raise AssessmentError(refused)  # before anyone votes, not when the money is booked
    pending = pending_proposal(application)
    if expected_pending is not None and str(pending.pk if pending else "") != expected_pending:
        kept = _("Forslaget ditt er ikke lagt fram, men står fortsatt i skjemaet.")
        if pending is None:
            raise StaleEdit(_("Forslaget som var til avstemning da du åpnet siden, er avsluttet eller trukket.") + " " + kept + " " + _("Legg det fram på nytt."))
        raise StaleEdit(
            _("%(who)s la fram et forslag til vedtak (%(outcome)s) %(when)s etter at du åpnet siden, og det er nå til avstemning med %(votes)s stemmer.")
            % {"who": _who(pending.proposed_by), "outcome": pending.get_outcome_display().lower(), "when": local_stamp(pending.proposed_at), "votes": pending.votes.count()}
            + " "
            + kept
            + " "
            + _("Legger du det fram på nytt, erstatter det forslaget som er til avstemning, og stemmene som er avgitt, faller bort.")
        )
    application.decisions.filter(status=Decision.Status.PROPOSED).update(status=Decision.Status.NOT_ADOPTED, concluded_at=timezone.now())
    decision = Decision.objects.create(
        application=application, item=item, body=body, outcome=outcome, amounts=amounts, reason=reason, part_description=part_description, proposed_by=actor
    )
    record(
        actor,
        "assessment.decision_proposed",
        application,
        _("Forslag til vedtak: %(outcome)s %(amount)s") % {"outcome": decision.get_outcome_display(), "amount": kroner(decision.total()) if amounts else ""},
        amounts=amounts,
    )
    return decision


def agenda_item(application: Application, body: Body | None) -> AgendaItem | None:
    """The application's item in the body's latest meeting."""
    return AgendaItem.objects.filter(application=application, meeting__body=body).select_related("meeting__body", "application").order_by("-meeting__starts_at", "-pk").first()


def eligible_voters(decision: Decision) -> set[int]:
    """Voting seats present at the meeting, not conflicted and not out of the room."""
    if decision.item_id is None:
        return set()
    return meeting_rules.voters(decision.item)


def _voting_open(decision: Decision) -> AgendaItem:
    """The decision's item, refused unless it has started and the body has a quorum."""
    item = decision.item
    if item is None:
        raise AssessmentError(_("Forslaget hører ikke til noen sak i et møte."))
    if item.started_at is None:
        raise AssessmentError(_("Sak %(n)s er ikke startet. Det kan stemmes først når saken er startet.") % {"n": item.order})
    check = meeting_rules.quorum(item)
    if not check.ok:
        raise AssessmentError(check.reason)
    return item


@transaction.atomic
def cast_vote(actor, decision: Decision, choice: str) -> Vote:
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.status != Decision.Status.PROPOSED:
        raise AssessmentError(_("Avstemningen er avsluttet."))
    member = seat(actor, decision.body)
    if member is None or not member.voting or is_conflicted(member, decision.application):
        raise PermissionDenied(_("Du har ikke stemmerett i denne saken (observatør, referent, inhabil eller ikke medlem)."))
    _voting_open(decision)
    if member.pk not in eligible_voters(decision):
        raise AssessmentError(_("Du er ikke registrert som til stede i saken. Leder eller sekretær registrerer oppmøtet."))
    if choice not in Vote.Choice.values:
        raise AssessmentError(_("Ukjent stemme."))
    vote, _created = Vote.objects.update_or_create(decision=decision, member=member, defaults={"choice": choice})
    record(actor, "assessment.vote", decision.application, _("%(name)s stemte %(choice)s") % {"name": member.name, "choice": vote.get_choice_display().lower()})
    return vote


@transaction.atomic
def conclude(actor, decision: Decision, *, later_years_conditional: bool = True) -> voting.Result:
    """Count the votes by the body's rule; an adopted grant books the money against the pot."""
    # The application row first, in the order proposals, reopenings and withdrawals lock: no deadlock, and whichever waits sees the state that won.
    Application.objects.select_for_update().only("pk").get(pk=decision.application_id)
    # item is nullable (an outer join): lock only the decision's own row.
    decision = Decision.objects.select_for_update(of=("self",)).select_related("application__call__pot", "body", "item__meeting__body", "item__application").get(pk=decision.pk)
    if decision.item is None or not runs_item(actor, decision.item):
        raise PermissionDenied(_("Bare den som leder saken, sekretær eller referent avslutter avstemningen."))
    if decision.status != Decision.Status.PROPOSED:
        raise AssessmentError(_("Avstemningen er allerede avsluttet."))
    if refusal := lifecycle.refusal(decision.application, lifecycle.DECIDE):
        raise AssessmentError(refusal)
    item = _voting_open(decision)
    # The casting vote is the acting chair's: the deputy's when the leader had to leave.
    chair = meeting_rules.acting_chair(item)
    votes = dict(decision.votes.values_list("member_id", "choice"))
    result = voting.tally(decision.body.decision_rule, votes, eligible_voters(decision), chair.pk if chair else None)
    decision.status = Decision.Status.ADOPTED if result.adopted else Decision.Status.NOT_ADOPTED
    decision.casting_vote_used = result.casting_vote_used
    decision.concluded_at = timezone.now()
    application = decision.application
    if result.adopted and decision.outcome in Decision.GRANTING:
        grant = Grant.objects.create(
            pot=application.call.pot,
            title=application.title,
            helsefellesskap=application.helsefellesskap,
            pre_project=Grant.PreProject.YES if decision.outcome == Decision.Outcome.PRE_PROJECT else Grant.PreProject.NO,
            round_label=application.call.title,
            reference=_("Vedtak i %(body)s %(date)s") % {"body": decision.body.name, "date": timezone.localdate().strftime("%d.%m.%Y")},
            description="\n\n".join(t for t in (application.goal, application.target_group, application.activities) if t.strip()),
            # Not classified yet: the secretariat classifies it, starting from a suggestion
            # read from the application (funding.classification.suggest).
            initiated_by=_initiator(application),
        )
        # The grant's organisations are its owners, as the application said; the partners stay participants (Grant.participants).
        grant.municipalities.set([p.municipality_id for p in application.participants.all() if p.municipality_id and p.is_owner])
        grant.trusts.set([p.trust_id for p in application.participants.all() if p.trust_id and p.is_owner])
        amounts = {int(year): amount for year, amount in decision.amounts.items()}
        first = min(amounts)
        try:
            funding.commit_grant(actor, grant=grant, amounts=amounts, conditional_from=first + 1 if later_years_conditional else None, decided=True)
        except funding.FundingError as exc:
            raise AssessmentError(str(exc)) from exc
        decision.grant = grant
        from rsportal.followup.domain import plan_reports

        plan_reports(grant)
    decision.save()
    record(actor, "assessment.decision_concluded", application, f"{decision.get_outcome_display()}: {result.explanation}", counts=result.counts)
    if result.adopted:
        notices.decided(decision)
        archive.record("letter", decision, actor)  # the letter goes out with the decision
    return result


def _initiator(application: Application) -> str:
    """Who took the initiative: the organisation of the person who started the application."""
    from rsportal.applications.permissions import applicant_scopes

    municipalities, trusts = applicant_scopes(application.created_by)
    if municipalities and not trusts:
        return "municipality"
    if trusts and not municipalities:
        return "trust"
    return ""


def adopted_decisions(call: Call):
    return Decision.objects.filter(application__call=call, status=Decision.Status.ADOPTED).select_related("application", "grant")


def criteria_of(call: Call):
    return Criterion.objects.filter(call=call).order_by("order", "pk")


def conflicts_for_user(user, call: Call):
    return Conflict.objects.filter(application__call=call).filter(Q(member__user=user)).select_related("application")
