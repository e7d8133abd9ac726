"""The tree passes ruff (lint and format) and mypy as configured in pyproject.toml (issue #11).

The tools run as subprocesses of the interpreter running the suite, so they are the versions the
repository pins in its ``lint`` extra (``./dev test`` installs it), and they read their settings
from pyproject.toml exactly as a contributor running ``ruff check`` or ``mypy`` by hand does. A
missing tool is a failure with the install hint, never a skip: a suite that passes without the
linters would say the code passes them when nothing checked it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # mypy's first, uncached run over the tree on a loaded 2-core machine


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>`` from the repository root, or a failure naming how to install it."""
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed in {sys.prefix}: run ./dev test, or pip install -e '.[lint]'")
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def report(completed: subprocess.CompletedProcess[str]) -> str:
    return f"exit {completed.returncode}\n{completed.stdout}{completed.stderr}"


def test_ruff_check_passes() -> None:
    completed = run_tool("ruff", "check", "--output-format", "concise", "--no-fix", ".")
    assert completed.returncode == 0, report(completed)


def test_ruff_format_leaves_every_file_unchanged() -> None:
    completed = run_tool("ruff", "format", "--check", ".")
    assert completed.returncode == 0, report(completed)


def test_mypy_passes() -> None:
    completed = run_tool("mypy")  # files, strictness and per-module exceptions: [tool.mypy] in pyproject.toml
    assert completed.returncode == 0, report(completed)
    assert "Success" in completed.stdout, report(completed)  # it checked something, not an empty file list


def test_ruff_reads_the_projects_settings() -> None:
    """A misspelt table in pyproject.toml would leave ruff on its defaults and the tests above
    weaker than they look: the resolved settings must show the project's line length and rules."""
    completed = run_tool("ruff", "check", "--show-settings", "kzkg/__init__.py")
    assert completed.returncode == 0, report(completed)
    settings = completed.stdout
    assert "linter.line_length = 120" in settings, settings[:3000]
    enabled = settings.split("linter.rules.enabled = [", 1)[1].split("]", 1)[0]
    # one rule from each family pyproject.toml selects: E, W, F, I, B, UP, SIM, RUF, and BLE (common.md)
    for code in ("E501", "W291", "F401", "I001", "B006", "UP006", "SIM102", "RUF100", "BLE001"):
        assert f"({code})" in enabled, f"{code} is not enabled:\n{enabled}"
