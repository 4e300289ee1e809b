from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Account
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
