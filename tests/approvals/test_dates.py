"""One date format with the zone, in the viewer's zone: the user's setting, else the browser's
(the cookie when.js sets), else UTC; the same text on Conduit's pages and in the console."""

from __future__ import annotations

import datetime
import html
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent, PersonalSettings
from approvals.personal import SESSION_TIME_ZONE, TIME_ZONE_UNKNOWN
from cards.templatetags.conduit_time import when_text
from config.middleware import BROWSER_TIME_ZONE_COOKIE
from tests.factories import make_admin, make_member, make_team

pytestmark = pytest.mark.django_db

INSTANT = datetime.datetime(2026, 12, 1, 9, 48, tzinfo=datetime.UTC)
SETTINGS = reverse("approvals:settings")


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_format_names_the_offset_of_the_active_zone():
    assert when_text(INSTANT) == "1 Dec 2026, 09:48 UTC+0000"
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert when_text(INSTANT) == "1 Dec 2026, 10:48 UTC+0100"
    with timezone.override(ZoneInfo("Asia/Kolkata")):
        assert when_text(INSTANT) == "1 Dec 2026, 15:18 UTC+0530"
    assert when_text(None) == "—"


def test_the_browser_zone_is_used_until_the_user_chooses_one(client):
    member = make_member(make_team("Initech"), "peter")
    client.force_login(member)
    client.cookies[BROWSER_TIME_ZONE_COOKIE] = "America/New_York"
    assert "UTC-0500" in text(client.get(SETTINGS))
    response = client.post(SETTINGS, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert PersonalSettings.objects.get(user=member).time_zone == "Asia/Tokyo"
    page = text(client.get(SETTINGS))
    assert "UTC+0900" in page and 'data-time-zone-setting="Asia/Tokyo"' in page
    # Back to the browser's.
    client.post(SETTINGS, {"time_zone": ""})
    assert "UTC-0500" in text(client.get(SETTINGS))


def test_the_setting_follows_the_user_to_a_new_session(client):
    member = make_member(make_team("Initech"), "peter")
    PersonalSettings.objects.create(user=member, time_zone="Europe/Berlin")
    client.force_login(member)
    assert "UTC+0100" in text(client.get(SETTINGS))
    assert client.session[SESSION_TIME_ZONE] == "Europe/Berlin"


def test_an_unknown_zone_is_refused_and_a_bad_cookie_ignored(client):
    member = make_member(make_team("Initech"), "peter")
    client.force_login(member)
    refused = client.post(SETTINGS, {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400
    assert TIME_ZONE_UNKNOWN.format(zone="Mars/Olympus_Mons") in text(refused)
    assert not PersonalSettings.objects.exists()
    client.cookies[BROWSER_TIME_ZONE_COOKIE] = "../../etc/passwd"
    assert "UTC+0000" in text(client.get(SETTINGS))


def test_the_console_lists_dates_in_the_same_format_and_zone(client):
    team = make_team("Initech")
    admin = make_admin(team, "bill")
    event = AuditEvent.objects.create(actor=admin, action="integration.install", team=team)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=INSTANT)
    client.force_login(admin)
    client.cookies[BROWSER_TIME_ZONE_COOKIE] = "Europe/Berlin"
    page = text(client.get(reverse("admin:approvals_auditevent_changelist")))
    assert "1 Dec 2026, 10:48 UTC+0100" in page
