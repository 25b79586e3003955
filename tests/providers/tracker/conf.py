"""Tracker's options, with defaults: where its API and OAuth live, and its OAuth client."""

from __future__ import annotations

from config.app_settings import AppSettings

tracker_settings = AppSettings("Tracker", {
    "TRACKER_URL": "https://api.tracker.example",  # API under /api, OAuth under /oauth
    "TRACKER_APP_URL": "https://tracker.test",  # host of pasted issue links
    "TRACKER_CLIENT_ID": "",
    "TRACKER_CLIENT_SECRET": "",
})
