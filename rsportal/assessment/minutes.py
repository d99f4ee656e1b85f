"""The minutes (protokoll) of a meeting: what they say, who reads which part, and their approval.

The minutes are built as plain data (`content`) from the meeting: heading, attendance, the
chair and the minute-taker, and per item (case number "sak 12/26") who left the room and why,
the proposals with proposer, the vote in words ("Vedtatt 5-1, 1 avsto, 2 inhabile") and the
decision with its amounts per year. Until approved they are a draft ("UTKAST") read from the
live data. `approve_minutes` freezes that data as a snapshot on the meeting: later edits to
the meeting (a deliberation corrected, a proposal withdrawn) do not change approved minutes.

Every reader gets the same minutes redacted by `visibility.what_may_see`, draft or approved:
on an item where the reader is conflicted, no deliberation, no proposals that fell, no votes
and no tally. Why a member left the room (the conflict's reason, which may name family or an
employer) is shown only to readers who see the handling of the item; the others read the
neutral "inhabil (fvl. § 6)". Numbers and names of those who left the room are shown to all:
the law requires the minutes to say who did not take part."""

import copy
import json

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal import archive
from rsportal.core.audit import record
from rsportal.core.formatting import kroner, long_date, person_name
from rsportal.registry.models import BodyMember

from . import documents, meeting_rules, visibility
from .models import Decision, Meeting

APPROVERS = (BodyMember.Role.LEADER, BodyMember.Role.SECRETARY)


class MinutesError(Exception):
    """A refusal with a message for the person."""


def when(value) -> str:
    """'18. november 2026 kl. 09.00'."""
    return _("%(date)s kl. %(time)s") % {"date": long_date(value), "time": timezone.localtime(value).strftime("%H.%M")}


def tally_words(decision: Decision, conflicted: int) -> str:
    """The vote as the minutes write it: 'Vedtatt 5-1, 1 avsto, 2 inhabile' / 'Ikke vedtatt 2-4'."""
    counts = {"for": 0, "against": 0, "abstain": 0}
    for vote in decision.votes.all():
        counts[vote.choice] += 1
    adopted = decision.status == Decision.Status.ADOPTED
    words = (_("Vedtatt") if adopted else _("Ikke vedtatt")) + f" {counts['for']}-{counts['against']}"
    if adopted and counts["for"] and not (counts["against"] or counts["abstain"]):
        words += " " + _("(enstemmig)")
    if counts["abstain"]:
        words += ", " + _("%(n)s avsto") % {"n": counts["abstain"]}
    if conflicted:
        words += ", " + (_("1 inhabil") if conflicted == 1 else _("%(n)s inhabile") % {"n": conflicted})
    if decision.casting_vote_used:
        words += ", " + _("leders dobbeltstemme avgjorde")
    return words


def _seat_name(user, seats: list[BodyMember]) -> str:
    seat = next((s for s in seats if s.user_id == user.pk), None)
    return seat.name if seat else person_name(user)


def content(meeting: Meeting) -> dict:
    """The full minutes as plain data (kept as the snapshot when approved): nothing redacted."""
    body = meeting.body
    seats = list(BodyMember.objects.active_on(timezone.localtime(meeting.starts_at).date()).filter(body=body).select_related("user").order_by("role", "name"))
    present = meeting_rules.present(meeting)
    voting_ids = {s.pk for s in seats if s.voting and s.role not in meeting_rules.NOT_VOTING_ROLES}
    leader = next((s for s in seats if s.role == BodyMember.Role.LEADER), None)
    members = [
        {"name": s.name, "side": s.get_side_display(), "role": s.get_role_display(), "voting": s.voting_label, "basis": s.basis, "present": None if present is None else s.pk in present}
        for s in seats
    ]
    items = []
    queryset = meeting.items.select_related("application__helsefellesskap").prefetch_related(
        "application__participants__municipality", "application__participants__trust", "application__participants__district", "application__conflicts__member", "left_room", "decisions__votes__member", "decisions__proposed_by"
    )
    for item in queryset:
        application = item.application
        conflicts = {c.member_id: c for c in application.conflicts.all() if c.blocks}
        left = [
            {"name": c.member.name, "reason": c.reason.strip().rstrip("."), "conflict": True, "pending": c.status == c.Status.PENDING} for c in conflicts.values()
        ]
        left += [{"name": m.name, "reason": "", "conflict": False, "pending": False} for m in item.left_room.all() if m.pk not in conflicts]
        chair = meeting_rules.acting_chair(item)
        proposals = []
        for d in sorted(item.decisions.all(), key=lambda d: d.proposed_at):
            if d.status == Decision.Status.PROPOSED:
                continue  # still open: not part of the minutes until the vote is concluded
            proposals.append(
                {
                    "adopted": d.status == Decision.Status.ADOPTED,
                    "outcome": d.get_outcome_display(),
                    "amounts": [[year, kroner(amount)] for year, amount in sorted(d.amounts.items())],
                    "total": kroner(d.total()) if len(d.amounts) > 1 else "",
                    "part": d.part_description,
                    "reason": d.reason,
                    "proposer": _seat_name(d.proposed_by, seats),
                    "tally": tally_words(d, len(voting_ids & set(conflicts))),
                    "votes": [[v.member.name, v.get_choice_display().lower()] for v in sorted(d.votes.all(), key=lambda v: v.member.name)],
                }
            )
        items.append(
            {
                "application_id": application.pk,
                "case": item.case_label,
                "reference": application.case_number,
                "title": application.title,
                "organisations": [p.organisation.name for p in application.participants.all()] or [application.helsefellesskap.name],
                "helsefellesskap": application.helsefellesskap.name,
                "time": f"{timezone.localtime(item.started_at):%H.%M}–{timezone.localtime(item.ended_at):%H.%M}" if item.started_at and item.ended_at else "",
                "acting_chair": chair.name if chair and leader and chair.pk != leader.pk else "",
                "left": left,
                "deliberation": item.deliberation,
                "proposals": proposals,
            }
        )
    return {
        "body": body.name,
        "label": meeting.label,
        "when": when(meeting.starts_at),
        "location": meeting.location,
        "call": meeting.call.title,
        "rule": body.get_decision_rule_display(),
        "quorum": body.get_quorum_display(),
        "both_sides": body.requires_both_sides,
        "attendance_recorded": present is not None,
        "members": members,
        "chair": leader.name if leader else "",
        "minute_takers": [s.name for s in seats if s.role in (BodyMember.Role.SECRETARY, BodyMember.Role.MINUTE_TAKER)],
        "items": items,
        "notes": meeting.notes,
    }


