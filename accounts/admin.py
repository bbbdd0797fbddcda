from django.contrib import admin

from accounts.forms import AdminLoginForm
from accounts.models import ApiToken, Invitation

# The admin's log-in is throttled like the site's (accounts/throttle.py).
admin.site.login_form = AdminLoginForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made on /accounts/invitations/ (the link is shown once); here they can be revoked."""

    list_display = ["__str__", "created_by", "created_at", "expires_at", "used_by", "used_at"]
    readonly_fields = ["token_hash", "note", "created_by", "created_at", "expires_at", "used_at", "used_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
