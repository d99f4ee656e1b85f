from django.contrib import admin

from .admin_locking import LockedModelAdmin
from .models import AuditEvent, Notification


@admin.register(AuditEvent)
class AuditEventAdmin(LockedModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "object_type"]
    search_fields = ["summary", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(LockedModelAdmin):
    list_display = ["created_at", "recipient", "subject", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    readonly_fields = ["created_at", "recipient", "user", "category", "subject", "body", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False