def for_reader(user, meeting: Meeting) -> dict:
    """The minutes `user` may read: the approved snapshot or the live draft, redacted item by
    item as `what_may_see` says."""
    data = copy.deepcopy(meeting.minutes_snapshot) if meeting.minutes_approved_at and meeting.minutes_snapshot else content(meeting)
    applications = list(meeting.call.applications.filter(pk__in=[i["application_id"] for i in data["items"]]).prefetch_related("participants", "conflicts"))
    seen = visibility.what_may_see_all(user, meeting.call, applications)
    for item in data["items"]:
        see = seen.get(item["application_id"], visibility.NOTHING)
        item["conflicted"] = see.conflicted
        if not see.deliberation:
            item["deliberation"] = ""
        item["proposals"] = [p for p in item["proposals"] if (see.decision if p["adopted"] else see.proposals)]
        for proposal in item["proposals"]:
            if not see.votes:
                proposal["tally"], proposal["votes"] = "", []
        if not see.handling:
            for person in item["left"]:
                person["reason"] = ""  # the template writes the neutral "inhabil (fvl. § 6)"
    data["present"] = [m for m in data["members"] if m["present"] is not False]
    data["absent"] = [m for m in data["members"] if m["present"] is False]
    return data


def render(user, meeting: Meeting) -> bytes:
    """The minutes PDF for `user`: 'UTKAST' until approved, 'Godkjent <date> av <name>' after."""
    approved = meeting.minutes_approved_at is not None
    context = {
        "m": for_reader(user, meeting),
        "approved": approved,
        "approved_on": long_date(meeting.minutes_approved_at) if approved else "",
        "approved_by": person_name(meeting.minutes_approved_by) if approved else "",
        "approval_note": meeting.minutes_approval_note,
    }
    return documents.pdf("assessment/minutes_pdf.html", context)


def may_approve(user, meeting: Meeting) -> bool:
    seat = BodyMember.objects.active_on(timezone.localdate()).filter(body=meeting.body, user=user, role__in=APPROVERS).exists()
    return bool(getattr(user, "is_authenticated", False)) and seat


@transaction.atomic
def approve_minutes(actor, meeting: Meeting, note: str = "") -> Meeting:
    """Approve the minutes: the leader or the body's secretary, once, when no vote is open.
    The content is frozen as it stands (the snapshot); the approval is audited."""
    locked = Meeting.objects.select_for_update().select_related("body", "call").get(pk=meeting.pk)
    if not may_approve(actor, locked):
        raise PermissionDenied(_("Bare leder eller sekretær i organet godkjenner protokollen."))
    if locked.minutes_approved_at:
        raise MinutesError(_("Protokollen er allerede godkjent."))
    if Decision.objects.filter(item__meeting=locked, status=Decision.Status.PROPOSED).exists():
        raise MinutesError(_("Protokollen kan ikke godkjennes mens et forslag er til avstemning."))
    # Through JSON with Django's encoder: labels are lazy translations, stored as the text they read.
    locked.minutes_snapshot = json.loads(json.dumps(content(locked), cls=DjangoJSONEncoder))
    locked.minutes_approved_at = timezone.now()
    locked.minutes_approved_by = actor
    locked.minutes_approval_note = note.strip()
    locked.save(update_fields=["minutes_snapshot", "minutes_approved_at", "minutes_approved_by", "minutes_approval_note"])
    for field in ("minutes_snapshot", "minutes_approved_at", "minutes_approved_by", "minutes_approval_note"):
        setattr(meeting, field, getattr(locked, field))
    record(actor, "assessment.minutes_approved", locked, _("Protokollen fra %(meeting)s er godkjent") % {"meeting": locked.label or str(locked)}, note=locked.minutes_approval_note)
    archive.record("minutes", locked, actor)
    return meeting
