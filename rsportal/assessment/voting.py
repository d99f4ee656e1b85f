"""Decision rules of a body: majority with the chair's casting vote, or consensus.
Observers may speak and propose but never vote; conflicted members do not vote."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass
class Result:
    adopted: bool
    casting_vote_used: bool
    explanation: str
    counts: dict[str, int]


def tally(rule: str, votes: dict[int, str], eligible: set[int], chair: int | None) -> Result:
    counted = {member: choice for member, choice in votes.items() if member in eligible}
    counts = {choice: sum(1 for c in counted.values() if c == choice) for choice in ("for", "against", "abstain")}
    if rule == "consensus":
        missing = eligible - set(counted)
        if missing:
            return Result(False, False, _("Ikke vedtatt: konsensus krever at alle stemmeberettigede har stemt (%(n)s mangler).") % {"n": len(missing)}, counts)
        if counts["against"]:
            return Result(False, False, _("Ikke vedtatt: konsensus kreves, og %(n)s stemte mot.") % {"n": counts["against"]}, counts)
        if not counts["for"]:
            return Result(False, False, _("Ikke vedtatt: ingen stemte for."), counts)
        return Result(True, False, _("Vedtatt ved konsensus."), counts)
    if counts["for"] > counts["against"]:
        return Result(True, False, _("Vedtatt med %(f)s mot %(a)s stemmer.") % {"f": counts["for"], "a": counts["against"]}, counts)
    if counts["for"] < counts["against"] or counts["for"] == 0:
        return Result(False, False, _("Ikke vedtatt: %(f)s for og %(a)s mot.") % {"f": counts["for"], "a": counts["against"]}, counts)
    chair_vote = counted.get(chair) if chair is not None else None
    if chair_vote == "for":
        return Result(True, True, _("Vedtatt ved leders dobbeltstemme (%(f)s mot %(a)s).") % {"f": counts["for"], "a": counts["against"]}, counts)
    return Result(False, chair_vote == "against", _("Ikke vedtatt: stemmelikhet, og leder stemte ikke for."), counts)
