from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Engangskode"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}),
    )

    error_messages = {"invalid": _("Koden er feil eller utløpt. Prøv igjen med koden som vises nå.")}

    def __init__(self, *args, device_check=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device_check = device_check
        self.device = None

    def clean_token(self):
        # Authenticator apps often show the code as "123 456".
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        self.device = self.device_check(token)
        if self.device is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return token
