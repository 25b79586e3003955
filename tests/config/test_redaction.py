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


def test_a_secret_after_the_subscription_id_of_the_one_webhook_path_is_redacted():
    path = "/webhooks/jira_server/6f1c1a2e-7d0b-4a55-9a43-1b2c3d4e5f60"
    assert redact(f"Not Found: {path}.s3cr3t-value") == f"Not Found: {path}.{REDACTED}"
    assert redact(f"Not Found: {path}") == f"Not Found: {path}"


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


# -- the shapes oauthlib and requests-oauthlib print at DEBUG ---------------------------------

def test_oauthlib_client_repr_is_redacted():
    line = redact("Signing request <PreparedRequest [POST]> using client <Client "
                  "client_key=conduit, resource_owner_key=rok-123, verifier=ver-456, "
                  "realm=None, rsa_key=****>")
    assert "rok-123" not in line and "ver-456" not in line
    assert "client_key=conduit" in line


def test_oauthlib_collected_params_tuples_are_redacted():
    line = redact("Collected params: [('oauth_nonce', '1'), ('oauth_token', 'tok-123'), "
                  "(\"oauth_verifier\", \"ver-456\"), ('oauth_signature', 'c2ln')]")
    for secret in ("tok-123", "ver-456", "c2ln"):
        assert secret not in line
    assert "('oauth_nonce', '1')" in line


def test_url_encoded_oauth_values_in_a_signature_base_string_are_redacted():
    line = redact("Signing: signature base string: POST&http%3A%2F%2F127.0.0.1%3A8102%2Fx&"
                  "oauth_consumer_key%3Dconduit%26oauth_token%3Dtok-123%26oauth_verifier%3Dv-4"
                  "%26oauth_version%3D1.0 and oauth_token%253Ddouble-5")
    for secret in ("tok-123", "v-4", "double-5"):
        assert secret not in line
    assert "oauth_consumer_key%3Dconduit" in line


def test_oauth_authorization_header_values_are_redacted():
    line = redact("Updated headers: {'Authorization': 'OAuth oauth_nonce=\"1\", "
                  "oauth_token=\"tok-123\", oauth_signature=\"c2ln%3D\"'}")
    assert "tok-123" not in line and "c2ln" not in line


def test_a_record_is_redacted_for_every_handler_not_only_the_configured_one():
    # An operator's own handler (or pytest's caplog) has no filter: the record itself must
    # come out redacted.
    record = logging.getLogger("requests_oauthlib.oauth1_session").makeRecord(
        "requests_oauthlib.oauth1_session", logging.DEBUG, __file__, 1,
        "Obtained token %s", ({"oauth_token": "tok-9", "oauth_token_secret": "sec-9"},), None)
    assert "tok-9" not in record.getMessage() and "sec-9" not in record.getMessage()
