"""Proportionate forms: the light and the full variant of the application form and the report.

The evaluation found applying and reporting had become a "grant craft" that favours large
actors. A call may therefore give small grants and chosen application types (a pre-project,
say) a light form: a few sections with the fields a committee needs to decide a small sum,
short participant and budget tables, no benefit table, and a short report afterwards.

Which variant an application gets follows from what it is now, not from a choice stored
on it: a draft that grows past the call's amount moves to the full form, with everything
typed so far kept (both variants write to the same application fields). A submitted version
records the variant it was submitted in, so what is frozen is shown as it was asked.

`field_counts()` counts the fields each variant asks for; a test holds the light variants to
at most a third of the full ones, and the README gives the numbers.
"""

from django.utils.translation import gettext_lazy as _

FULL = "full"
LIGHT = "light"
LABELS = {FULL: _("Fullt skjema"), LIGHT: _("Lett skjema")}

# The light application form: the sections it shows and the fields of each, in form order.
LIGHT_SECTIONS = {
    "prosjektet": ["title", "type", "continues", "start_date", "end_date"],
    "beskrivelse": ["goal", "activities"],
    "nytte": ["expected_benefit"],
    "finansiering": ["grant_use"],
}
# The application's other parts (tables of rows) each variant shows.
FULL_PARTS = ("deltakere", "budsjett", "nyttetabell", "vedlegg")
LIGHT_PARTS = ("deltakere", "budsjett", "vedlegg")
# The light tables ask only for what decides a small grant: who takes part and how to reach
# them, and how much is applied for which year.
LIGHT_PARTICIPANT_FIELDS = ["municipality", "trust", "district", "is_owner", "contact_name", "contact_email"]
LIGHT_BUDGET_FIELDS = ["year", "amount"]

# The light report: how it went, what came of it, and a line for the public catalogue.
LIGHT_REPORT_FIELDS = ["progress", "progress_text", "effects", "public_update"]


def applied_total(application) -> int:
    """Kroner applied for, all years together (the grant lines of the budget)."""
    from .models import BudgetLine

    return sum(line.amount for line in application.budget_lines.all() if line.kind == BudgetLine.Kind.GRANT)


def for_application(application) -> str:
    """The variant the application is asked in now: light when its call offers a light form
    and the application is of a light type or applies for at most the call's amount."""
    call = application.call
    if application.type and application.type in (call.light_form_types or []):
        return LIGHT
    if call.light_form_max_amount is not None and applied_total(application) <= call.light_form_max_amount:
        return LIGHT
    return FULL


def of_data(data: dict) -> str:
    """The variant a submitted version was asked in (versions from before the light form: full)."""
    return data.get("form_variant", FULL)


def sections(variant: str) -> dict:
    """Section key -> (form class, the fields it asks for), in form order."""
    from .forms import SECTIONS

    if variant == LIGHT:
        return {key: (SECTIONS[key], fields) for key, fields in LIGHT_SECTIONS.items()}
    return {key: (form_class, list(form_class.Meta.fields)) for key, form_class in SECTIONS.items()}


def section_form(variant: str, key: str, *args, **kwargs):
    """The section's form, with only the fields the variant asks for."""
    form_class, fields = sections(variant)[key]
    return form_class(*args, only=fields, **kwargs)


def parts(variant: str) -> tuple:
    return LIGHT_PARTS if variant == LIGHT else FULL_PARTS


def participant_form(variant: str, *args, **kwargs):
    from .forms import ParticipantForm

    form = ParticipantForm(*args, **kwargs)
    if variant == LIGHT:
        _keep(form, LIGHT_PARTICIPANT_FIELDS)
    return form


def budget_form(variant: str, application, *args, **kwargs):
    from .forms import BudgetLineForm

    form = BudgetLineForm(application, *args, light=variant == LIGHT, **kwargs)
    return form


def report_form(variant: str, *args, **kwargs):
    from rsportal.followup.forms import ReportForm

    form = ReportForm(*args, **kwargs)
    if variant == LIGHT:
        _keep(form, LIGHT_REPORT_FIELDS)
    return form


def for_grant(grant) -> str:
    """The report variant of a grant: light when the application it was granted on was submitted
    in the light form. Grants without an application in the portal report in full."""
    from rsportal.assessment.models import Decision

    decision = Decision.objects.filter(grant=grant).select_related("application").first()
    if decision is None:
        return FULL
    version = decision.application.versions.order_by("-number").first()
    return of_data(version.data) if version else FULL


def _keep(form, names) -> None:
    for name in list(form.fields):
        if name not in names:
            del form.fields[name]


def field_counts() -> dict:
    """How many fields each variant asks for: the application form (its sections and the columns
    of its tables) and the report (its questions; the spending and contribution tables are the
    same in both and not counted)."""
    from rsportal.followup.forms import ReportForm

    from .forms import AttachmentForm, BenefitRowForm, BudgetLineForm, ParticipantForm

    tables = {"deltakere": ParticipantForm.base_fields, "budsjett": BudgetLineForm.base_fields, "nyttetabell": BenefitRowForm.base_fields, "vedlegg": AttachmentForm.base_fields}
    light_tables = {"deltakere": LIGHT_PARTICIPANT_FIELDS, "budsjett": LIGHT_BUDGET_FIELDS, "vedlegg": AttachmentForm.base_fields}
    counts = {}
    for variant, table_fields in ((FULL, tables), (LIGHT, light_tables)):
        in_sections = sum(len(fields) for _form, fields in sections(variant).values())
        in_tables = sum(len(table_fields[part]) for part in parts(variant))
        counts[variant] = {"application": in_sections + in_tables, "sections": in_sections, "tables": in_tables}
    counts[FULL]["report"] = len(ReportForm.base_fields)
    counts[LIGHT]["report"] = len([name for name in ReportForm.base_fields if name in LIGHT_REPORT_FIELDS])
    return counts
