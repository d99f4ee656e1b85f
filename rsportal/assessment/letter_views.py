"""The RHF administrator's pages for decision-letter templates (/administrasjon/brevmaler/),
on the generic back office, with a PDF preview of the saved or the typed texts."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from rsportal.accounts import permissions
from rsportal.core import backoffice
from rsportal.core.uploads import LimitedMemoryUploadHandler

from . import letters, visibility
from .models import LetterTemplate


def _may_use(user) -> bool:
    return permissions.managed_rhfs(user, secretariat=False).exists()


class LetterTemplateForm(forms.ModelForm):
    logo_file = forms.FileField(label=gettext_lazy("Ny logo (PNG eller JPEG, høyst 1 MB)"), required=False)
    remove_logo = forms.BooleanField(label=gettext_lazy("Fjern logoen"), required=False)

    class Meta:
        model = LetterTemplate
        fields = letters.TEXT_FIELDS
        widgets = {"letterhead_address": forms.Textarea(attrs={"rows": 3}), "terms": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = ", ".join("{{ %s }}" % name for name in letters.PLACEHOLDERS)
        for name in ("subject", "body_text", "terms", "appeal_text"):
            help_text = self.fields[name].help_text
            self.fields[name].help_text = f"{help_text} " + _("Flettefelt: %(fields)s.") % {"fields": fields}

    def _text(self, name):
        value = self.cleaned_data.get(name, "")
        letters.check_text(value)
        return value

    def clean_subject(self):
        return self._text("subject")

    def clean_body_text(self):
        return self._text("body_text")

    def clean_terms(self):
        return self._text("terms")

    def clean_appeal_text(self):
        return self._text("appeal_text")

    def clean_letterhead_org_number(self):
        value = self.cleaned_data.get("letterhead_org_number", "").replace(" ", "")
        if value and not (value.isdigit() and len(value) == 9):
            raise forms.ValidationError(_("Et organisasjonsnummer har ni sifre."))
        return value

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if getattr(upload, "refused", "") == LimitedMemoryUploadHandler.REQUEST_TOO_BIG or upload.size > letters.MAX_LOGO_BYTES:
            raise forms.ValidationError(_("Logoen er for stor (høyst 1 MB)."))
        content = upload.read()
        letters.logo_type(content)  # judged by its first bytes, not its name
        return content


class BodyTemplateForm(forms.Form):
    body = forms.ModelChoiceField(label=gettext_lazy("Organ"), queryset=None)
    kind = forms.ChoiceField(label=gettext_lazy("Vedtak"), choices=LetterTemplate._meta.get_field("kind").choices)

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = letters.bodies_for(user)


class Templates:
    model = LetterTemplate
    section = "letters:list"
    title_plural = gettext_lazy("Brevmaler for vedtak")

    def may_use(self, user):
        return _may_use(user)

    def scope(self):
        return letters.manageable(self.request.user).select_related("rhf", "body")

    def detail_url(self, obj):
        return reverse("letters:detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("letters:history", args=[obj.pk])


class TemplateList(Templates, backoffice.List):
    create_url_name = "letters:create"
    create_label = gettext_lazy("Egen brevmal for et organ")
    columns = [("kind", None), (lambda t: t.body.name if t.body_id else _("Alle organer"), gettext_lazy("Gjelder")), ("rhf", None), ("subject", None)]
    intro = gettext_lazy(
        "Tekstene i vedtaksbrevene: emne, brevtekst, vilkår, klageadgang, underskriver og brevhode. "
        "Klageadgangen skiller seg mellom organer, så se over den før første vedtak sendes."
    )

    def get(self, request, *args, **kwargs):
        # The RHF's templates are made with the default texts the first time they are needed.
        for rhf in permissions.managed_rhfs(request.user, secretariat=False):
            letters.ensure_defaults(rhf)
        return super().get(request, *args, **kwargs)


class TemplateCreate(Templates, backoffice.Create):
    form_class = BodyTemplateForm
    create_title = gettext_lazy("Egen brevmal for et organ")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def perform(self, form, expected):
        return letters.create_body_template(self.request.user, body=form.cleaned_data["body"], kind=form.cleaned_data["kind"])


class TemplateDetail(Templates, backoffice.Detail):
    fields = [
        ("kind", None), ("rhf", None), (lambda t: t.body.name if t.body_id else _("Alle organer"), gettext_lazy("Gjelder")), ("subject", None), ("body_text", None), ("terms", None), ("appeal_text", None),
        ("signer_name", None), ("signer_title", None), ("letterhead_name", None), ("letterhead_address", None), ("letterhead_org_number", None),
        (lambda t: _("Ja") if t.logo else _("Nei"), gettext_lazy("Logo")),
    ]

    def actions(self, obj):
        return [(_("Endre brevmalen"), reverse("letters:update", args=[obj.pk])), (_("Forhåndsvis som PDF"), reverse("letters:preview", args=[obj.pk]))]


class TemplateUpdate(Templates, backoffice.Update):
    form_class = LetterTemplateForm
    template_name = "backoffice/letters/form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview_url"] = reverse("letters:preview", args=[self.object.pk])
        return context

    def perform(self, form, expected):
        values = {k: form.cleaned_data[k] for k in letters.TEXT_FIELDS}
        return letters.update_template(
            self.request.user, self.object, expected=expected, logo=form.cleaned_data.get("logo_file"), remove_logo=form.cleaned_data.get("remove_logo"), **values
        )


class TemplateHistory(Templates, backoffice.History):
    pass


class TemplatePreview(Templates, backoffice.Scoped, View):
    """GET: the saved template; POST: the texts typed in the edit form, not saved. Shown on the
    latest adopted decision of its kind the person may see, else on an invented one."""

    def get(self, request, pk):
        return self._pdf(self._template(pk))

    def post(self, request, pk):
        template = self._template(pk)
        form = LetterTemplateForm(request.POST, request.FILES, instance=template)
        if not form.is_valid():
            context = {"form": form, "title": _("Endre %(what)s") % {"what": template}, "preview_url": request.path, "breadcrumbs": self.breadcrumbs()}
            return render(request, "backoffice/letters/form.html", context, status=400)
        template = form.save(commit=False)  # not saved: the form's values on an unsaved copy
        if form.cleaned_data.get("logo_file"):
            template.logo = form.cleaned_data["logo_file"]
            template.logo_type = letters.logo_type(template.logo)
        return self._pdf(template)

    def _template(self, pk):
        return get_object_or_404(self.scope(), pk=pk)

    def _pdf(self, template):
        decision = next((d for d in letters.latest_decisions(template) if visibility.what_may_see(self.request.user, d.application).decision), None)
        letter = letters.for_decision(decision, template) if decision else letters.sample(template)
        response = HttpResponse(letters.pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="forhandsvisning.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Brevmaler for vedtak"),
        description=gettext_lazy("Tekstene i vedtaksbrevene, klageadgang, underskriver og brevhode, med forhåndsvisning."),
        url_name="letters:list",
        may_use=_may_use,
    )
)
