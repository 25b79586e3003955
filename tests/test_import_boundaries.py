"""The import boundaries of pyproject.toml's [tool.importlinter] contracts hold.

`lint-imports` (import-linter) reads the code's imports statically: provider packages import no
app, only the registry loads a provider package, providers do not import each other, and the
apps form layers (no cycle between them). CI also runs it as its own step.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = (
    "Provider packages import nothing from cards, tokens or approvals",
    "No module outside integrations/<provider>/ imports a provider package",
    "Provider packages do not import each other",
    "No cycle between apps: each imports only the layers below it",
)


def test_every_import_contract_is_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in CONTRACTS:
        assert f"{contract} KEPT" in result.stdout, result.stdout
