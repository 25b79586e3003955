"""Console pages of the Jira Server connection: register, compatibility check, Application Link.

Team admins register their team's one server (the add form refuses a second base URL with the
service's message), run the compatibility check (a button on the connection and a list action),
and open the Application Link page: the exact values to enter in Jira's Application Links
screen, a "Verify" button, the webhook registration, and, for a loopback simulator with
EGRESS_ALLOW_LOOPBACK on, "Register with the sandbox". Support staff read; nothing here shows a
private key or the webhook secret. Every button calls a service of Jira Server's console hook
(its manifest's `console`), reached through the registry.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from approvals.admin import TeamScopedAdmin
from approvals.audit import client_ip
from cards.linked_tickets import ticket_links_count
from cards.templatetags.conduit_time import when_text
from config.errors import ApplicationError
from integrations.models import JiraServerConnection
from integrations.providers import get_provider

JIRA = "jira_server"


class _JiraConsole:
    """The Jira Server provider's console hook (its manifest's `console`: services, selectors,
    checks), looked up through the registry at each use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(get_provider(JIRA).manifest.console(), name)


jira = _JiraConsole()

CHECK_DONE = "Compatibility check of {url}: {label}."
CHECK_STARTED = "The compatibility check of {url} is running; this page shows its progress."
# From the list (the action), where no progress is shown: the message links to the page that is.
CHECK_STARTED_ELSEWHERE = "The compatibility check of {url} is running; {page} shows its progress."
CHECK_PAGE_LINK = "the connection's page"
CHECK_ALREADY_RUNNING = "A compatibility check of {url} is already running."
APPLINK_VERIFIED = "The Application Link works: Jira answered a request token for {key}."
SANDBOX_REGISTERED = "Registered the Application Link in the Jira sandbox and verified it."
WEBHOOK_REGISTERED = "Jira's webhook is registered: cards of Jira issues now update on changes."


class JiraServerConnectionForm(forms.ModelForm):
    """Add form: the team and the base URL; a second server for the team is refused here."""

    base_url = forms.CharField(
        max_length=500, label="Base URL",
        help_text="Jira's base URL as users open it, e.g. https://jira.example.com",
    )

    class Meta:
        model = JiraServerConnection
        fields = ["team", "base_url"]

    def validate_unique(self) -> None:
        """The team's one connection is the service's rule: registering the same server again
        is a reconnect (it answers the existing connection), another server is refused in
        clean() with the service's message."""

    def clean(self) -> dict:
        data = super().clean()
        team, base_url = data.get("team"), data.get("base_url")
        if team is None or not base_url:
            return data
        try:
            data["base_url"] = jira.services.base_url_clean(base_url)
        except ApplicationError as error:
            self.add_error("base_url", error.message)
            return data
        refusal = jira.services.registration_refusal(team=team, base_url=data["base_url"])
        if refusal:
            self.add_error("base_url", refusal)
        return data


