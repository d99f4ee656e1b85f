from django.contrib import admin

from rsportal.core.admin_locking import LockedModelAdmin

from .models import OrganisationRole


@admin.register(OrganisationRole)
class OrganisationRoleAdmin(LockedModelAdmin):
    list_display = ["user", "kind", "municipality", "trust", "rhf", "valid_from", "valid_to"]
    list_filter = ["kind", "rhf"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "municipality__name", "trust__name"]
    autocomplete_fields = ["user", "municipality"]
