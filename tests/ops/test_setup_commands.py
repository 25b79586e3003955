"""First setup: `keyset create`, the Support group's migration and `team_create`."""

from __future__ import annotations

import io
import stat

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from approvals.models import AuditEvent, Membership, Team
from approvals.selectors import SUPPORT_GROUP
from tokens import crypto

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_keyset_create_prints_a_keyset_that_encrypts_and_decrypts(settings):
    printed = run("keyset", "create")
    settings.CONDUIT_KEYSET = printed
    crypto.reload_keyset()
    try:
        assert crypto.decrypt(crypto.encrypt(b"secret", b"ad"), b"ad") == b"secret"
    finally:
        settings.CONDUIT_KEYSET = ""
        crypto.reload_keyset()


def test_keyset_create_file_is_owner_only_and_never_overwritten(tmp_path):
    path = tmp_path / "keyset.json"
    assert "CONDUIT_KEYSET_FILE" in run("keyset", "create", "--file", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    crypto.parse_keyset(path.read_text())
    before = path.read_text()
    with pytest.raises(CommandError, match="never overwritten"):
        run("keyset", "create", "--file", str(path))
    assert path.read_text() == before


def test_keyset_rotate_is_rotate_keys(settings, tmp_path):
    path = tmp_path / "keyset.json"
    run("keyset", "create", "--file", str(path))
    previous = settings.CONDUIT_KEYSET_FILE
    settings.CONDUIT_KEYSET_FILE = str(path)
    crypto.reload_keyset()
    try:
        first = crypto.primary_key_id()
        assert "New primary key" in run("keyset", "rotate")
        assert crypto.primary_key_id() != first
    finally:
        settings.CONDUIT_KEYSET_FILE = previous
        crypto.reload_keyset()


def test_migrations_create_the_support_group():
    assert Group.objects.filter(name=SUPPORT_GROUP).exists()


def test_team_create_makes_team_plan_and_first_admin(monkeypatch):
    monkeypatch.setenv("CONDUIT_ADMIN_PASSWORD", "a-long-enough-pass-phrase")
    output = run("team_create", "--name", "Acme", "--plan", "business", "--admin", "ada",
                 "--email", "ada@acme.test")
    team = Team.objects.get(name="Acme")
    membership = Membership.objects.get(team=team)
    assert team.plan == "business"
    assert membership.role == Membership.Role.ADMIN and membership.user.username == "ada"
    assert membership.user.is_staff and membership.user.check_password("a-long-enough-pass-phrase")
    assert AuditEvent.objects.filter(action="membership.create", team=team).exists()
    assert "a-long-enough-pass-phrase" not in output


def test_team_create_generates_a_password_when_none_is_given(monkeypatch):
    monkeypatch.delenv("CONDUIT_ADMIN_PASSWORD", raising=False)
    output = run("team_create", "--name", "Beta", "--admin", "bea")
    password = output.rsplit(": ", 1)[1].strip()
    assert Membership.objects.get(team__name="Beta").user.check_password(password)


def test_team_create_refuses_an_existing_team_or_user(monkeypatch):
    monkeypatch.setenv("CONDUIT_ADMIN_PASSWORD", "a-long-enough-pass-phrase")
    run("team_create", "--name", "Gamma", "--admin", "gus")
    with pytest.raises(CommandError, match="exists already"):
        run("team_create", "--name", "Gamma", "--admin", "other")
    with pytest.raises(CommandError, match="exists already"):
        run("team_create", "--name", "Delta", "--admin", "gus")
    assert not Team.objects.filter(name="Delta").exists()