@admin.register(JiraServerConnection)
class JiraServerConnectionAdmin(TeamScopedAdmin):
    form = JiraServerConnectionForm
    list_display = ["team", "base_url", "status", "server_version", "checked_at",
                    "applink_verified_at"]
    list_select_related = ["team"]
    list_filter = ["status"]
    search_fields = ["team__name", "base_url"]
    actions = ["run_compatibility_check"]
    change_form_template = "admin/integrations/jiraserverconnection/change_form.html"
    readonly_on_change = ["team", "base_url", "status", "server_version", "server_title",
                          "consumer_key", "public_key_pem", "private_key", "webhook",
                          "checked_at", "check_report", "applink_verified_at", "created_by",
                          "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.is_team_admin_for(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.is_team_admin_for(request, obj)

    def get_fields(self, request: HttpRequest, obj=None):
        return self.readonly_on_change if obj else ["team", "base_url"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_on_change if obj else []

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            # Every field of a registered connection is read-only: nothing to save here.
            context.update(show_save=False, show_save_and_continue=False,
                           show_save_and_add_another=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- what the change page shows ------------------------------------------------------------
    @admin.display(description="Private key")
    def private_key(self, obj: JiraServerConnection) -> str:
        return "present (encrypted)" if obj.private_key_pem else "missing"

    @admin.display(description="Jira webhook")
    def webhook(self, obj: JiraServerConnection) -> str:
        if obj.webhook_registered_at:
            return f"registered {when_text(obj.webhook_registered_at)} (id {obj.webhook_id})"
        return "not registered"

    @admin.display(description="Check report")
    def check_report(self, obj: JiraServerConnection) -> str:
        return check_report_html(obj.check_results)

    # -- add and delete go through the services -------------------------------------------------
    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        connection = jira.services.connection_register(
            team=form.cleaned_data["team"], base_url=form.cleaned_data["base_url"],
            acting_user=request.user, source_ip=client_ip(request),
        )
        obj.pk = connection.pk
        # In the background after the registration commits; response_add lands on the
        # connection's page, which shows the progress.
        self._check_requested(request, connection, on_its_page=True)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return response
        # Save lands on the new connection's page (not the list): the check it started shows
        # its progress and its report there, as the message says.
        return HttpResponseRedirect(
            reverse("admin:integrations_jiraserverconnection_change", args=[obj.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:integrations_jiraserverconnection_add"))

    def delete_model(self, request, obj) -> None:
        jira.services.connection_delete(connection=obj, acting_user=request.user,
                                   source_ip=client_ip(request))

    def delete_queryset(self, request, queryset) -> None:
        for connection in queryset.select_related("team"):
            self.delete_model(request, connection)

    # -- the check ------------------------------------------------------------------------------
    def _check_requested(self, request: HttpRequest, connection: JiraServerConnection, *,
                         on_its_page: bool) -> None:
        """Start the check and say so; `on_its_page` is whether the next page is the
        connection's own (which shows the progress) or the list (which links to it)."""
        started = jira.services.connection_check_request(
            connection=connection, acting_user=request.user, source_ip=client_ip(request))
        tags = ""
        if not started:
            message = CHECK_ALREADY_RUNNING.format(url=connection.base_url)
        elif on_its_page:
            message = CHECK_STARTED.format(url=connection.base_url)
            tags = "check-running"  # the page's script drops it once the report is shown
        else:
            change = reverse("admin:integrations_jiraserverconnection_change",
                             args=[connection.pk])
            message = format_html(
                CHECK_STARTED_ELSEWHERE, url=connection.base_url,
                page=format_html('<a href="{}">{}</a>', change, CHECK_PAGE_LINK))
        self.message_user(request, message, messages.INFO, extra_tags=tags)

    @admin.action(description="Run compatibility check", permissions=["change"])
    def run_compatibility_check(self, request: HttpRequest, queryset) -> None:
        for connection in queryset.select_related("team"):
            self._check_requested(request, connection, on_its_page=False)

    # -- extra pages ----------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/check/", view(self.check_view),
                 name="integrations_jiraserverconnection_check"),
            path("<uuid:object_id>/check/progress/", view(self.check_progress_view),
                 name="integrations_jiraserverconnection_check_progress"),
            path("<uuid:object_id>/applink/", view(self.applink_view),
                 name="integrations_jiraserverconnection_applink"),
            *super().get_urls(),
        ]

    def _connection(self, request: HttpRequest, object_id, *, change: bool) -> JiraServerConnection:
        connection = get_object_or_404(self.get_queryset(request).select_related("team"),
                                       pk=object_id)
        allowed = (self.has_change_permission(request, connection) if change
                   else self.has_view_permission(request, connection))
        if not allowed:
            raise PermissionDenied
        return connection

    def check_view(self, request: HttpRequest, object_id) -> HttpResponse:
        if request.method != "POST":
            raise Http404
        connection = self._connection(request, object_id, change=True)
        self._check_requested(request, connection, on_its_page=True)
        return HttpResponseRedirect(
            reverse("admin:integrations_jiraserverconnection_change", args=[connection.pk]))

    def check_progress_view(self, request: HttpRequest, object_id) -> JsonResponse:
        """The check's state and the items finished so far, for the change page's poller."""
        connection = self._connection(request, object_id, change=False)
        return JsonResponse(jira.selectors.check_progress(connection))

    def applink_view(self, request: HttpRequest, object_id) -> HttpResponse:
        connection = self._connection(request, object_id, change=request.method == "POST")
        base = jira.selectors.public_url(request.build_absolute_uri("/"))
        if request.method == "POST":
            self._applink_action(request, connection, base=base)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Application Link for {connection.base_url}",
            "opts": self.model._meta,
            "original": connection,
            "connection": connection,
            "steps": jira.selectors.applink_steps(connection, base=base),
            "sandbox_available": jira.selectors.sandbox_registration_available(connection),
            "can_change": self.has_change_permission(request, connection),
            "links_count": ticket_links_count(team=connection.team,
                                              target_provider=JIRA,
                                              target_site=connection.base_url),
        }
        return TemplateResponse(request, "admin/integrations/jiraserverconnection/applink.html",
                                context)

    def _applink_action(self, request: HttpRequest, connection: JiraServerConnection, *,
                        base: str) -> None:
        action = request.POST.get("action")
        arguments = {"connection": connection, "acting_user": request.user,
                     "source_ip": client_ip(request)}
        try:
            if action == "verify":
                jira.services.applink_verify(**arguments)
                self.message_user(request, APPLINK_VERIFIED.format(key=connection.consumer_key),
                                  messages.SUCCESS)
            elif action == "sandbox":
                jira.services.applink_register_sandbox(**arguments, base=base)
                self.message_user(request, SANDBOX_REGISTERED, messages.SUCCESS)
            elif action == "webhook":
                jira.services.webhook_register(**arguments, base=base)
                self.message_user(request, WEBHOOK_REGISTERED, messages.SUCCESS)
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)


def check_report_html(results: dict) -> str:
    """The stored report as a list: status, message, what to change, notes."""
    items = (results or {}).get("items") or []
    if not items:
        return "not run yet"
    rows = format_html_join(
        "", "<li><strong>[{}] {}</strong>: {}{}{}</li>",
        (
            (
                item.get("status", "").upper(), item.get("title", ""), item.get("message", ""),
                format_html("<br>What to change: {}", item["advice"])
                if item.get("advice") and item.get("status") in (jira.checks.FAIL, jira.checks.WARNING)
                else "",
                format_html_join("", "<br>Note: {}", ((note,) for note in item.get("notes", []))),
            )
            for item in items
        ),
    )
    outcome = {jira.checks.FAIL: "FAIL", jira.checks.WARNING: "PASS with warnings",
               jira.checks.PASS: "PASS"}.get(results.get("outcome", ""), "")
    return format_html('<ul class="check-report">{}</ul><p>Result: {}</p>', rows, outcome)
