"""The back-office pages for calls: list, details, one edit page for the call and its rows,
copy, publish, close and a preview as an applicant sees it. Thin views on applications.calls.

The edit, publish and close pages carry `calls.version` (the call with its criteria, steps,
deadlines and caps), not the generic back office's version of the row alone, so they draw
their forms themselves; permission, scope (404 outside it), breadcrumbs and tabs are the
generic ones."""

from django.core.exceptions import ValidationError
from django.db.models import Min, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from rsportal.core import backoffice
from rsportal.core.formatting import kroner
from rsportal.funding.models import Pot
from rsportal.funding.queries import money_scope
from rsportal.registry.models import Body

from . import calls
from .models import Call
from .office_forms import ROW_FORMSETS, CallForm, initial_rows

VERSION = "version"


def manages_calls(user) -> bool:
    return money_scope(user).classifies


def manageable_pots(user):
    """The pots whose calls `user` sets up: domain.can_manage_calls for all pots at once."""
    scope = money_scope(user)
    if scope.system_admin:
        return Pot.objects.all()
    return Pot.objects.filter(Q(rhf__in=scope.admin_rhfs | scope.secretariat_rhfs) | Q(helsefellesskap__in=scope.secretariat_helsefellesskap))


class Calls:
    model = Call
    section = "calls:list"
    title_plural = gettext_lazy("Utlysninger")

    def may_use(self, user):
        return manages_calls(user)

    def scope(self):
        return Call.objects.filter(pot__in=manageable_pots(self.request.user)).select_related("pot__rhf", "pot__helsefellesskap")

    def detail_url(self, obj):
        return reverse("calls:detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("calls:history", args=[obj.pk])


def _next_deadline(call) -> str:
    if call.rolling:
        return _("Løpende")
    return backoffice.moment(call.next_at) if call.next_at else "–"


class CallList(Calls, backoffice.List):
    columns = [
        ("title", None),
        ("status", None),
        (lambda call: call.pot.name, gettext_lazy("Pott")),
        ("frame_year", gettext_lazy("År")),
        (_next_deadline, gettext_lazy("Neste frist")),
    ]
    create_url_name = "calls:create"
    create_label = gettext_lazy("Ny utlysning")
    intro = gettext_lazy("Utlysningene fra pottene dere forvalter. Lag en ny, eller kopier fjorårets og endre den. Et utkast ser bare dere.")

    def get_queryset(self):
        upcoming = Q(deadlines__at__gte=timezone.now())
        return super().get_queryset().annotate(next_at=Min("deadlines__at", filter=upcoming)).order_by("-frame_year", "title", "pk")


def _rows_facts(call):
    return {
        "criteria": list(call.criteria.all()),
        "steps": list(call.steps.select_related("body")),
        "deadlines": list(call.deadlines.all()),
        "caps": list(call.pre_project_caps.all()),
    }


class CallDetail(Calls, backoffice.Detail):
    fields = [
        ("status", None),
        (lambda call: call.pot.name, gettext_lazy("Pott")),
        ("kind", None),
        (lambda call: kroner(call.frame_amount) if call.frame_amount else "–", gettext_lazy("Ramme")),
        ("frame_year", None),
        ("rolling", None),
        (lambda call: ", ".join(str(label) for _v, label in call.type_choices()), gettext_lazy("Tillatte søknadstyper")),
        ("max_forwarded_per_helsefellesskap", None),
        ("max_project_years", None),
        ("pre_project_max_years", None),
        ("research_deducted", None),
        ("requires_agreement", None),
        ("contact", None),
    ]
    extra_template = "backoffice/calls/_rows.html"

    def actions(self, call):
        actions = []
        if call.status != Call.Status.CLOSED:
            actions.append((_("Endre utlysningen"), reverse("calls:update", args=[call.pk])))
        actions.append((_("Forhåndsvis som søker"), reverse("calls:preview", args=[call.pk])))
        actions.append((_("Kopier til neste år"), reverse("calls:copy", args=[call.pk])))
        if call.status == Call.Status.DRAFT:
            actions.append((_("Publiser"), reverse("calls:publish", args=[call.pk])))
        if call.status == Call.Status.PUBLISHED:
            actions.append((_("Avslutt"), reverse("calls:close", args=[call.pk])))
        return actions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_rows_facts(self.object))
        if self.object.status == Call.Status.DRAFT:
            context["problems"] = calls.publish_problems(self.object)
        return context


class CallHistory(Calls, backoffice.History):
    pass


