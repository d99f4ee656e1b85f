from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
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
        """`device_check(token)` returns the device that accepts the code, or None; without it
        the form only checks that the code looks like one (set-up checks it in the domain)."""
        super().__init__(*args, **kwargs)
        self.device_check = device_check
        self.device = None

    def clean_token(self):
        # Authenticator apps often show the code as "123 456".
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if self.device_check is not None:
            self.device = self.device_check(token)
            if self.device is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return token


class RemoveForm(forms.Form):
    confirm = forms.BooleanField(label=_("Jeg forstår at kontoen da bare er beskyttet av passordet"))


class ResetForm(forms.Form):
    """The reason a system administrator gives for removing someone's app; it goes in the audit trail."""

    reason = forms.CharField(
        label=_("Begrunnelse"),
        max_length=500,
        help_text=_("For eksempel: mistet telefonen, bekreftet på telefon med personen. Føres i revisjonssporet og sendes til personen."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PasswordLoginForm(AuthenticationForm):
    """Django's login form, with the message in plain Norwegian, and refusing the password of a
    person whose organisations have all turned local passwords off (they sign in through their
    organisation's provider instead)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Brukernavn eller passord er feil. Prøv igjen."),
        "passwords_off": _("Organisasjonen din har slått av innlogging med passord i RS-portalen. Logg inn med knappen for ID-porten eller arbeidsgiverens innlogging nedenfor."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from rsportal.signin.rules import passwords_allowed

        if not passwords_allowed(user):
            raise ValidationError(self.error_messages["passwords_off"], code="passwords_off")
