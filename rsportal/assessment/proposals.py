"""Withdrawing and amending a proposal for a decision before the vote is concluded.

Amending is withdrawing and proposing anew: `domain.propose_decision` with the pending
proposal's id as `expected_pending` replaces it. Withdrawing alone leaves the item
without a proposal, so the body can discuss further or propose something else later.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.applications.models import Application
from rsportal.core.audit import record
from rsportal.core.formatting import kroner

from . import domain, headroom
from .models import Decision


def may_withdraw(user, decision: Decision) -> bool:
    """Its proposer, or the leader or secretary running the meeting; never a conflicted member."""
    if decision.status != Decision.Status.PROPOSED or not user.is_authenticated:
        return False
    member = domain.seat(user, decision.body)
    if member is not None and domain.is_conflicted(member, decision.application):
        return False
    return decision.proposed_by_id == user.pk or domain.runs_meeting(user, decision.body)


@transaction.atomic
def withdraw_proposal(actor, decision: Decision, reason: str) -> Decision:
    """A pending proposal is withdrawn: it is not adopted, and the votes cast on it lapse."""
    # The application row first, in the order proposals and conclusions lock.
    Application.objects.select_for_update().only("pk").get(pk=decision.application_id)
    decision = Decision.objects.select_for_update().select_related("application", "body").get(pk=decision.pk)
    if decision.status != Decision.Status.PROPOSED:
        raise domain.AssessmentError(_("Forslaget er ikke lenger til avstemning, så det kan ikke trekkes."))
    if not may_withdraw(actor, decision):
        raise PermissionDenied(_("Bare den som fremmet forslaget, eller leder eller sekretær i møtet, kan trekke det."))
    if not reason.strip():
        raise domain.AssessmentError(_("Skriv hvorfor forslaget trekkes."))
    votes = decision.votes.count()
    decision.status = Decision.Status.NOT_ADOPTED
    decision.concluded_at = timezone.now()
    decision.save(update_fields=["status", "concluded_at"])
    record(
        actor,
        "assessment.decision_withdrawn",
        decision.application,
        _("Forslag til vedtak trukket (%(outcome)s %(amount)s); %(votes)s avgitte stemmer faller bort: %(reason)s")
        % {"outcome": decision.get_outcome_display().lower(), "amount": kroner(decision.total()) if decision.amounts else "", "votes": votes, "reason": reason},
        decision=decision.pk,
    )
    return decision


def chair_extras(user, application: Application, pending: Decision | None, form) -> dict:
    """What the chair's page shows about the money and the pending proposal: the per-year table
    of the pending proposal (or of the amounts in the proposal form) and whether the user may
    withdraw or amend it."""
    pot = application.call.pot
    from_form = form.is_bound or pending is None or pending.outcome not in Decision.GRANTING
    if from_form:
        amounts, caption = _form_amounts(form), _("Beløpene i forslagsskjemaet mot ledige midler per år")
    else:
        amounts, caption = pending.amounts, _("Forslaget til avstemning mot ledige midler per år")
    rows = headroom.rows(pot, amounts)
    amend_initial = None
    if pending is not None:
        amend_initial = {"outcome": pending.outcome, "reason": pending.reason, "part_description": pending.part_description}
        amend_initial.update({f"amount_{year}": amount for year, amount in pending.amounts.items()})
    return {
        "money_rows": rows,
        "money_caption": caption,
        "money_pot": pot,
        "money_from_form": from_form,
        "money_over": [row for row in rows if not row.fits],
        "may_withdraw": pending is not None and may_withdraw(user, pending),
        "amend_initial": amend_initial,
    }


def _form_amounts(form) -> dict:
    """The amounts a proposal form shows: typed ones after a refusal, otherwise the initial ones."""
    if form.is_bound:
        data = form.cleaned_data if form.is_valid() else {}
        return {year: data.get(f"amount_{year}") or 0 for year in form.years}
    return {year: form.initial.get(f"amount_{year}") or 0 for year in form.years}