class CallEdit(Calls, backoffice.Scoped, generic.TemplateView):
    """Create (no pk) or edit a call with its rows, on one page and one version."""

    template_name = "backoffice/calls/edit.html"
    object = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.may_use(request.user) and "pk" in kwargs:
            self.object = get_object_or_404(self.scope(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def bodies(self):
        if self.object is not None:
            return calls.step_bodies(self.object.pot)
        pots = manageable_pots(self.request.user)
        return Body.objects.filter(Q(rhf__in=pots.values("rhf")) | Q(helsefellesskap__in=pots.values("helsefellesskap"))).order_by("name")

    def build(self, data=None):
        form = CallForm(data, instance=self.object, pots=manageable_pots(self.request.user))
        initial = initial_rows(self.object)
        formsets = []
        for prefix, heading, formset_class in ROW_FORMSETS:
            kwargs = {"form_kwargs": {"bodies": self.bodies()}} if prefix == "steps" else {}
            formsets.append((heading, formset_class(data, prefix=prefix, initial=initial[prefix], **kwargs)))
        return form, formsets

    def version(self):
        return calls.version(self.object) if self.object else ""

    def breadcrumbs(self):
        crumbs = super().breadcrumbs()
        return [*crumbs, (str(self.object), self.detail_url(self.object))] if self.object else crumbs

    def render(self, form, formsets, status=200, stale=False, version=None):
        context = self.get_context_data(
            form=form,
            formsets=formsets,
            version=version or self.request.POST.get(VERSION) or self.version(),
            stale=stale,
            rows_invalid=any(fs.is_bound and not fs.is_valid() for _h, fs in formsets),
            title=_("Endre %(what)s") % {"what": self.object} if self.object else _("Ny utlysning"),
            cancel_url=self.detail_url(self.object) if self.object else reverse("calls:list"),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render(*self.build())

    def post(self, request, *args, **kwargs):
        form, formsets = self.build(request.POST)
        if not (form.is_valid() and all(fs.is_valid() for _h, fs in formsets)):
            return self.render(form, formsets, status=400)
        values = {k: form.cleaned_data[k] for k in calls.CALL_FIELDS}
        rows = {prefix: fs.rows() for (prefix, _h, _c), (_h2, fs) in zip(ROW_FORMSETS, formsets)}
        try:
            if self.object is None:
                call = calls.create_call(request.user, pot=form.cleaned_data["pot"], rows=rows, **values)
            else:
                call = calls.update_call(request.user, self.object, expected=request.POST.get(VERSION, ""), rows=rows, **values)
        except backoffice.StaleEdit as exc:
            # The typed values stay; the page now carries the saved version, so saving again overwrites.
            form.add_error(None, str(exc))
            self.object.refresh_from_db()
            return self.render(form, formsets, status=409, stale=True, version=calls.version(self.object))
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render(form, formsets, status=400)
        return redirect(self.detail_url(call))


class CallAction(Calls, backoffice.Scoped, generic.DetailView):
    """A confirmation page whose POST calls one domain function (publish, close, copy)."""

    template_name = "backoffice/calls/confirm.html"
    title = ""
    question = ""
    submit_label = ""
    danger = False

    def perform(self, call, expected):
        raise NotImplementedError

    def breadcrumbs(self):
        return [*super().breadcrumbs(), (str(self.object), self.detail_url(self.object))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title % {"what": self.object},
            question=self.question,
            submit_label=self.submit_label,
            danger=self.danger,
            version=calls.version(self.object),
            cancel_url=self.detail_url(self.object),
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            result = self.perform(self.object, request.POST.get(VERSION, ""))
        except backoffice.StaleEdit as exc:
            return self.render_to_response(self.get_context_data(errors=[str(exc)], stale=True), status=409)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages), status=400)
        return redirect(self.detail_url(result))


class CallPublish(CallAction):
    title = gettext_lazy("Publiser %(what)s")
    question = gettext_lazy("Når utlysningen er publisert, ser søkerne den og kan starte søknader. Rammen og årene prosjektene kan vare, kontrolleres mot pengene i potten.")
    submit_label = gettext_lazy("Publiser utlysningen")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("errors", calls.publish_problems(self.object) if self.object.status == Call.Status.DRAFT else [])
        return context

    def perform(self, call, expected):
        return calls.publish_call(self.request.user, call, expected=expected)


class CallClose(CallAction):
    title = gettext_lazy("Avslutt %(what)s")
    question = gettext_lazy("Utlysningen tar ikke imot nye søknader etter at den er avsluttet. Søknader som alt er sendt inn, behandles som før.")
    submit_label = gettext_lazy("Avslutt utlysningen")
    danger = True

    def perform(self, call, expected):
        return calls.close_call(self.request.user, call, expected=expected)


class CallCopy(CallAction):
    title = gettext_lazy("Kopier %(what)s")
    question = gettext_lazy("Kopien blir et utkast med samme tekst, regler, kriterier, saksgang og beløpsgrenser. Fristene og rammeåret flyttes ett år fram. Se over og endre kopien før du publiserer den.")
    submit_label = gettext_lazy("Lag kopi")

    def perform(self, call, expected):
        return calls.copy_call(self.request.user, call, expected=expected)


class CallPreview(Calls, backoffice.Scoped, generic.DetailView):
    """The applicant's page for the call, also for a draft, for those who set it up."""

    template_name = "backoffice/calls/preview.html"
    context_object_name = "call"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("criteria", "deadlines", "pre_project_caps", "steps__body", "designed_projects__designed_by")

    def breadcrumbs(self):
        return [*super().breadcrumbs(), (str(self.object), self.detail_url(self.object)), (_("Forhåndsvisning"), reverse("calls:preview", args=[self.object.pk]))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_open"] = self.object.is_open()
        return context


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Utlysninger"),
        description=gettext_lazy("Lag, kopier, forhåndsvis, publiser og avslutt utlysninger: formål, kriterier og vekting, saksgang, frister og ramme."),
        url_name="calls:list",
        may_use=manages_calls,
    )
)
