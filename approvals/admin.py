"""Governance console classes: thin, scoped to the viewer's teams, calling the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path

from approvals import console_views, services
from approvals.admin_forms import (
    AuditActionFilter,
    IntegrationField,
    ProviderListFilter,
    TeamListFilter,
    UserByNameField,
    provider_column,
)
from approvals.admin_site import console_teams
from approvals.audit import audit_changes, audit_event_record, client_ip
from approvals.audit_actions import AuditAction
from approvals.audit_sentences import audit_sentence
from approvals.catalog import CATALOG
from approvals.hooks import account_holders
from approvals.models import AuditEvent, Installation, InstallRequest, Membership, Team
from approvals.selectors import is_support, teams_administered_by
from config.errors import ApplicationError

User = get_user_model()


class TeamScopedAdmin(admin.ModelAdmin):
    """Team admins see and change rows of their own teams; support reads every team.

    `team_path` is the lookup from the model to its team ("team", or "" for Team itself).
    Rows outside the viewer's teams are absent from the queryset, so list pages, change pages
    and actions all refuse them the same way.
    """

    team_path = "team"
    # Provider key columns (no DB choices since keys left the DB): their list columns and
    # filters show the provider's name, as every other page does.
    provider_fields: tuple[str, ...] = ("integration",)

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        teams = console_teams(request)
        if teams is None:
            return queryset
        lookup = f"{self.team_path}__in" if self.team_path else "pk__in"
        return queryset.filter(**{lookup: teams})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request, super().get_queryset(request))

    def team_of(self, obj) -> Team | None:
        return obj if not self.team_path else getattr(obj, self.team_path, None)

    def is_team_admin_for(self, request: HttpRequest, obj=None) -> bool:
        user = request.user
        if user.is_superuser:
            return True
        administered = teams_administered_by(user)
        if obj is None:
            return administered.exists()
        team = self.team_of(obj)
        return team is not None and administered.filter(pk=team.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_support(request.user) or self.is_team_admin_for(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.is_team_admin_for(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_list_filter(self, request: HttpRequest):
        # Django's related filter would name every team; the scoped one names the viewer's.
        return [
            (entry, TeamListFilter) if self.team_path and entry == self.team_path
            else (entry, ProviderListFilter) if entry in self.provider_fields
            else entry
            for entry in super().get_list_filter(request)
        ]

    def get_list_display(self, request: HttpRequest):
        return [
            provider_column(entry, self.model._meta.get_field(entry).verbose_name)
            if entry in self.provider_fields else entry
            for entry in super().get_list_display(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            teams = console_teams(request)
            kwargs["queryset"] = Team.objects.all() if teams is None else teams
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def run_service(self, request: HttpRequest, call) -> bool:
        """Run a service call; a domain error becomes an admin message."""
        try:
            call()
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return False
        return True


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_path = ""
    list_display = ["name", "plan", "created_at"]
    list_filter = ["plan"]
    search_fields = ["name"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser  # plans are billing, not a team admin's switch

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def save_model(self, request, obj, form, change) -> None:
        services.team_save(team=obj, acting_user=request.user, source_ip=client_ip(request))


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields: list[str] = []
    fields = ["team", "user", "role"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # A text box resolved to an existing user, not a select listing every user (and
            # without the related-object links that would open the user admin).
            return db_field.formfield(form_class=UserByNameField,
                                      queryset=User.objects.filter(is_active=True))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.is_team_admin_for(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.is_team_admin_for(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        services.membership_save(membership=obj, acting_user=request.user,
                                 source_ip=client_ip(request))

    def delete_model(self, request, obj) -> None:
        services.membership_delete(membership=obj, acting_user=request.user,
                                   source_ip=client_ip(request))

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            self.delete_model(request, membership)

    def delete_view(self, request, object_id, extra_context=None):
        """Django's confirmation page, saying first which of the member's accounts go."""
        membership = self.get_queryset(request).select_related("user", "team").filter(
            pk=object_id).first()
        leaving = [] if membership is None else [
            entry.name for key, entry in CATALOG.items()
            if membership.user.username in account_holders(team=membership.team,
                                                           integration=key)
        ]
        return super().delete_view(request, object_id,
                                   {**(extra_context or {}), "leaving_accounts": leaving})


@admin.register(Installation)
class InstallationAdmin(TeamScopedAdmin):
    list_display = ["team", "integration", "installed_by", "installed_at"]
    list_filter = ["integration", "team"]
    fields = ["team", "integration"]
    actions = ["uninstall_for_team"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.is_team_admin_for(request)

    def get_readonly_fields(self, request, obj=None):
        return ["team", "integration"] if obj else []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "integration":
            return IntegrationField(label="Integration", required=True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        installation = services.integration_install(
            team=obj.team, integration=obj.integration, acting_user=request.user,
            source_ip=client_ip(request),
        )
        obj.pk = installation.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return self.response_post_save_add(request, None)

    def response_post_save_add(self, request, obj):
        from django.shortcuts import redirect
        from django.urls import reverse

        return redirect(reverse("admin:approvals_installation_changelist"))

    @admin.action(description="Uninstall for team (revokes every member's tokens)…",
                  permissions=["change"])
    def uninstall_for_team(self, request: HttpRequest, queryset: QuerySet):
        """A confirmation page first, naming who loses their tokens; then the uninstall."""
        installations = list(queryset.select_related("team"))
        if not request.POST.get("apply"):
            rows = [(installation, account_holders(team=installation.team,
                                                   integration=installation.integration))
                    for installation in installations]
            context = {
                **self.admin_site.each_context(request),
                "title": "Uninstall for the team?",
                "rows": rows,
                "people": sum(len(holders) for _, holders in rows),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/approvals/installation/uninstall_confirm.html",
                                    context)
        done = 0
        for installation in installations:
            if self.run_service(request, lambda i=installation: services.integration_uninstall_for_team(
                team=i.team, integration=i.integration, acting_user=request.user,
                source_ip=client_ip(request),
            )):
                done += 1
        if done:
            self.message_user(request, f"Uninstalled {done} integration(s).", messages.SUCCESS)
        return None


@admin.register(InstallRequest)
class InstallRequestAdmin(TeamScopedAdmin):
    list_display = ["requested_by", "integration", "team", "status", "created_at", "decided_by",
                    "reason"]
    list_filter = ["status", "integration", "team"]
    list_select_related = ["requested_by", "team", "decided_by"]
    search_fields = ["requested_by__username", "requested_by__email", "team__name"]
    readonly_fields = ["team", "integration", "requested_by", "status", "reason", "decided_by",
                       "decided_at", "created_at"]
    actions = ["approve_requests", "deny_requests"]
    change_form_template = "admin/approvals/installrequest/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/approve/",
                 view(lambda request, object_id: console_views.install_request_approve_view(
                     self, request, object_id)),
                 name="approvals_installrequest_approve"),
            path("<int:object_id>/deny/",
                 view(lambda request, object_id: console_views.install_request_deny_view(
                     self, request, object_id)),
                 name="approvals_installrequest_deny"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # A request is decided with Approve / Deny (the template), never edited and saved.
        context.update(show_save=False, show_save_and_continue=False,
                       show_save_and_add_another=False, show_delete=False,
                       title="Install request")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, object_id)
            if obj is not None and self.has_change_permission(request, obj):
                return self.response_post_save_change(request, obj)  # nothing here is saved
            # Outside the viewer's teams: Django's own refusal, as for any other page.
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description="Approve selected requests (installs the integration)",
                  permissions=["change"])
    def approve_requests(self, request: HttpRequest, queryset: QuerySet) -> None:
        approved = 0
        for install_request in queryset.select_related("team"):
            if self.run_service(request, lambda r=install_request: services.install_request_approve(
                install_request=r, acting_user=request.user, source_ip=client_ip(request),
            )):
                approved += 1
        if approved:
            self.message_user(request, f"Approved {approved} request(s).", messages.SUCCESS)

    @admin.action(description="Deny selected requests…", permissions=["change"])
    def deny_requests(self, request: HttpRequest, queryset: QuerySet):
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("apply") and reason:
            denied = 0
            for install_request in queryset.select_related("team"):
                if self.run_service(request, lambda r=install_request: services.install_request_deny(
                    install_request=r, acting_user=request.user, reason=reason,
                    source_ip=client_ip(request),
                )):
                    denied += 1
            if denied:
                self.message_user(request, f"Denied {denied} request(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Deny requests",
            "queryset": list(queryset),
            "reason": reason,
            "error": services.errors.DENY_NEEDS_REASON if request.POST.get("apply") else "",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/approvals/deny_requests.html", context)


@admin.register(AuditEvent)
class AuditEventAdmin(TeamScopedAdmin):
    list_display = ["created_at", "what_happened", "team", "source_ip"]
    list_filter = [AuditActionFilter, "team", "created_at"]
    list_select_related = ["team"]
    search_fields = ["actor_label", "target", "action"]
    date_hierarchy = "created_at"
    fields = ["created_at", "what_happened", "action", "actor_label", "target", "team",
              "source_ip", "metadata"]
    readonly_fields = fields

    @admin.display(description="What happened")
    def what_happened(self, obj: AuditEvent) -> str:
        return audit_sentence(obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the audit log is read-only for everyone


# What a user change records as old → new (never the password: only that it changed).
AUDITED_USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff",
                       "is_superuser")


class AuditedUserAdmin(UserAdmin):
    """Django's user admin (superusers only), with every change written to the audit log,
    with the old and new values of what changed (groups by name; never a password)."""

    def _audit(self, request: HttpRequest, obj, action: str, message="", changes=None) -> None:
        audit_event_record(
            action=AuditAction(action), actor=request.user, target=str(obj), source_ip=client_ip(request),
            metadata={"user": obj.pk, "change": str(message)[:500]}, changes=changes,
        )

    def save_model(self, request, obj, form, change) -> None:
        if change and obj.pk is not None:
            # Read before saving: the stored values are the "old" of the event log_change writes.
            stored = type(obj).objects.filter(pk=obj.pk).first()
            changed = set(form.changed_data)
            values = {name: (getattr(stored, name), getattr(obj, name))
                      for name in AUDITED_USER_FIELDS if name in changed and stored is not None}
            if "groups" in changed and stored is not None:
                values["groups"] = (
                    sorted(stored.groups.values_list("name", flat=True)),
                    sorted(group.name for group in form.cleaned_data.get("groups", [])),
                )
            obj._audit_changes = audit_changes(**values)
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "user.create")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "user.change", message,
                    changes=getattr(obj, "_audit_changes", None))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "user.delete")
        return super().log_deletions(request, queryset)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
