from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import (
    Account,
    ActivationCode,
    NotificationPreference,
    PersonalToken,
)
from preau.audit.services import audit_record


class AccountCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Account
        fields = ("login",)
        field_classes = {}


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Account
        field_classes = {}


@admin.register(Account)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    ordering = ["login"]
    list_display = ["login", "person", "is_active", "activated_at", "last_login", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["login", "person__last_name", "person__first_name", "person__email"]
    raw_id_fields = ["person"]
    readonly_fields = ["last_login", "created_at", "activated_at"]
    fieldsets = [
        (None, {"fields": ["login", "password", "person"]}),
        (_("État"), {"fields": ["is_active", "activated_at", "last_login", "created_at"]}),
        (
            _("Administration technique"),
            {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="account.admin_change" if change else "account.admin_create",
            target=obj,
            after={"fields": sorted(form.changed_data)},
        )

    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["login", "usable_password", "password1", "password2"]},
        )
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the product's pages only: shown for support, never edited here
    (the hashes they hold are of no use to anybody)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ActivationCode)
class ActivationCodeAdmin(ReadOnlyAdmin):
    list_display = ["account", "created_at", "created_by", "expires_at", "used_at", "voided_at"]
    search_fields = ["account__login"]
    exclude = ["code_hash"]
    raw_id_fields = ["account", "created_by"]


@admin.register(PersonalToken)
class PersonalTokenAdmin(ReadOnlyAdmin):
    list_display = ["account", "name", "prefix", "created_at", "last_used_at", "expires_at"]
    search_fields = ["account__login", "name", "prefix"]
    exclude = ["token_hash"]
    raw_id_fields = ["account"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["person", "absences", "grades", "homework", "messages", "updated_at"]
    search_fields = ["person__last_name", "person__first_name"]
    raw_id_fields = ["person"]
