"""State changes after the decision: report deadlines, reports, payments and reminders.
One function per change: in a transaction, permission checked, audited, notified."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.core import uploads
from rsportal import archive
from rsportal.core.audit import notify, record
from rsportal.core.formatting import kroner, long_date
from rsportal.funding.models import Commitment, Grant, Pot
from rsportal.registry.models import Body, BodyMember

from .models import AfterProject, OwnContribution, Payment, Report, ReportDue, ReportingRule, Spending


class FollowupError(Exception):
    pass


def grant_years(grant: Grant) -> list[int]:
    return sorted(set(grant.commitments.filter(status__in=Commitment.ACTIVE).values_list("pot_year__year", flat=True)))


def rules_for(pot: Pot) -> list[ReportingRule]:
    """A pot's own rules, else its parent's: a region sets the rule once for all its pots."""
    while pot is not None:
        rules = list(pot.reporting_rules.all())
        if rules:
            return rules
        pot = pot.parent
    return []


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def planned_deadlines(grant: Grant) -> list[tuple[str, datetime.date, datetime.date, datetime.date]]:
    """(kind, due date, period start, period end) for every report the grant owes."""
    years = grant_years(grant)
    if not years:
        return []
    rules = rules_for(grant.pot) or [ReportingRule(frequency=ReportingRule.Frequency.YEARLY)]
    first, last = datetime.date(years[0], 1, 1), datetime.date(years[-1], 12, 31)
    step = {"yearly": 12, "half_yearly": 6, "quarterly": 3}
    deadlines = []
    for rule in rules:
        months = step[rule.frequency]
        period_start = first
        while period_start <= last:
            period_end = _add_months(period_start, months) - datetime.timedelta(days=1)
            if months == 12:
                # Yearly reports fall on a fixed date after the year (Helse Nord: 1 February).
                due = datetime.date(period_end.year + 1, rule.due_month, rule.due_day)
            else:
                # Shorter periods report a month after the period ends.
                due = period_end + datetime.timedelta(days=30)
            deadlines.append(("periodic", due, period_start, period_end))
            period_start = _add_months(period_start, months)
    final_days = min(rule.final_report_days for rule in rules) if rules else 90
    deadlines.append(("final", last + datetime.timedelta(days=final_days), first, last))
    return deadlines


@transaction.atomic
def plan_reports(grant: Grant) -> list[ReportDue]:
    """Create the grant's report deadlines (idempotent). Part of booking a grant, so no actor check."""
    plan_after_project(grant)
    created = []
    for kind, due, start, end in planned_deadlines(grant):
        row, was_created = ReportDue.objects.get_or_create(grant=grant, due_date=due, kind=kind, defaults={"period_start": start, "period_end": end})
        if was_created:
            created.append(row)
    return created


def after_project_due(grant: Grant) -> datetime.date | None:
    """One year after the last year with money ends: 31 December the year after."""
    years = grant_years(grant)
    return datetime.date(years[-1] + 1, 12, 31) if years else None


@transaction.atomic
def plan_after_project(grant: Grant) -> AfterProject | None:
    """Create or move the deadline for the questions after the project (idempotent). Moved
    while unanswered when the grant's years change; an answer is never thrown away."""
    due = after_project_due(grant)
    if due is None:
        return None
    row, created = AfterProject.objects.get_or_create(grant=grant, defaults={"due_date": due})
    if not created and not row.answered and row.due_date != due:
        AfterProject.objects.filter(pk=row.pk).update(due_date=due, reminded_at=None)
        row.due_date = due
    return row


@transaction.atomic
def answer_after_project(actor, grant: Grant, *, in_operation: str, payer: str, payer_note: str, spread: str, version: int) -> AfterProject:
    """The owners' answers one year after the project ended. May be corrected later; a save
    from an older version of the answers is refused, so nobody overwrites a colleague."""
    if not may_report(actor, grant):
        raise PermissionDenied(_("Bare søkere for kommunene og helseforetakene som eier prosjektet kan svare."))
    row = AfterProject.objects.select_for_update().filter(grant=grant).order_by("pk").first()
    if row is None:
        raise FollowupError(_("Prosjektet har ingen tilsagn ennå, så det er ingenting å svare på."))
    if row.version != version:
        raise FollowupError(_("Noen andre har lagret svarene i mellomtiden. Se svarene deres og lagre på nytt."))
    if in_operation not in AfterProject.InOperation.values or payer not in AfterProject.Payer.values:
        raise FollowupError(_("Velg et svar på om tiltaket er i drift og hvem som betaler."))
    row.in_operation, row.payer, row.payer_note, row.spread = in_operation, payer, payer_note.strip(), spread.strip()
    first = row.answered_at is None
    row.answered_at, row.answered_by = timezone.now(), actor
    row.version += 1
    row.save()
    record(
        actor,
        "followup.after_project_answered" if first else "followup.after_project_corrected",
        row,
        _("Status etter prosjektslutt for %(t)s: i drift: %(o)s, betales av: %(p)s") % {"t": grant.title, "o": row.get_in_operation_display(), "p": row.get_payer_display()},
        grant=grant.pk,
        in_operation=in_operation,
        payer=payer,
    )
    return row


