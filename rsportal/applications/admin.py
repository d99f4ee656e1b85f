from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from rsportal.core.admin_locking import LockedModelAdmin

from . import models
from .criteria import add_default_criteria


class DeadlineInline(admin.TabularInline):
    model = models.Deadline
    extra = 1


class CriterionInline(admin.TabularInline):
    model = models.Criterion
    extra = 0


class CapInline(admin.TabularInline):
    model = models.PreProjectCap
    extra = 0


class StepInline(admin.TabularInline):
    model = models.ProcessStep
    extra = 0
    autocomplete_fields = ["body"]


class DesignedProjectInline(admin.StackedInline):
    model = models.DesignedProject
    extra = 0
    autocomplete_fields = ["designed_by"]


@admin.register(models.Call)
class CallAdmin(LockedModelAdmin):
    """Calls are configured here without code: texts, criteria, deadlines, rules and process."""

    list_display = ["title", "pot", "kind", "status", "frame_amount", "frame_year", "publish_rejected"]
    list_filter = ["status", "kind", "pot__rhf", "publish_rejected"]
    search_fields = ["title"]
    inlines = [DeadlineInline, CriterionInline, CapInline, StepInline, DesignedProjectInline]
    actions = ["default_criteria"]

    @admin.action(description=_("Legg til Helse Nords seks kriterier"))
    def default_criteria(self, request, queryset):
        for call in queryset:
            add_default_criteria(call)
        self.message_user(request, _("Kriteriene er lagt til der utlysningen manglet kriterier."), messages.SUCCESS)


class ReadOnly(LockedModelAdmin):
    """Applications are written by the applicants; the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["title", "call", "helsefellesskap", "type", "status", "submitted_at"]
    list_filter = ["status", "type", "call"]
    search_fields = ["title"]


@admin.register(models.JoinRequest)
class JoinRequestAdmin(LockedModelAdmin):
    list_display = ["project", "municipality", "contact_name", "status", "created_at"]
    list_filter = ["status"]
