"""The secretariat's archive pages: per archive body its postmottak address, the journal (the
registry entries, per case if asked), each entry with its documents, and the Noark 5 export.
Scoped like the rest of the back office: another helsefellesskap's archive is a 404."""

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.core import backoffice
from rsportal.core.formatting import long_date
from rsportal.registry.models import Body

from . import domain, noark
from .forms import PeriodForm, PostmottakForm
from .models import ArchiveSettings, Document, Entry


def _owner(body) -> str:
    return str(body.helsefellesskap or body.rhf)


def _postmottak(body) -> str:
    try:
        address = body.archive_settings.postmottak
    except ArchiveSettings.DoesNotExist:
        address = ""
    return address or _("Ikke satt: journalpostene sendes ikke")


class Archives:
    model = Body
    section = "archive:list"
    title_plural = gettext_lazy("Arkiv og journal")

    def may_use(self, user):
        return domain.keeps_archive(user)

    def scope(self):
        return domain.archive_bodies(self.request.user).select_related("helsefellesskap", "rhf", "archive_settings")

    def detail_url(self, obj):
        return reverse("archive:detail", args=[obj.body_id if isinstance(obj, ArchiveSettings) else obj.pk])

    def history_url(self, obj):
        return reverse("archive:history", args=[obj.pk])


class ArchiveList(Archives, backoffice.List):
    columns = [
        ("name", gettext_lazy("Arkiv")),
        (_owner, gettext_lazy("Hører til")),
        (_postmottak, gettext_lazy("Postmottak")),
        ("entry_count", gettext_lazy("Journalposter")),
        ("failed_count", gettext_lazy("Venter eller feilet")),
    ]
    intro = gettext_lazy(
        "Hver søknad er en sak med sitt saksnummer, og hvert dokument portalen mottar eller sender, er en journalpost: "
        "søknaden og versjonene av den, vedlegg, vedtaksbrev, godkjent protokoll og rapporter. Arkivet føres av sekretariatet "
        "som eier potten søknaden er sendt til."
    )

    def get_queryset(self):
        waiting = ~Q(archive_entries__status=Entry.Status.STORED)
        return super().get_queryset().annotate(entry_count=Count("archive_entries"), failed_count=Count("archive_entries", filter=waiting)).order_by("helsefellesskap__name", "rhf__name", "name")


class ArchiveDetail(Archives, backoffice.Detail):
    fields = [
        (_owner, gettext_lazy("Hører til")),
        (_postmottak, gettext_lazy("Postmottak")),
        (lambda body: str(Entry.objects.filter(body=body).count()), gettext_lazy("Journalposter")),
        (lambda body: str(Entry.objects.filter(body=body).exclude(status=Entry.Status.STORED).count()), gettext_lazy("Venter eller feilet")),
        (lambda body: str(Entry.objects.filter(body=body, status=Entry.Status.STORED, sent_at__isnull=True).count()), gettext_lazy("Ikke sendt til postmottak")),
    ]

    def actions(self, obj):
        return [
            (_("Journal"), reverse("archive:journal", args=[obj.pk])),
            (_("Uttrekk etter Noark 5"), reverse("archive:export", args=[obj.pk])),
            (_("Endre postmottak"), reverse("archive:postmottak", args=[obj.pk])),
        ]


class ArchiveHistory(Archives, backoffice.History):
    def audit_children(self, obj):
        return list(ArchiveSettings.objects.filter(body=obj))


