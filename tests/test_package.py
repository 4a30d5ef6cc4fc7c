"""Casebase is an installed package: one `casebase` command over both command lines."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from casebase_cli import main

COMMANDS = ("ingest", "ask", "search", "list", "themes", "matrix", "export", "erase", "hash-password")


def test_casebase_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed


def test_each_command_has_help() -> None:
    for name in COMMANDS:
        result = CliRunner().invoke(main, [name, "--help"], prog_name="casebase")
        assert result.exit_code == 0, (name, result.output)
        assert f"casebase {name}" in result.output.splitlines()[0]


def test_console_script_is_installed() -> None:
    """make installs the project (pip install -e .) into the venv the tests run in."""
    script = Path(sys.executable).parent / "casebase"
    assert script.is_file(), f"{script} missing: install the project (make venv, or pip install -e .)"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ingest" in done.stdout and "ask" in done.stdout


def test_python_m_entry_points_still_work(tmp_path: Path) -> None:
    for module in ("ingest", "knowledge"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 0, (module, done.stderr)
