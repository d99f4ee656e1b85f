from django import forms
from django.utils.translation import gettext_lazy as _

from . import domain


class PersonForm(forms.Form):
    """Which person: a user account, an e-mail address, or both."""

    username = forms.CharField(label=_("Brukernavn"), required=False, max_length=150)
    email = forms.EmailField(
        label=_("E-postadresse"), required=False, help_text=_("For kontaktpersoner uten brukerkonto, eller en tidligere adresse.")
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.person = domain.resolve_person(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
        except domain.PrivacyError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


class ViewLogFilterForm(forms.Form):
    person = forms.CharField(label=_("Person (e-post eller navn)"), required=False, max_length=254)
    objekt = forms.CharField(label=_("Objekt"), required=False, max_length=150, help_text=_("For eksempel applications.application:12"))