def reporters(grant: Grant):
    """Applicants of the organisations that own the grant: they report."""
    User = get_user_model()
    today = timezone.localdate()
    roles = OrganisationRole.objects.active_on(today).filter(kind=OrganisationRole.Kind.APPLICANT).filter(
        Q(municipality__in=grant.municipalities.all()) | Q(trust__in=grant.trusts.all())
    )
    return User.objects.filter(organisation_roles__in=roles, is_active=True).distinct()


def may_report(user, grant: Grant) -> bool:
    return reporters(grant).filter(pk=user.pk).exists()


def manages(user, grant: Grant) -> bool:
    return account_permissions.can_manage_money(user, rhf=grant.pot.rhf, helsefellesskap=grant.pot.helsefellesskap or grant.helsefellesskap)


def may_view(user, grant: Grant) -> bool:
    return may_report(user, grant) or manages(user, grant)


@transaction.atomic
def submit_report(actor, grant: Grant, *, form, spending: dict[int, tuple[int, object]], contributions: list[dict]) -> Report:
    """Save a report on the common template and close the earliest open deadline."""
    if not may_report(actor, grant):
        raise PermissionDenied(_("Bare søkere for kommunene og helseforetakene som eier prosjektet kan rapportere."))
    # Two reports sent at once must not both claim the same open deadline (it is one-to-one).
    Grant.objects.select_for_update(of=("self",)).filter(pk=grant.pk).first()
    committed = dict(
        grant.commitments.filter(status__in=Commitment.ACTIVE).values("pot_year__year").annotate(total=Sum("amount")).values_list("pot_year__year", "total")
    )
    for year, (amount, _accounts) in spending.items():
        if amount and amount > committed.get(year, 0):
            raise FollowupError(
                _("Brukt beløp for %(year)s (%(used)s) er større enn tilsagnet for året (%(committed)s).")
                % {"year": year, "used": kroner(amount), "committed": kroner(committed.get(year, 0))}
            )
    # Accounts go through the same checks as every other upload, before anything is saved.
    accounts_types = {}
    for year, (_amount, accounts) in spending.items():
        if accounts:
            try:
                accounts_types[year] = uploads.check(accounts)
            except uploads.RejectedUpload as exc:
                raise FollowupError(_("Prosjektregnskapet for %(year)s: %(reason)s") % {"year": year, "reason": exc}) from exc
    report = form.save(commit=False)
    report.grant = grant
    report.submitted_by = actor
    report.due = ReportDue.objects.filter(grant=grant, report__isnull=True, received_elsewhere="").order_by("due_date").first()
    report.save()
    for year, (amount, accounts) in sorted(spending.items()):
        if amount is not None:
            row = Spending(report=report, year=year, amount=amount)
            if accounts:
                row.accounts_name = uploads.display_name(accounts.name)
                row.accounts_content_type = accounts_types[year]
                row.accounts.save(accounts.name, accounts, save=False)  # stored under a random name (accounts_path)
            row.save()
    OwnContribution.objects.bulk_create(OwnContribution(report=report, **c) for c in contributions)
    record(actor, "followup.report_submitted", grant, _("Rapport levert: %(progress)s") % {"progress": report.get_progress_display()})
    secretariat = BodyMember.objects.active_on(timezone.localdate()).filter(body__kind=Body.Kind.SECRETARIAT, user__isnull=False).filter(
        Q(body__helsefellesskap=grant.helsefellesskap) | Q(body__rhf=grant.pot.rhf)
    )
    notify([s.user.email for s in secretariat.select_related("user")], _("Rapport levert: %(t)s") % {"t": grant.title}, report.progress_text[:500], category="status")
    archive.record("report", report, actor)
    return report


