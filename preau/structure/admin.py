from django.contrib import admin

from preau.core.admin import ReadOnlyAdminMixin
from preau.structure.models import (
    ClassPart,
    Division,
    Enrolment,
    Group,
    Subject,
    TeachingService,
)


class ClassPartInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClassPart
    extra = 0


@admin.register(Division)
class DivisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "level", "establishment", "school_year", "period_scheme"]
    list_filter = ["establishment", "level"]
    search_fields = ["name"]
    filter_horizontal = ["head_teachers"]
    inlines = [ClassPartInline]


@admin.register(Group)
class GroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "establishment", "school_year"]
    list_filter = ["establishment"]
    search_fields = ["name"]
    filter_horizontal = ["class_parts", "divisions"]


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "label", "national_code", "establishment"]
    list_filter = ["establishment"]
    search_fields = ["code", "label"]


@admin.register(TeachingService)
class TeachingServiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "division", "group", "establishment", "weekly_hours"]
    list_filter = ["establishment", "subject"]
    raw_id_fields = ["teachers"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pupil", "division", "start_date", "end_date"]
    list_filter = ["division__establishment"]
    search_fields = ["pupil__last_name", "pupil__first_name"]
    raw_id_fields = ["pupil"]
