"""HTML pages of the Jira Server simulator: the OAuth consent screen and a proxy login page.

The consent screen stands in for Jira's "Welcome to Jira — <consumer> would like read and write
access" page at `/plugins/servlet/oauth/authorize`. There is no login in the sandbox: a select
picks which seed user is "logged in". Stable ids (`user`, `approve`, `deny`) let browser tests
click through it; the form posts `oauth_token`, `user` and `approve=Allow` or `deny=Deny`.
"""

from __future__ import annotations

from html import escape

from .oauth1 import OAuthProblem
from .state import User

AUTHORIZE_PATH = "/plugins/servlet/oauth/authorize"

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;max-width:36rem;margin:3rem auto;color:#172b4d}}
.actions{{margin-top:1.5rem}} button{{padding:.4rem 1.2rem;margin-right:.5rem}}</style>
</head><body>{content}</body></html>"""


def _page(title: str, content: str) -> str:
    return _PAGE.format(title=escape(title), content=content)


def consent_page(
    *, server_title: str, consumer_name: str, token: str, users: list[User], selected: str
) -> str:
    options = "".join(
        f'<option value="{escape(u.name)}"{" selected" if u.name == selected else ""}>'
        f"{escape(u.display_name)} ({escape(u.name)})</option>"
        for u in users
    )
    content = f"""
<h1>Welcome to {escape(server_title)}</h1>
<p id="request"><strong>{escape(consumer_name)}</strong> would like read and write access to your
data on {escape(server_title)}. Allow it to act on your behalf?</p>
<form id="oauth-authorize" method="post" action="{AUTHORIZE_PATH}">
  <input type="hidden" name="oauth_token" value="{escape(token)}">
  <label for="user">Logged in as</label>
  <select id="user" name="user">{options}</select>
  <div class="actions">
    <button type="submit" id="approve" name="approve" value="Allow">Allow</button>
    <button type="submit" id="deny" name="deny" value="Deny">Deny</button>
  </div>
</form>"""
    return _page(f"OAuth Access Request - {server_title}", content)


def verifier_page(*, server_title: str, verifier: str) -> str:
    """What Jira shows when the consumer asked for an out-of-band ("oob") callback."""
    content = f"""
<h1>Access approved</h1>
<p>Enter this verification code in the application: <code id="verifier">{escape(verifier)}</code></p>"""
    return _page(f"OAuth Verification Code - {server_title}", content)


def denied_page(*, server_title: str) -> str:
    content = "<h1>Access denied</h1><p>You have denied access to your data.</p>"
    return _page(f"OAuth Access Denied - {server_title}", content)


def problem_page(problem: OAuthProblem) -> str:
    content = f"""
<h1>OAuth error</h1>
<p id="oauth-problem">{escape(problem.problem)}</p>
<p>The request token is not valid any more. Go back to the application and start again.</p>"""
    return _page("OAuth error", content)


def proxy_login_page() -> str:
    """A single sign-on proxy answering in place of Jira: a real misconfiguration."""
    content = """
<h1>Sign in</h1>
<form method="post" action="/login">
  <input name="username" autocomplete="username"> <input name="password" type="password">
  <button type="submit">Sign in</button>
</form>"""
    return _page("Sign in - Corporate SSO", content)
