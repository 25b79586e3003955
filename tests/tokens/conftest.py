"""A keyset of its own for every test, in a temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_team, make_user
from tokens import crypto
from tokens.models import ConnectedAccount


@pytest.fixture
def keyset_file(settings, tmp_path: Path) -> Path:
    settings.CONDUIT_KEYSET = ""
    settings.CONDUIT_KEYSET_FILE = str(tmp_path / "keys" / "keyset.json")
    crypto.reload_keyset()
    yield Path(settings.CONDUIT_KEYSET_FILE)
    crypto.reload_keyset()


@pytest.fixture
def make_account(db, keyset_file: Path):
    def make(**tokens: str | None) -> ConnectedAccount:
        return ConnectedAccount.objects.create(
            user=make_user(), team=make_team(), integration="asana", **tokens
        )

    return make


from tests.tokens.lifecycle_fixtures import *  # noqa: E402, F401, F403 - lifecycle fixtures