@transaction.atomic
def record_payment(actor, grant: Grant, *, year: int, amount: int, paid_on: datetime.date, note: str = "") -> Payment:
    if not manages(actor, grant):
        raise PermissionDenied(_("Bare sekretariatet registrerer utbetalinger."))
    # Locked before summing: two payments registered at once must not together pay out more than
    # the commitment, and a release (funding.domain.release_commitment takes the same lock) must
    # not free money while it is being paid.
    Grant.objects.select_for_update(of=("self",)).filter(pk=grant.pk).first()
    # Only active commitments count: released money is back in the pot and may be promised again.
    committed = grant.commitments.filter(status__in=Commitment.ACTIVE, pot_year__year=year).aggregate(s=Sum("amount"))["s"] or 0
    paid = grant.payments.filter(year=year).aggregate(s=Sum("amount"))["s"] or 0
    if amount <= 0:
        raise FollowupError(_("Beløpet må være større enn null."))
    if not committed:
        raise FollowupError(_("Prosjektet har ikke noe gjeldende tilsagn for %(year)s (det kan være frigjort), så ingenting kan betales ut for året.") % {"year": year})
    if paid + amount > committed:
        raise FollowupError(
            _("Utbetalingen gjør at det betales ut %(total)s for %(year)s, mer enn tilsagnet på %(committed)s.")
            % {"total": kroner(paid + amount), "year": year, "committed": kroner(committed)}
        )
    payment = Payment.objects.create(grant=grant, year=year, amount=amount, paid_on=paid_on, note=note, recorded_by=actor)
    record(actor, "followup.payment", grant, _("Utbetalt %(amount)s for %(year)s") % {"amount": kroner(amount), "year": year})
    return payment


def send_reminders(now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue reminders before deadlines and notices for overdue reports.
    Run daily by `rsportal send_report_reminders` (cron or a systemd timer; no broker)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"reminders": 0, "overdue": 0}
    open_dues = ReportDue.objects.filter(report__isnull=True, received_elsewhere="").select_related("grant__pot__parent")
    for due in open_dues:
        with transaction.atomic():
            rules = rules_for(due.grant.pot)
            before = min((r.remind_days_before for r in rules), default=14)
            recipients = [u.email for u in reporters(due.grant)]
            if due.due_date < today and due.overdue_notice_at is None:
                notify(recipients, _("Rapporten for %(t)s er forsinket") % {"t": due.grant.title}, _("Fristen var %(date)s. Rapporten leveres i RS-portalen.") % {"date": due.due_date.strftime("%d.%m.%Y")}, category="deadline")
                ReportDue.objects.filter(pk=due.pk).update(overdue_notice_at=now)
                counts["overdue"] += 1
            elif today <= due.due_date <= today + datetime.timedelta(days=before) and due.reminded_at is None:
                notify(recipients, _("Påminnelse: rapport for %(t)s") % {"t": due.grant.title}, _("Fristen er %(date)s. Rapporten leveres i RS-portalen.") % {"date": due.due_date.strftime("%d.%m.%Y")}, category="deadline")
                ReportDue.objects.filter(pk=due.pk).update(reminded_at=now)
                counts["reminders"] += 1
    # The questions after the project: one reminder a month before the deadline (or at once if
    # it is already past), never more; the to-do list keeps showing it until it is answered.
    counts["after_project"] = 0
    soon = today + datetime.timedelta(days=30)
    for row in AfterProject.objects.filter(answered_at__isnull=True, reminded_at__isnull=True, due_date__lte=soon).select_related("grant"):
        with transaction.atomic():
            notify(
                list(reporters(row.grant)),
                _("Hvordan gikk det med %(t)s etter prosjektet?") % {"t": row.grant.title},
                _("Svar på tre spørsmål om drift, finansiering og spredning innen %(date)s i RS-portalen.") % {"date": long_date(row.due_date)},
                category="deadline",
                link=reverse("followup:after-project", args=[row.grant_id]),
            )
            AfterProject.objects.filter(pk=row.pk).update(reminded_at=now)
            counts["after_project"] += 1
    return counts


def report_done(due) -> bool:
    """A deadline is met when a report was delivered for it or it was received outside the portal.
    `open_reports_due` is the same rule in SQL; keep the two identical."""
    return getattr(due, "report", None) is not None or bool(due.received_elsewhere)


def open_reports_due(dues):
    """The deadlines of a ReportDue queryset that are not met (see `report_done`)."""
    return dues.filter(report__isnull=True, received_elsewhere="")


def late_reports_due(dues, today: datetime.date):
    """Open deadlines before today, as `report_status` counts them late."""
    return open_reports_due(dues).filter(due_date__lt=today)


def next_reports_due(dues, today: datetime.date):
    """Each grant's first open deadline from today (the first of `report_status`'s upcoming):
    one row per grant, whatever the number of deadlines behind or ahead of it."""
    first = open_reports_due(ReportDue.objects.filter(grant_id=OuterRef("grant_id"), due_date__gte=today)).order_by("due_date", "pk").values("pk")[:1]
    return dues.filter(pk=Subquery(first))


def report_status(dues, today: datetime.date):
    """Split deadlines into delivered, late and upcoming, for the secretariat's overview."""
    late = [d for d in dues if not report_done(d) and d.due_date < today]
    upcoming = [d for d in dues if not report_done(d) and d.due_date >= today]
    delivered = [d for d in dues if report_done(d)]
    return delivered, late, upcoming
