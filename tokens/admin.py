"""Connected accounts in the governance console: who is connected, never a secret.

Team admins see their own teams' accounts, support staff every team (approvals'
TeamScopedAdmin). Credentials show as "present" / "absent" and the expiry time only. "Revoke
tokens" (support staff and team admins, with a confirmation page) calls account_revoke;
"Refresh tokens now" (the same people) queues accounts_refresh_now, to check that an account's
refresh still works without waiting for its expiry.

django-oauth-toolkit's token, grant and ID-token admins are removed from the site: they show
part of each token value (STYLE.md: the admin shows "present", never a value).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from approvals.admin import TeamScopedAdmin
from approvals.audit import client_ip
from approvals.audit_actions import RevocationReason
from approvals.selectors import is_support
from tokens import services
from tokens.models import ConnectedAccount

REASON_LABELS = dict(RevocationReason.choices)
PRESENT = "present"
ABSENT = "absent"
REVOKED_COUNT = "Revoked the tokens of {count} account(s); provider revocation is on its way."
REFRESH_QUEUED_COUNT = ("Queued a refresh of {count} account(s); an account whose refresh fails "
                        "shows as needing a reconnect.")
NOTHING_TO_REFRESH = ("Nothing was refreshed: none of the selected accounts is active with a "
                      "refresh token. A revoked account needs its user to connect again; an "
                      "account without a refresh token (a Jira Server account: OAuth 1.0a "
                      "access does not expire) needs no refresh.")

for _model in (get_access_token_model(), get_refresh_token_model(), get_grant_model(),
               get_id_token_model()):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _stored(field: str) -> ExpressionWrapper:
    return ExpressionWrapper(Q(**{f"{field}__isnull": False}), output_field=BooleanField())


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(TeamScopedAdmin):
    list_display = ["user", "team", "integration", "provider_account_name", "state",
                    "credentials", "expires_at", "last_used_at"]
    list_filter = ["integration", "status", "team"]
    search_fields = ["user__username", "user__email", "provider_account_name",
                     "provider_account_email", "team__name"]
    list_select_related = ["user", "team", "revoked_by"]
    fields = ["user", "team", "integration_name", "provider_account_id", "provider_account_name",
              "provider_account_email", "state", "scopes", "access_token_state",
              "refresh_token_state", "token_secret_state", "expires_at", "last_used_at",
              "last_refreshed_at", "consecutive_failures", "revoked_at", "revoked_by",
              "revoked_reason_label", "created_at", "updated_at"]
    readonly_fields = fields
    actions = ["revoke_tokens", "refresh_tokens"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Whether a secret is stored, from the database's NULL test: nothing is decrypted.
        return super().get_queryset(request).annotate(
            has_access_token=_stored("access_token"),
            has_refresh_token=_stored("refresh_token"),
            has_token_secret=_stored("token_secret"),
        )

    @admin.display(description="status", ordering="status")
    def state(self, obj: ConnectedAccount) -> str:
        """The status; for a revoked account also when, by whom and why."""
        if obj.status != ConnectedAccount.Status.REVOKED:
            return obj.get_status_display()
        when = f" {obj.revoked_at:%Y-%m-%d %H:%M %Z}" if obj.revoked_at else ""
        by = f" by {obj.revoked_by}" if obj.revoked_by_id else ""
        return f"Revoked{when}{by}: {self.revoked_reason_label(obj)}"

    @admin.display(description="integration")
    def integration_name(self, obj: ConnectedAccount) -> str:
        return obj.get_integration_display()

    @admin.display(description="why revoked")
    def revoked_reason_label(self, obj: ConnectedAccount) -> str:
        return REASON_LABELS.get(obj.revoked_reason, obj.revoked_reason) or "—"

    @admin.display(description="tokens")
    def credentials(self, obj: ConnectedAccount) -> str:
        """One column for the list: which secrets are stored (never a value)."""
        stored = [name for name, present in (
            ("access", getattr(obj, "has_access_token", False)),
            ("refresh", getattr(obj, "has_refresh_token", False)),
            ("secret", getattr(obj, "has_token_secret", False))) if present]
        return ", ".join(stored) + " present" if stored else "none"

    @admin.display(description="access token")
    def access_token_state(self, obj: ConnectedAccount) -> str:
        return PRESENT if getattr(obj, "has_access_token", False) else ABSENT

    @admin.display(description="refresh token")
    def refresh_token_state(self, obj: ConnectedAccount) -> str:
        return PRESENT if getattr(obj, "has_refresh_token", False) else ABSENT

    @admin.display(description="token secret")
    def token_secret_state(self, obj: ConnectedAccount) -> str:
        return PRESENT if getattr(obj, "has_token_secret", False) else ABSENT

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # nothing here is edited by hand; revocation is the action below

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return is_support(request.user) or self.is_team_admin_for(request)

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return self.has_revoke_permission(request)

    @admin.action(description="Refresh tokens now", permissions=["refresh"])
    def refresh_tokens(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = services.accounts_refresh_now(accounts=queryset)
        if queued:
            self.message_user(request, REFRESH_QUEUED_COUNT.format(count=queued),
                              messages.SUCCESS)
        else:
            self.message_user(request, NOTHING_TO_REFRESH, messages.WARNING)

    @admin.action(description="Revoke tokens…", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet):
        if request.POST.get("apply"):
            revoked = 0
            for account in queryset.select_related("user", "team").exclude(
                    status=ConnectedAccount.Status.REVOKED):
                if self.run_service(request, lambda a=account: services.account_revoke(
                    account=a, acting_user=request.user, reason=RevocationReason.CONSOLE,
                    source_ip=client_ip(request),
                )):
                    revoked += 1
            if revoked:
                self.message_user(request, REVOKED_COUNT.format(count=revoked), messages.SUCCESS)
            return None
        accounts = list(queryset.select_related("user", "team"))
        to_revoke = [a for a in accounts if a.status != ConnectedAccount.Status.REVOKED]
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke tokens",
            "accounts": accounts,
            "to_revoke": len(to_revoke),
            "people": len({a.user_id for a in to_revoke}),
            "already_revoked": len(accounts) - len(to_revoke),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "tokens/admin/revoke_tokens.html", context)
