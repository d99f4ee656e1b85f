"""The meeting's rules of order on the chair page: attendance, quorum, who chairs the item
and the confirmation of a meeting started before its date. Kept apart from views.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.core.decorators import role_required
from rsportal.registry.models import BodyMember

from . import domain, meeting_rules, minutes
from .forms import AttendanceForm
from .models import Meeting


def seats(meeting):
    return BodyMember.objects.active_on(timezone.localdate()).filter(body=meeting.body).order_by("role", "name")


def chair_extras(user, meeting, item) -> dict:
    """What the chair page shows about the rules: quorum for the item, who chairs it,
    the attendance form for those running the meeting, and whether starting needs confirming."""
    runs = domain.runs_meeting(user, meeting.body)
    present = meeting_rules.present(meeting)
    return {
        "quorum": meeting_rules.quorum(item),
        "acting_chair": meeting_rules.acting_chair(item),
        "runs_item": domain.runs_item(user, item),
        "attendance_form": AttendanceForm(seats(meeting), initial={"present": sorted(present or [])}) if runs else None,
        "attendance_recorded": present is not None,
        "present_seats": [s for s in seats(meeting) if present and s.pk in present],
        "early_start": item.started_at is None and domain.early_start(meeting),
    }


@require_POST
@role_required
def attendance(request, pk: int):
    meeting = get_object_or_404(Meeting.objects.select_related("call", "body"), pk=pk)
    if not domain.takes_part(request.user, meeting.call):
        raise PermissionDenied(_("Du har ingen rolle i dette møtet."))
    form = AttendanceForm(seats(meeting), request.POST)
    if not form.is_valid():
        messages.error(request, _("Velg hvem som er til stede blant organets medlemmer."))
    else:
        try:
            domain.record_attendance(request.user, meeting, list(form.cleaned_data["present"]))
        except domain.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Oppmøtet er registrert."))
    return redirect(reverse("assessment:chair", args=[meeting.pk]) + f"?sak={request.POST.get('sak', '1')}")


@require_POST
@role_required
def approve_minutes(request, pk: int):
    """The leader or secretary approves the minutes; the PDF is frozen from then on."""
    meeting = get_object_or_404(Meeting.objects.select_related("call", "body"), pk=pk)
    if not domain.takes_part(request.user, meeting.call):
        raise PermissionDenied(_("Du har ingen rolle i dette møtet."))
    try:
        minutes.approve_minutes(request.user, meeting, request.POST.get("note", ""))
    except minutes.MinutesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Protokollen er godkjent."))
    return redirect("assessment:meeting", pk=meeting.pk)
