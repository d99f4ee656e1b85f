from django.contrib import admin

from rsportal.core.admin_locking import LockedModelAdmin

from . import models


@admin.register(models.RegionalHealthAuthority)
class RegionalHealthAuthorityAdmin(LockedModelAdmin):
    list_display = ["code", "name"]


@admin.register(models.County)
class CountyAdmin(LockedModelAdmin):
    list_display = ["number", "name"]


class PopulationInline(admin.TabularInline):
    model = models.PopulationFigure
    extra = 0


@admin.register(models.Municipality)
class MunicipalityAdmin(LockedModelAdmin):
    list_display = ["number", "name", "county", "sami_area"]
    list_filter = ["county", "sami_area"]
    search_fields = ["number", "name"]
    inlines = [PopulationInline]


class HospitalInline(admin.TabularInline):
    model = models.Hospital
    extra = 0


@admin.register(models.HealthTrust)
class HealthTrustAdmin(LockedModelAdmin):
    list_display = ["code", "name", "rhf", "kind", "area_trust"]
    list_filter = ["rhf", "kind"]
    inlines = [HospitalInline]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["municipality"]


@admin.register(models.Helsefellesskap)
class HelsefellesskapAdmin(LockedModelAdmin):
    list_display = ["name", "code", "trust", "rhf"]
    list_filter = ["rhf"]
    search_fields = ["name", "code"]
    inlines = [MembershipInline]


class BodyMemberInline(admin.TabularInline):
    model = models.BodyMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Body)
class BodyAdmin(LockedModelAdmin):
    list_display = ["name", "kind", "helsefellesskap", "rhf", "decision_rule"]
    list_filter = ["kind", "rhf", "decision_rule"]
    search_fields = ["name"]
    inlines = [BodyMemberInline]


@admin.register(models.NationalGrant)
class NationalGrantAdmin(LockedModelAdmin):
    list_display = ["year", "amount", "source"]
