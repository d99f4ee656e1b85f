"""Providers and organisations' sign-in rules are system configuration, kept in the Django admin.
Bindings to ID-porten are shown (who, when) but never their hash, and are made only through
an invitation; the admin may remove one so that the person binds again with a new invitation."""

from django import forms
from django.contrib import admin

from . import providers
from .models import IdentityBinding, OrganisationSignIn, Provider


class ProviderForm(forms.ModelForm):
    issuer = forms.URLField(label=Provider._meta.get_field("issuer").verbose_name, max_length=300, assume_scheme="https")

    class Meta:
        model = Provider
        fields = "__all__"
        # The secret is written, never shown again.
        widgets = {"client_secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["client_secret"].required = False
            self.fields["client_secret"].help_text = "La stå tomt for å beholde hemmeligheten som er lagret."

    def clean_slug(self):
        # The callback shares the /oidc/ prefix with the providers' start addresses.
        if self.cleaned_data["slug"] == "callback":
            raise forms.ValidationError("Kortnavnet «callback» er reservert. Velg et annet.")
        return self.cleaned_data["slug"]

    def clean_client_secret(self):
        value = self.cleaned_data.get("client_secret")
        return value or (self.instance.client_secret if self.instance.pk else value)


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = ["name", "kind", "issuer", "enabled", "order"]
    list_filter = ["kind", "enabled"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        providers.clear_cache()


@admin.register(OrganisationSignIn)
class OrganisationSignInAdmin(admin.ModelAdmin):
    list_display = ["__str__", "passwords_allowed", "contact"]
    list_filter = ["passwords_allowed"]
    autocomplete_fields = []
    raw_id_fields = ["municipality", "trust", "rhf"]


@admin.register(IdentityBinding)
class IdentityBindingAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at", "last_used_at"]
    fields = ["user", "kind", "created_at", "last_used_at"]
    readonly_fields = fields
    search_fields = ["user__username", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
