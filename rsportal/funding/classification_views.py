"""The secretariat's classification pages: its grants with their state, and one form per grant.
Thin views: the rules are in funding.classification. They sit in the back office (a section
on /administrasjon/, its breadcrumbs) but stay plain views: the form is pre-filled with a
suggestion, which the generic back-office edit view has no place for."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from rsportal.core import backoffice
from rsportal.core.decorators import role_required

from . import classification
from .forms import ClassificationForm
from .models import Grant
from .queries import money_scope

PAGE_SIZE = 50
NOT_CLASSIFIED = "ikke-klassifisert"
CLASSIFIED = "klassifisert"


def classifies(user) -> bool:
    return money_scope(user).classifies


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Klassifisering av tilskudd"),
        description=gettext_lazy("Tema, prioriterte pasientgrupper, digital hjemmeoppfølging og oppgavedeling for hvert tilskudd, til statistikken."),
        url_name="classification:list",
        may_use=classifies,
    )
)


def _crumbs(*more) -> list[tuple[str, str]]:
    return [(_("Administrasjon"), reverse("backoffice:index")), (_("Klassifisering av tilskudd"), reverse("classification:list")), *more]


def classifiable_grants(user):
    """The grants `user` may classify, as a queryset: classification.may_classify for all at once."""
    scope = money_scope(user)
    if not scope.classifies:
        raise PermissionDenied(_("Bare sekretariatene og RHF-administratorene klassifiserer tilskudd."))
    if scope.system_admin:
        return Grant.objects.all()
    rhfs = scope.admin_rhfs | scope.secretariat_rhfs
    communities = scope.secretariat_helsefellesskap
    # A community's pot belongs to its secretariat; a regional pot's grant to the secretariat
    # of the grant's helsefellesskap (as may_classify).
    return Grant.objects.filter(
        Q(pot__rhf__in=rhfs) | Q(pot__helsefellesskap__in=communities) | Q(pot__helsefellesskap__isnull=True, helsefellesskap__in=communities)
    )


@require_safe
@role_required
def grant_list(request):
    grants = classifiable_grants(request.user)
    status = request.GET.get("status", "")
    if status == NOT_CLASSIFIED:
        grants = grants.filter(classified_at__isnull=True)
    elif status == CLASSIFIED:
        grants = grants.filter(classified_at__isnull=False)
    else:
        status = ""
    grants = grants.select_related("pot__rhf", "helsefellesskap").order_by("pot__rhf__name", "helsefellesskap__name", "title", "pk")
    page = Paginator(grants, PAGE_SIZE).get_page(request.GET.get("side"))
    themes, groups = dict(classification.theme_choices()), dict(classification.patient_group_choices())
    for grant in page.object_list:
        grant.theme_labels = [themes.get(c, c) for c in grant.themes]
        grant.group_labels = [groups.get(c, c) for c in grant.patient_groups]
    return render(
        request,
        "funding/classification_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [("", _("Alle")), (NOT_CLASSIFIED, _("Ikke klassifisert")), (CLASSIFIED, _("Klassifisert"))],
            "breadcrumbs": _crumbs(),
        },
    )


def _initial(grant, suggestion):
    """What the form starts from: the saved classification, or for an unclassified grant the
    suggestion (with any codes filled in earlier, from imports, kept)."""
    if grant.classified or suggestion is None:
        values = {"themes": grant.themes, "patient_groups": grant.patient_groups, "digital_home_follow_up": grant.digital_home_follow_up, "task_shifting": grant.task_shifting}
    else:
        values = {
            "themes": list(dict.fromkeys([*grant.themes, *suggestion.themes])),
            "patient_groups": list(dict.fromkeys([*grant.patient_groups, *suggestion.patient_groups])),
            "digital_home_follow_up": suggestion.digital_home_follow_up,
            "task_shifting": suggestion.task_shifting,
        }
    return {**values, "expected": classification.fingerprint(grant)}


@require_http_methods(["GET", "HEAD", "POST"])
@role_required
def grant_form(request, pk: int):
    grant = get_object_or_404(Grant.objects.select_related("pot__rhf", "pot__helsefellesskap", "helsefellesskap", "classified_by"), pk=pk)
    if not classification.may_classify(request.user, grant):
        raise PermissionDenied(_("Du klassifiserer ikke tilskudd for dette helsefellesskapet."))
    suggestion = None if grant.classified else classification.suggest(grant)
    status = 200
    if request.method == "POST":
        form = ClassificationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                classification.classify_grant(
                    request.user,
                    grant,
                    themes=data["themes"],
                    patient_groups=data["patient_groups"],
                    digital_home_follow_up=data["digital_home_follow_up"],
                    task_shifting=data["task_shifting"],
                    expected=data["expected"],
                )
            except classification.ClassificationError as exc:
                form.add_error(None, str(exc))
                status = 400
                if isinstance(exc, classification.StaleEdit):
                    # The page now shows the saved classification: saving again is a choice.
                    grant.refresh_from_db()
                    form.data = form.data.copy()
                    form.data["expected"] = classification.fingerprint(grant)
                    status = 409  # as the back office answers a stale save
            else:
                messages.success(request, _("Klassifiseringen av «%(title)s» er lagret.") % {"title": grant.title})
                return redirect(reverse("classification:list") + f"?status={NOT_CLASSIFIED}")
        else:
            status = 400
    else:
        form = ClassificationForm(initial=_initial(grant, suggestion))
    themes, groups = dict(classification.theme_choices()), dict(classification.patient_group_choices())
    return render(
        request,
        "funding/classification_form.html",
        {
            "grant": grant,
            "form": form,
            "suggestion": suggestion,
            "saved_themes": [themes.get(c, c) for c in grant.themes],
            "saved_groups": [groups.get(c, c) for c in grant.patient_groups],
            "classified_at": backoffice.moment(grant.classified_at) if grant.classified_at else "",
            "breadcrumbs": _crumbs((grant.title, request.path)),
        },
        status=status,
    )
