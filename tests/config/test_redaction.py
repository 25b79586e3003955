"""Secrets never reach a log line, whatever shape they come in."""

import logging

from config.logging import REDACTED, RedactSecretsFilter, redact
from config.sentry import before_send


def test_oauth_values_in_urls_and_headers_are_redacted():
    line = redact("GET /integrations/asana/callback?code=abc123&state=s7 "
                  "Authorization: Bearer tok-999 refresh_token=r-1")
    for secret in ("abc123", "s7", "tok-999", "r-1"):
        assert secret not in line
    assert line.count(REDACTED) == 4


def test_jira_webhook_secret_in_a_path_is_redacted():
    assert redact("Not Found: /webhooks/jira/1f2e.s3cr3t-value") == (
        f"Not Found: /webhooks/jira/1f2e.{REDACTED}"
    )


def test_filter_rewrites_the_record_before_any_handler_formats_it():
    record = logging.LogRecord("requests_oauthlib", logging.DEBUG, __file__, 1,
                               "Token response: %s", ({"access_token": "tok-1"},), None)
    RedactSecretsFilter().filter(record)
    assert "tok-1" not in record.getMessage()


def test_sentry_events_lose_query_strings_and_secrets_in_messages():
    event = {
        "request": {"url": "https://c.example/cb?code=abc", "query_string": "code=abc"},
        "exception": {"values": [{"value": "refresh failed: refresh_token=r-77"}]},
        "logentry": {"message": "oauth_token_secret=zz"},
    }
    cleaned = before_send(event, {})
    assert "abc" not in str(cleaned) and "r-77" not in str(cleaned) and "zz" not in str(cleaned)


def test_sentry_blanks_a_bare_token_in_an_exception_message():
    token = "2/1203999999/1204000001:7f3a9c0e5b6d4e21a8c3"
    event = {"exception": {"values": [{"value": f"Asana refused {token} for Ada"}]}}
    cleaned = before_send(event, {})
    assert token not in str(cleaned)
    assert cleaned["exception"]["values"][0]["value"].startswith("Asana refused ")


def test_sentry_sends_no_local_variables_and_no_request_bodies():
    from config.sentry import sentry_options

    options = sentry_options("https://key@sentry.example/1", environment="test")
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["send_default_pii"] is False
