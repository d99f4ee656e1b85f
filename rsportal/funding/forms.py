from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField, YearField

from .models import Answer, Reserve

STALE_FORM = _("Skjemaet mangler versjonen av potten du så. Last siden på nytt og prøv igjen.")


def _version_field():
    """The pot's version when the page was drawn. Required: a post without it would skip the
    check, and a change someone else made meanwhile must be refused, not overwritten."""
    return forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": STALE_FORM, "invalid": STALE_FORM})


class ReserveForm(forms.Form):
    year = YearField(label=_("År"))
    kind = forms.ChoiceField(label=_("Type avsetning"), choices=Reserve.Kind.choices)
    amount = KronerField(label=_("Beløp"), min_value=0, help_text=_("0 fjerner avsetningen."))
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)
    expected = _version_field()


class CarryOverForm(forms.Form):
    from_year = YearField(label=_("Fra år"))
    amount = KronerField(label=_("Beløp"), min_value=1)
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)
    expected = _version_field()


class ClassificationForm(forms.Form):
    """The secretariat's classification of one grant; labels, never codes."""

    themes = forms.MultipleChoiceField(label=_("Tema (Fafo tabell 10)"), choices=(), widget=forms.CheckboxSelectMultiple, required=False)
    patient_groups = forms.MultipleChoiceField(
        label=_("Prioriterte pasientgrupper"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Målgruppen i Fafo tabell 11 regnes ut fra disse. Ingen avkrysning betyr at prosjektet ikke retter seg mot noen av dem."),
    )
    digital_home_follow_up = forms.ChoiceField(label=_("Digital hjemmeoppfølging"), choices=Answer.choices)
    task_shifting = forms.ChoiceField(
        label=_("Oppgavedeling mellom kommune og spesialisthelsetjeneste"),
        choices=Answer.choices,
        help_text=_("Ja når oppgaver flyttes mellom nivåene, for eksempel når kommunen overtar en tjeneste fra sykehuset."),
    )
    expected = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("Skjemaet mangler versjonen du så. Last siden på nytt og prøv igjen.")})

    def __init__(self, *args, **kwargs):
        from .classification import patient_group_choices, theme_choices

        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices()
        self.fields["patient_groups"].choices = patient_group_choices()
