"""Rules of order for a body's meeting, as reads: who may vote, whether the body can decide
(quorum), who chairs an item and who decides a conflict of interest. The state changes that
apply them are in domain.py.

The sources are silent on quorum and on conflicts about the chair, so the rules follow the
general law: forvaltningsloven § 8 (a collegial body decides a member's conflict itself,
without the member concerned; when too few would be left to decide, all members take part)
and the body's own quorum rule (`Body.quorum`, `Body.requires_both_sides`)."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core.request_memo import memoized
from rsportal.registry.models import Body, BodyMember

NOT_VOTING_ROLES = (BodyMember.Role.OBSERVER, BodyMember.Role.MINUTE_TAKER)


@memoized
def seats_today(body: Body) -> list[BodyMember]:
    """The body's seats today, with their users. Kept for a read-only request: the conflicts page
    asks who decides each of its rows, and the answer comes from the same few seats."""
    return list(BodyMember.objects.active_on(timezone.localdate()).filter(body=body).select_related("user"))


def voting_seats(body: Body) -> list[BodyMember]:
    """The body's seats with the right to vote, today."""
    return [s for s in seats_today(body) if s.voting and s.role not in NOT_VOTING_ROLES]


def blocked(application) -> set[int]:
    """Seats that may not take part in the application: conflict confirmed or not yet decided."""
    return {c.member_id for c in application.conflicts.all() if c.blocks}


def present(meeting) -> set[int] | None:
    """Seats recorded as present; None while the attendance has not been recorded. Read from
    the database, not the instance: a vote must count the attendance as it is now."""
    from .models import Meeting

    if not Meeting.objects.filter(pk=meeting.pk, attendance_recorded_at__isnull=False).exists():
        return None
    return set(meeting.present.values_list("pk", flat=True))


def out_of_room(item) -> set[int]:
    return blocked(item.application) | set(item.left_room.values_list("pk", flat=True))


def voters(item) -> set[int]:
    """Who may vote on the item: voting seats present and neither conflicted nor out of the room."""
    here = present(item.meeting) or set()
    out = out_of_room(item)
    return {s.pk for s in voting_seats(item.meeting.body) if s.pk in here and s.pk not in out}


@dataclass
class Quorum:
    ok: bool
    reason: str  # why the body cannot decide; "" when it can
    counted: int  # voting members present and not conflicted
    seats: int  # voting seats of the body
    needed: int


def quorum(item) -> Quorum:
    """Whether the body can decide the item now, and if not, why (in Norwegian, for the chair)."""
    body = item.meeting.body
    seats = voting_seats(body)
    needed = body.quorum_needed(len(seats))
    if present(item.meeting) is None:
        reason = _("Organet kan ikke stemme før oppmøtet er registrert. Leder eller sekretær registrerer hvem som er til stede.")
        return Quorum(False, reason, 0, len(seats), needed)
    counted_ids = voters(item)
    counted = [s for s in seats if s.pk in counted_ids]
    if len(counted) < needed:
        reason = _(
            "Organet er ikke vedtaksført i denne saken: %(n)s av %(total)s stemmeberettigede er til stede og habile. "
            "Regelen er «%(rule)s», det vil si minst %(needed)s."
        ) % {"n": len(counted), "total": len(seats), "rule": body.get_quorum_display().lower(), "needed": needed}
        return Quorum(False, reason, len(counted), len(seats), needed)
    if body.requires_both_sides:
        parties = {s.party for s in counted}
        missing = [label for party, label in (("municipality", _("kommunesiden")), ("specialist", _("foretakssiden"))) if party not in parties]
        if missing:
            reason = _("Organet er ikke vedtaksført i denne saken: %(side)s er ikke til stede med habile, stemmeberettigede medlemmer, og organet krever begge parter.") % {
                "side": " og ".join(missing)
            }
            return Quorum(False, reason, len(counted), len(seats), needed)
    return Quorum(True, "", len(counted), len(seats), needed)


def _seat_with_role(body: Body, role: str) -> BodyMember | None:
    return BodyMember.objects.active_on(timezone.localdate()).filter(body=body, role=role).select_related("user").first()


def acting_chair(item) -> BodyMember | None:
    """Who chairs the item: the leader, or the deputy when the leader is conflicted or absent.
    Before the attendance is recorded everyone counts as present."""
    here = present(item.meeting)
    out = out_of_room(item)
    for role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY):
        member = _seat_with_role(item.meeting.body, role)
        if member is not None and member.pk not in out and (here is None or member.pk in here):
            return member
    return None


def conflict_deciders(conflict) -> list[BodyMember]:
    """The leader decides a member's conflict (any of them, where a body has co-leaders); the
    deputy when the conflict is about the leader or the leader is conflicted in the same
    application. Empty: the body decides by vote."""
    taken = blocked(conflict.application) | {conflict.member_id}
    seats = seats_today(conflict.member.body)
    for role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY):
        free = [m for m in seats if m.role == role and m.pk not in taken]
        if free:
            return free
    return []


def conflict_voters(conflict) -> list[BodyMember]:
    """Who votes on a conflict the leader and deputy cannot decide: the other voting members
    not conflicted in the application. When too few of them are left for a quorum, every voting
    member except the one concerned takes part (forvaltningsloven § 8 second paragraph).
    Empty when the member concerned is the only voting member: the secretariat decides then."""
    body = conflict.member.body
    everyone = voting_seats(body)
    seats = [s for s in everyone if s.pk != conflict.member_id]
    taken = blocked(conflict.application)
    free = [s for s in seats if s.pk not in taken]
    return free if len(free) >= body.quorum_needed(len(everyone)) else seats


def conflict_vote_outcome(votes: dict[int, bool], voter_ids: set[int]) -> bool | None:
    """The body's decision on a conflict: a majority of the voters, or, once all have voted
    and they are equally split, conflicted (it is safer to leave the room once too often).
    None while undecided."""
    counted = {member: value for member, value in votes.items() if member in voter_ids}
    yes = sum(1 for value in counted.values() if value)
    no = len(counted) - yes
    if yes * 2 > len(voter_ids):
        return True
    if no * 2 > len(voter_ids):
        return False
    if voter_ids and set(counted) >= voter_ids:
        return True
    return None
