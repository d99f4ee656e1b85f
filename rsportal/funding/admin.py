from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from rsportal.core.admin_locking import LockedModelAdmin

from . import domain, models


class ReadOnlyAdmin(LockedModelAdmin):
    """Money ledgers change only through funding.domain, which guards the frames and writes the audit trail."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ShareInline(admin.TabularInline):
    model = models.DistributionShare
    extra = 0


@admin.register(models.DistributionKey)
class DistributionKeyAdmin(LockedModelAdmin):
    list_display = ["name"]
    inlines = [ShareInline]


class AppropriationShareInline(admin.TabularInline):
    model = models.AppropriationShare
    extra = 0
    can_delete = False
    readonly_fields = ["rhf", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Appropriation)
class AppropriationAdmin(LockedModelAdmin):
    list_display = ["name", "year", "amount", "key", "rhf", "earmarked_for", "booked_at"]
    list_filter = ["year"]
    readonly_fields = ["booked_at"]
    inlines = [AppropriationShareInline]
    actions = ["book"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.booked_at:
            return ["year", "name", "amount", "key", "rhf", "earmarked_for", "booked_at"]
        return self.readonly_fields

    @admin.action(description=_("Bokfør valgte bevilgninger"))
    def book(self, request, queryset):
        for appropriation in queryset:
            try:
                domain.book_appropriation(request.user, appropriation)
            except domain.FundingError as exc:
                self.message_user(request, f"{appropriation}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(name)s er bokført.") % {"name": appropriation}, messages.SUCCESS)


@admin.register(models.Pot)
class PotAdmin(LockedModelAdmin):
    list_display = ["name", "kind", "rhf", "helsefellesskap", "parent"]
    list_filter = ["kind", "rhf"]
    search_fields = ["name"]
    fields = ["name", "description", "kind", "rhf", "helsefellesskap", "parent"]
    readonly_fields = ["kind", "rhf", "helsefellesskap", "parent"]

    def has_add_permission(self, request):
        return False


@admin.register(models.PotYear)
class PotYearAdmin(ReadOnlyAdmin):
    list_display = ["pot", "year", "frame"]
    list_filter = ["year", "pot__rhf"]


@admin.register(models.FrameEntry)
class FrameEntryAdmin(ReadOnlyAdmin):
    list_display = ["pot_year", "kind", "amount", "note", "created_at"]
    list_filter = ["kind"]


@admin.register(models.Reserve)
class ReserveAdmin(ReadOnlyAdmin):
    list_display = ["pot_year", "kind", "amount", "note"]


@admin.register(models.Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["pot_year", "kind", "amount", "status", "grant", "recipient_pot"]
    list_filter = ["kind", "status", "pot_year__year"]


@admin.register(models.Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["title", "pot", "helsefellesskap", "pre_project", "round_label"]
    list_filter = ["pot", "round_label", "pre_project"]
    search_fields = ["title"]
