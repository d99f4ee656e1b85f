"""The back office: the pages where a helsefellesskap's secretariat or an RHF runs its own process.

A back-office page is a short subclass of one of the views below, given a model, a form, a
scope and a domain function. The views carry the guarantees every page needs:

- permission: `may_use(user)` decides whether the person manages anything of this kind (403
  otherwise), and `scope()` is the queryset they may manage; an object outside it is a 404,
  so one helsefellesskap cannot even learn that another's objects exist;
- the save goes through a domain function (`perform`), which checks permission again, runs in a
  transaction and writes the audit record; the view only translates its refusals into messages;
- optimistic locking: the form carries `version()` of the object as shown, the domain function
  calls `lock(obj, expected)`, and a stale save is refused with the typed values kept and the
  new version in the form, so saving again is a deliberate overwrite;
- a "Historikk" tab read from the audit trail;
- Norwegian labels: choices through their display names, dates as "1. januar 2028".

The landing page /administrasjon/ lists the `Section`s the person may use; each area registers
its own when its URLs load.

Adding a page (see registry/backoffice.py for bodies and seats, accounts/backoffice.py for roles):

    class Pots:                                    # what every page of the area shares
        model = Pot
        section = "pots:list"                      # the Section's url name (breadcrumbs)
        def may_use(self, user): return permissions.manages_money(user)           # else 403
        def scope(self): return Pot.objects.filter(rhf__in=...)                    # else 404
        def detail_url(self, obj): return reverse("pots:detail", args=[obj.pk])
        def history_url(self, obj): return reverse("pots:history", args=[obj.pk])  # the tabs

    class PotList(Pots, backoffice.List): columns = [("name", None), ("kind", None)]
    class PotDetail(Pots, backoffice.Detail): fields = [("kind", None)]
    class PotHistory(Pots, backoffice.History): pass
    class PotUpdate(Pots, backoffice.Update):
        form_class = PotForm                       # gets user=...; a version field is added
        def perform(self, form, expected):         # the domain function does lock(obj, expected)
            return domain.update_pot(self.request.user, self.object, expected=expected, **form.cleaned_data)

`perform` raising ValidationError (a dict puts messages on fields) redraws the form with 400;
StaleEdit redraws it with 409; PermissionDenied is a 403."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views import generic

from .admin_locking import fingerprint
from .formatting import person_name
from .models import AuditEvent

VERSION_FIELD = "_version"


# --- optimistic locking ------------------------------------------------------


class StaleEdit(Exception):
    """Someone saved the object after the form was drawn; the message says who and when."""


def version(obj: Model) -> str:
    """The token a form carries for the object as it was shown."""
    return fingerprint(obj)


def lock(obj: Model, expected: str | None) -> Model:
    """Re-read `obj` under a row lock (inside the caller's transaction) and refuse with StaleEdit
    when it is no longer the version the form showed. `expected=None` skips the check (a script
    or a test that posted no form)."""
    current = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
    if expected is not None and version(current) != expected:
        last = (
            AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("actor").first()
        )
        who = person_name(last.actor) if last and last.actor else _("Noen andre")
        when = moment(last.at) if last else ""
        raise StaleEdit(
            _(
                "%(who)s lagret endringer %(when)s etter at du åpnet siden. Det du skrev er ikke lagret, men står fortsatt "
                "i skjemaet. Se over det som er lagret nå, og lagre på nytt hvis du vil erstatte det."
            )
            % {"who": who, "when": when}
        )
    return current


# --- Norwegian display of values -----------------------------------------------


def display(obj: Model, name: str) -> str:
    """A field as a person reads it: the label of a choice, "1. januar 2028" for a date,
    "Ja"/"Nei" for a flag, "–" for nothing."""
    getter = getattr(obj, f"get_{name}_display", None)
    value = getter() if getter else getattr(obj, name)
    if callable(value):
        value = value()
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nei")
    if isinstance(value, datetime.datetime):
        return moment(value)
    if isinstance(value, datetime.date):
        return dateformat.format(value, "j. F Y")
    return str(value)


def moment(value: datetime.datetime) -> str:
    """ "1. januar 2028 kl. 14.30", in Norwegian local time."""
    return dateformat.format(timezone.localtime(value), r"j. F Y \k\l. H.i")


def label(model: type[Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # a property: the page gives its own label
        return name


# --- the landing page's sections -------------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    url_name: str
    may_use: Callable[[object], bool]


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    SECTIONS[section.url_name] = section


def sections_for(user) -> list[Section]:
    return [s for s in SECTIONS.values() if s.may_use(user)]


class Index(LoginRequiredMixin, generic.TemplateView):
    template_name = "backoffice/index.html"

    def get(self, request, *args, **kwargs):
        sections = sections_for(request.user)
        if not sections:
            raise PermissionDenied(_("Du administrerer ingenting i RS-portalen."))
        return self.render_to_response({"sections": sections})


# --- the generic views -----------------------------------------------------------


class Scoped(LoginRequiredMixin):
    """Permission in dispatch and the queryset the person may manage."""

    model: type[Model]
    section: str = ""  # the section's url name, for the breadcrumbs
    title_plural: str = ""

    def may_use(self, user) -> bool:
        raise NotImplementedError

    def scope(self):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.may_use(request.user):
            raise PermissionDenied(_("Du har ikke tilgang til denne delen av administrasjonen."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.scope()

    def detail_url(self, obj) -> str:
        return ""

    def breadcrumbs(self) -> list[tuple[str, str]]:
        crumbs = [(_("Administrasjon"), reverse("backoffice:index"))]
        if self.section:
            crumbs.append((self.title_plural or SECTIONS[self.section].title, reverse(self.section)))
        return crumbs + self.parent_crumbs()

    def parent_crumbs(self) -> list[tuple[str, str]]:
        """Between the section and the object: a seat's body, say."""
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = self.breadcrumbs()
        return context


class List(Scoped, generic.ListView):
    """`columns`: (field name or callable, label or None for the field's own) pairs."""

    template_name = "backoffice/list.html"
    columns: list[tuple[str | Callable, str | None]] = []
    create_url_name: str = ""
    create_label: str = ""
    intro: str = ""
    paginate_by = 50

    def cell(self, obj, column) -> str:
        return column(obj) if callable(column) else display(obj, column)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title_plural,
            intro=self.intro,
            headers=[lbl or label(self.model, col) for col, lbl in self.columns],
            rows=[(self.detail_url(obj), [self.cell(obj, col) for col, _lbl in self.columns]) for obj in context["object_list"]],
            create_url=reverse(self.create_url_name, kwargs=self.create_kwargs()) if self.create_url_name else "",
            create_label=self.create_label or _("Legg til"),
        )
        return context

    def create_kwargs(self) -> dict:
        return {}


