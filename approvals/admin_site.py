"""The governance console: the Django admin, scoped to the people who use it.

Team admins (staff users with an admin membership) see their own teams only; the "Support" group
sees every team read-only, plus the actions support needs; superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from approvals.audit_actions import AuditAction
from approvals.audit_sentences import audit_sentence
from approvals.hooks import console_panels
from approvals.models import AuditEvent
from approvals.selectors import install_requests_pending, is_support, teams_administered_by
from config.forms import ConsoleLoginForm

LATEST_EVENTS = 10


def console_teams(request: HttpRequest):
    """Teams the console user may see: None means every team."""
    user = request.user
    if user.is_superuser or is_support(user):
        return None
    return teams_administered_by(user)


class ConduitAdminSite(admin.AdminSite):
    site_header = "Conduit governance console"
    site_title = "Conduit console"
    index_title = "Governance"
    login_form = ConsoleLoginForm  # an overlong username is a form error, not a 500
    # The console home lists every model; the sidebar would take 300 px from lists that must
    # fit 1280 px.
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or is_support(user) or teams_administered_by(user).exists()

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """The governance desk: pending requests to decide in place, the connections' health,
        revocations and e-mails that failed, and the latest audit events, for the viewer's
        teams (every team for support staff and superusers)."""
        teams = console_teams(request)
        pending = install_requests_pending(teams=teams).select_related("team", "requested_by")
        events = AuditEvent.objects.select_related("team")
        if teams is not None:
            events = events.filter(team__in=teams)
        context = {
            "pending_request_count": pending.count(),
            "pending_requests": list(pending.order_by("created_at")[:20]),
            "decidable_team_ids": (
                None if request.user.is_superuser
                else set(teams_administered_by(request.user).values_list("pk", flat=True))
            ),
            "panels": [panel for panel in (make(teams=teams) for make in console_panels)
                       if panel],
            "failed_mails": [
                (event, audit_sentence(event))
                for event in events.filter(action=AuditAction.NOTIFICATION_FAILED)[:5]
            ],
            "latest_events": [(event, audit_sentence(event))
                              for event in events[:LATEST_EVENTS]],
        }
        context.update(extra_context or {})
        return super().index(request, extra_context=context)
