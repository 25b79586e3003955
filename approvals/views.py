"""/settings/: a person's own settings page (the time zone dates are shown in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from approvals.personal import (
    BROWSER_ZONE,
    TimeZoneUnknown,
    known_time_zones,
    personal_settings_save,
    time_zone_of,
)

SAVED = "Saved: dates are now shown in {zone}."
BROWSER = "your browser's time zone"


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST `time_zone` ("" = the browser's): saved, then back here."""
    chosen = time_zone_of(user=request.user, session=request.session)
    error = ""
    if request.method == "POST":
        wanted = request.POST.get("time_zone", BROWSER_ZONE)
        try:
            personal_settings_save(user=request.user, time_zone=wanted, session=request.session)
        except TimeZoneUnknown as refused:
            error = refused.message
        else:
            messages.success(request, SAVED.format(zone=wanted or BROWSER))
            return redirect("approvals:settings")
    return render(request, "approvals/settings.html", {
        "zones": known_time_zones(), "chosen": chosen, "error": error, "now": timezone.now(),
    }, status=400 if error else 200)
