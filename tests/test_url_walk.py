"""Every URL pattern refuses an anonymous client, except the few that must be public."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Public by design: logging in, the load balancer's health check, provider webhooks (they
# authenticate by signature, not by session), Conduit's OAuth token endpoints, static assets.
PUBLIC = [
    r"^login$",
    r"^healthz$",
    r"^admin/login/$",
    r"^webhooks/",
    r"^o/(token|revoke_token)/$",  # OAuth 2.0 endpoints: they authenticate the client (RFC 6749)
    r"^static/",
]
REFUSED = {301, 302, 401, 403, 405}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(route: str) -> str:
    """A request path for a route: converters and regex groups replaced by plausible values."""
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) in (None, "int") else
                  ("00000000-0000-0000-0000-000000000001" if m.group(1) == "uuid" else "x"), route)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    path = re.sub(r"\(\?:[^)]*\)\??", "", path)
    return "/" + path.lstrip("/")


def all_routes():
    return sorted(set(walk(get_resolver().url_patterns)))


def test_every_url_pattern_refuses_anonymous_clients(client):
    problems = []
    for route in all_routes():
        path = concrete(route)
        if any(re.match(pattern, path.lstrip("/")) for pattern in PUBLIC):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code not in REFUSED and response.status_code != 404:
                problems.append((method.upper(), path, response.status_code))
            elif response.status_code in (301, 302) and "login" not in response["Location"]:
                # A redirect elsewhere (the admin's logout goes to its index first) must still
                # end on a login page.
                followed = getattr(client, method)(path, follow=True)
                final = followed.redirect_chain[-1][0]
                if "login" not in final:
                    problems.append((method.upper(), path, f"redirects to {final}"))
    assert problems == []


def test_walk_covers_the_admin_and_api(client):
    routes = all_routes()
    assert any(route.startswith("admin/") for route in routes)
    assert len(routes) > 20
