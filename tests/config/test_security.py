"""The security baseline: headers on every page, cookies, sessions, production settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_admin, make_team

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def assert_baseline_headers(response):
    assert response["Cache-Control"] == "no-cache, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def admin_client_of_team(client):
    admin = make_admin(make_team("Acme"), "acme-admin")
    client.force_login(admin)
    return client


def test_login_page_has_the_baseline_headers(client):
    assert_baseline_headers(client.get(reverse("login")))


def test_the_policy_header_is_built_once_not_per_response(client, monkeypatch):
    from csp.utils import build_policy

    import config.middleware

    builds = []
    monkeypatch.setattr(config.middleware, "build_policy",
                        lambda **kwargs: builds.append(kwargs) or build_policy(**kwargs))
    client.get(reverse("login"))  # may build for the first time in this process
    builds.clear()

    answers = [client.get(reverse("login")) for _ in range(5)]

    assert builds == []
    assert {answer["Content-Security-Policy"] for answer in answers} == {build_policy()}


def test_a_changed_policy_is_built_again(client, settings):
    client.get(reverse("login"))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert client.get(reverse("login"))["Content-Security-Policy"] == "default-src 'none'"


def test_admin_index_has_the_baseline_headers(admin_client_of_team):
    response = admin_client_of_team.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_baseline_headers(response)


def test_admin_change_list_has_the_baseline_headers(admin_client_of_team):
    response = admin_client_of_team.get(reverse("admin:approvals_installrequest_changelist"))
    assert response.status_code == 200
    assert_baseline_headers(response)


def test_admin_slash_redirect_has_the_baseline_headers(client):
    # CommonMiddleware answers /admin with its APPEND_SLASH redirect on the way out: that
    # answer must pass through every header middleware too.
    response = client.get("/admin")
    assert response.status_code == 301 and response["Location"] == "/admin/"
    assert_baseline_headers(response)


def test_not_found_page_has_the_baseline_headers(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_baseline_headers(response)


def test_static_files_are_same_origin_resources(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_secure_and_http_only(client):
    make_admin(make_team(), "dana")
    page = client.get(reverse("login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(reverse("login"), {"username": "dana", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_login_cycles_the_session_key(client):
    make_admin(make_team(), "erin")
    client.get(reverse("login"))
    session = client.session
    session["before_login"] = True
    session.save()
    before = session.session_key
    client.post(reverse("login"), {"username": "erin", "password": PASSWORD})
    assert client.cookies["sessionid"].value != before


def test_logout_invalidates_the_old_session_cookie(client):
    make_admin(make_team(), "frank")
    client.post(reverse("login"), {"username": "frank", "password": PASSWORD})
    old_cookie = client.cookies["sessionid"].value
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("logout"))
    client.cookies["sessionid"] = old_cookie  # an attacker replays the stolen cookie
    replay = client.get(reverse("admin:index"))
    assert replay.status_code == 302 and "/admin/login/" in replay["Location"]


def test_repeated_failed_logins_are_locked_out(client):
    make_admin(make_team(), "gina")
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "gina", "password": "wrong"})
    locked = client.post(reverse("admin:login"), {"username": "gina", "password": PASSWORD})
    assert locked.status_code == 429


def production_env(**overrides) -> dict[str, str]:
    keyset = json.dumps({"primaryKeyId": 1, "key": []})
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "CONDUIT_LOCAL_DIR",
                       "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-only-0123456789",
        "ALLOWED_HOSTS": "conduit.example.com",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "ASANA_CLIENT_ID": "client-id",
        "ASANA_CLIENT_SECRET": "client-secret-for-checks",
        "CONDUIT_KEYSET": keyset,
    })
    environment.update(overrides)
    return {key: value for key, value in environment.items() if value is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_hsts_is_at_least_one_year_with_subdomains():
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
            " s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)")
    result = manage("shell", "-c", code, env=production_env())
    seconds, subdomains, redirect, session_name, csrf_name = (
        result.stdout.strip().splitlines()[-1].split()
    )
    assert int(seconds) >= 31536000 and subdomains == "True" and redirect == "True"
    assert session_name.startswith("__Host-") and csrf_name.startswith("__Host-")


def test_production_without_secret_key_fails_with_one_clear_line():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SECRET_KEY" in lines[0]
