"""The technical admin shows the data; it does not change it. Every write goes through
the services (pages, commands, imports), which check permissions and keep the trail."""

from django.contrib import admin

from preau.core.models import (
    Closure,
    Establishment,
    ExternalId,
    GradingPeriod,
    Guardianship,
    Person,
    Role,
    SchoolYear,
)

admin.site.site_header = "Préau — administration technique"
admin.site.site_title = "Préau"


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClosureInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Establishment)
class EstablishmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["uai", "name", "kind", "city", "academy", "holiday_zone", "public_holidays"]
    list_filter = ["kind", "academy", "holiday_zone", "public_holidays"]
    search_fields = ["uai", "name", "city"]
    inlines = [ClosureInline]


class GradingPeriodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GradingPeriod
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["label", "establishment", "start_date", "end_date"]
    list_filter = ["label"]
    search_fields = ["establishment__name", "establishment__uai"]
    inlines = [GradingPeriodInline]


class ExternalIdInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExternalId
    extra = 0
    raw_id_fields = ["establishment"]


class RoleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Role
    extra = 0


@admin.register(Person)
class PersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "birth_date", "email", "city"]
    search_fields = ["last_name", "first_name", "email", "external_ids__value"]
    inlines = [RoleInline, ExternalIdInline]


@admin.register(Guardianship)
class GuardianshipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pupil",
        "guardian",
        "level",
        "relationship",
        "parental_authority",
        "receives_mail",
        "adult_objection_at",
    ]
    list_filter = ["level", "relationship", "parental_authority"]
    search_fields = ["pupil__last_name", "guardian__last_name"]
    raw_id_fields = ["pupil", "guardian"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["person", "kind", "establishment", "title", "start_date", "end_date"]
    list_filter = ["kind", "establishment"]
    search_fields = ["person__last_name", "person__first_name"]
    raw_id_fields = ["person"]
