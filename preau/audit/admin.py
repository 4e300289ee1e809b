from django.contrib import admin

from preau.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor", "establishment", "object_type", "object_id"]
    list_filter = ["action", "establishment"]
    search_fields = ["object_id", "actor__login"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
