from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.core.admin_locking import LockedModelAdmin
from rsportal.security import devices
from rsportal.security.forms import ResetForm

from . import permissions
from .models import Invitation, OrganisationRole

User = get_user_model()


@admin.register(OrganisationRole)
class OrganisationRoleAdmin(LockedModelAdmin):
    list_display = ["user", "kind", "municipality", "trust", "rhf", "valid_from", "valid_to"]
    list_filter = ["kind", "rhf"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "municipality__name", "trust__name"]
    autocomplete_fields = ["user", "municipality"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent and taken up through their domain functions (audited);
    the token itself is never stored, only its digest, which is not shown."""

    list_display = ["name", "email", "seat", "kind", "municipality", "trust", "rhf", "invited_by", "created_at", "expires_at", "used_at"]
    list_filter = ["kind"]
    search_fields = ["name", "email"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin, plus the audited reset of a person's two-factor app."""

    list_display = [*auth_admin.UserAdmin.list_display, "has_two_factor"]
    actions = ["reset_two_factor"]

    @admin.display(description=gettext_lazy("Tofaktor"), boolean=True, ordering="two_factor")
    def has_two_factor(self, user):
        return user.two_factor

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(two_factor=Exists(confirmed))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not permissions.is_system_admin(request.user):
            actions.pop("reset_two_factor", None)
        return actions

    @admin.action(description=gettext_lazy("Nullstill tofaktorinnlogging (mistet telefon)"))
    def reset_two_factor(self, request, queryset):
        """Asks for the reason first; rsportal.security.devices.reset_device checks, audits and mails."""
        form = ResetForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, skipped = [], []
            for user in queryset.order_by("username"):
                try:
                    devices.reset_device(request.user, user, form.cleaned_data["reason"])
                except devices.TwoFactorError as error:
                    skipped.append(str(error))
                else:
                    done.append(user.get_username())
            if done:
                self.message_user(request, _("Tofaktorinnlogging nullstilt for: %(users)s") % {"users": ", ".join(done)}, messages.SUCCESS)
            if skipped:
                self.message_user(request, _("Ikke nullstilt: %(why)s") % {"why": " ".join(skipped)}, messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Nullstill tofaktorinnlogging"),
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "registration/two_factor_admin_reset.html", context)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
