"""The governance console: the Django admin, scoped to the people who use it.

Team admins (staff users with an admin membership) see their own teams only; the "Support" group
sees every team read-only, plus the actions support needs; superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from approvals.selectors import install_requests_pending, is_support, teams_administered_by
from config.forms import ConsoleLoginForm


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

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or is_support(user) or teams_administered_by(user).exists()

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        teams = console_teams(request)
        context = {"pending_request_count": install_requests_pending(teams=teams).count()}
        context.update(extra_context or {})
        return super().index(request, extra_context=context)
