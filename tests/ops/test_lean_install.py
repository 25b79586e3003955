"""The production lock holds no test, lint or audit tool; the development lock holds them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"matplotlib", "pytest", "pytest-django", "pytest-timeout", "playwright", "schemathesis",
              "hypothesis", "pip-audit", "ruff", "asana", "jira", "openapi-core", "uv"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def locked(name: str) -> dict[str, str]:
    """name → version of every package the lock installs."""
    packages = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            packages[match.group(1).lower()] = match.group(2)
    return packages


def test_production_lock_holds_no_test_tool():
    production = locked("requirements.lock")
    print("production lock installs:", " ".join(f"{n}=={v}" for n, v in sorted(production.items())))
    assert "django" in production and "gunicorn" in production and "celery" in production
    assert not TEST_TOOLS & production.keys()
    assert "requests-hardened" not in production


def test_every_lock_line_is_hash_pinned():
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        assert text.count("==") == len(locked(name)) > 0
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            if "==" in block:
                assert "--hash=sha256:" in block, block


def test_development_lock_is_the_production_lock_plus_the_tools():
    production, development = locked("requirements.lock"), locked("requirements-dev.lock")
    assert {name: development.get(name) for name in production} == production
    assert {"pytest", "ruff", "pip-audit", "playwright"} <= development.keys()