class PostmottakUpdate(Archives, backoffice.Update):
    model = ArchiveSettings
    form_class = PostmottakForm
    intro = ""

    def get_object(self, queryset=None):
        body = get_object_or_404(self.scope(), pk=self.kwargs["pk"])
        return domain.settings_for(body)

    def breadcrumbs(self):
        crumbs = [(_("Administrasjon"), reverse("backoffice:index")), (self.title_plural, reverse(self.section))]
        return crumbs + [(self.object.body.name, self.detail_url(self.object))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Postmottak for %(body)s") % {"body": self.object.body.name}
        return context

    def perform(self, form, expected):
        return domain.set_postmottak(self.request.user, self.object.body, postmottak=form.cleaned_data["postmottak"], expected=expected)


class _InBody(Archives):
    """Pages under one archive body (its journal and export)."""

    def body(self):
        if not hasattr(self, "_body"):
            self._body = get_object_or_404(domain.archive_bodies(self.request.user), pk=self.kwargs["pk"])
        return self._body

    def parent_crumbs(self):
        return [(self.body().name, reverse("archive:detail", args=[self.body().pk]))]


def _status(entry) -> str:
    if entry.status != Entry.Status.STORED:
        return entry.get_status_display()
    return _("Sendt %(date)s") % {"date": long_date(entry.sent_at)} if entry.sent_at else entry.get_status_display()


class Journal(_InBody, backoffice.List):
    model = Entry
    template_name = "archive/journal.html"
    columns = [
        ("journal_id", gettext_lazy("Journalnr.")),
        (lambda e: long_date(e.journal_date), gettext_lazy("Journaldato")),
        (lambda e: e.case.case_number, gettext_lazy("Saksnr.")),
        ("title", None),
        ("direction", gettext_lazy("Retning")),
        ("correspondent", None),
        (lambda e: long_date(e.document_date), gettext_lazy("Dokumentdato")),
        (_status, gettext_lazy("Status")),
    ]

    def scope(self):
        entries = Entry.objects.filter(body=self.body()).select_related("case")
        if case := self.request.GET.get("sak", "").strip():
            entries = entries.filter(case__case_number=case)
        return entries.order_by("-year", "-number", "-pk")

    def detail_url(self, obj):
        return reverse("archive:entry", args=[obj.pk])

    def history_url(self, obj):  # entries are written by the portal, never edited
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.request.GET.get("sak", "").strip()
        context["title"] = _("Journal for %(body)s") % {"body": self.body().name} + (f" – {_('sak')} {case}" if case else "")
        context["intro"] = _("Journalpostene i arkivet, nyeste først. Velg en journalpost for å se dokumentene.")
        context["case_filter"] = case
        context["breadcrumbs"] = self.breadcrumbs()
        return context


class EntryDetail(Archives, backoffice.Detail):
    model = Entry
    extra_template = "archive/_documents.html"
    fields = [
        ("journal_id", gettext_lazy("Journalnummer")),
        ("registry_id", gettext_lazy("Dokumentnummer i saken")),
        (lambda e: e.case.case_number, gettext_lazy("Saksnummer")),
        ("kind", None), ("direction", gettext_lazy("Retning")), ("correspondent", None),
        (lambda e: long_date(e.document_date), gettext_lazy("Dokumentdato")),
        (lambda e: long_date(e.journal_date), gettext_lazy("Journaldato")),
        (_status, gettext_lazy("Status")),
        ("error", None),
        (lambda e: e.sent_to or "–", gettext_lazy("Sendt til")),
    ]

    def scope(self):
        return Entry.objects.filter(body__in=domain.archive_bodies(self.request.user)).select_related("case", "body")

    def detail_url(self, obj):
        return reverse("archive:entry", args=[obj.pk])

    def history_url(self, obj):
        return None

    def parent_crumbs(self):
        body = self.object.body
        return [(body.name, reverse("archive:detail", args=[body.pk])), (_("Journal"), reverse("archive:journal", args=[body.pk]) + f"?sak={self.object.case.case_number}")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tabs"] = []
        context["documents"] = [(d, reverse("archive:document", args=[d.pk])) for d in self.object.documents.all()]
        return context


class DocumentDownload(Archives, backoffice.Detail):
    model = Document

    def scope(self):
        return Document.objects.filter(entry__body__in=domain.archive_bodies(self.request.user)).select_related("entry__case")

    def get(self, request, *args, **kwargs):
        document = self.get_object()
        with document.file.open("rb") as handle:
            content = handle.read()
        response = HttpResponse(content, content_type=document.content_type)
        name = f"{document.entry.registry_id.replace('/', '-')}-{document.number}.{document.extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class Export(_InBody, backoffice.Detail):
    """The period form, and with a valid period the zip itself (a GET: it changes nothing)."""

    template_name = "archive/export.html"

    def get_object(self, queryset=None):
        return self.body()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = PeriodForm(request.GET or None)
        error = ""
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            try:
                content = noark.build(self.object, start, end, by=request.user.get_full_name() or request.user.get_username())
            except noark.ExportError as exc:
                error = str(exc)
            else:
                response = HttpResponse(content, content_type="application/zip")
                response["Content-Disposition"] = f'attachment; filename="noark5-uttrekk-{start.isoformat()}-{end.isoformat()}.zip"'
                return response
        context = self.get_context_data(object=self.object, form=form, error=error)
        context["title"] = _("Uttrekk etter Noark 5: %(body)s") % {"body": self.object.name}
        context["tabs"] = []
        return self.render_to_response(context, status=400 if (form.is_bound and (form.errors or error)) else 200)


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Arkiv og journal"),
        description=gettext_lazy("Saker og journalposter, postmottak for arkivet og uttrekk etter Noark 5."),
        url_name="archive:list",
        may_use=domain.keeps_archive,
    )
)