class _Saving:
    """Calls the domain function and turns its refusals into form errors (status 400)."""

    template_name = "backoffice/form.html"
    submit_label: str = ""

    def perform(self, form, expected: str | None):
        raise NotImplementedError

    def form_valid(self, form):
        expected = form.cleaned_data.get(VERSION_FIELD) if VERSION_FIELD in form.fields else None
        try:
            self.object = self.perform(form, expected)
        except StaleEdit as exc:
            # The typed values stay; the form now carries the saved version, so saving again overwrites.
            form.data = form.data.copy()
            form.data[form.add_prefix(VERSION_FIELD)] = version(self.get_object())
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form, stale=True), status=409)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_success_url(self):
        return self.detail_url(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["submit_label"] = self.submit_label or _("Lagre")
        context["cancel_url"] = self.cancel_url()
        return context

    def cancel_url(self) -> str:
        return self.breadcrumbs()[-1][1]


class Create(_Saving, Scoped, generic.CreateView):
    create_title: str = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.create_title or _("Ny: %(what)s") % {"what": self.model._meta.verbose_name}
        return context


class Update(_Saving, Scoped, generic.UpdateView):
    """Edits an object in scope; the form carries the version it was drawn from."""

    def get_form_class(self):
        base = super().get_form_class()
        return type(base.__name__, (base,), {VERSION_FIELD: forms.CharField(widget=forms.HiddenInput, required=False)})

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs.setdefault("initial", {})[VERSION_FIELD] = version(self.object)
        return kwargs

    def breadcrumbs(self):
        return [*super().breadcrumbs(), (str(self.object), self.detail_url(self.object))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Endre %(what)s") % {"what": self.object}
        return context


class End(Update):
    """Ends (or deletes) an object after a confirmation page; same locking as an edit."""

    template_name = "backoffice/confirm.html"
    question: str = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Avslutt %(what)s") % {"what": self.object}
        context["question"] = self.question
        return context


class Detail(Scoped, generic.DetailView):
    """The object's fields, its actions and the tabs (Detaljer / Historikk)."""

    template_name = "backoffice/detail.html"
    fields: list[tuple[str | Callable, str | None]] = []
    extra_template: str = ""  # an include below the fields (a body's seats)

    def actions(self, obj) -> list[tuple[str, str]]:
        return []

    def breadcrumbs(self):
        return [*super().breadcrumbs(), (str(self.object), self.detail_url(self.object))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        context.update(
            title=str(obj),
            facts=[(lbl or label(self.model, f), f(obj) if callable(f) else display(obj, f)) for f, lbl in self.fields],
            actions=self.actions(obj),
            extra_template=self.extra_template,
            tabs=tabs(self, obj, "detail"),
        )
        return context


class History(Detail):
    """The audit events of the object (and of `audit_children`, such as a body's seats)."""

    template_name = "backoffice/history.html"

    def audit_children(self, obj) -> list[Model]:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        condition = Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        children: dict[str, list[str]] = {}
        for child in self.audit_children(obj):
            children.setdefault(child._meta.label_lower, []).append(str(child.pk))
        for object_type, ids in children.items():
            condition |= Q(object_type=object_type, object_id__in=ids)
        context["events"] = AuditEvent.objects.filter(condition).select_related("actor")[:500]
        context["tabs"] = tabs(self, obj, "history")
        return context


def tabs(view, obj, current: str) -> list[tuple[str, str, bool]]:
    history = getattr(view, "history_url", None)
    if history is None:
        return []
    return [(_("Detaljer"), view.detail_url(obj), current == "detail"), (_("Historikk"), history(obj), current == "history")]
