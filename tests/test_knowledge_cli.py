"""`python -m knowledge`: --help, usage errors, JSON shapes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from knowledge.__main__ import cli

SOURCE_KEYS = {"n", "doc_id", "chunk_id", "quote", "interviewee", "role", "organisation", "case", "question",
               "source_path", "start", "end", "score"}


@pytest.fixture
def invoke(casebase, cli_env):
    runner = CliRunner()

    def go(*args: str):
        return runner.invoke(cli, list(args), env=cli_env, catch_exceptions=False)

    return go


@pytest.mark.parametrize("cmd", [[], ["ask"], ["search"], ["list"]])
def test_help(cmd):
    res = CliRunner().invoke(cli, [*cmd, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_ask_json_shape(invoke):
    res = invoke("ask", "Hvorfor var parkeringspladserne et problem?", "--json", "--k", "3")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"question", "language", "mode", "answer", "sources"} <= set(out)
    assert out["language"] == "da" and out["mode"] == "extractive" and out["refused"] is False
    assert 1 <= len(out["sources"]) <= 3
    for i, s in enumerate(out["sources"], 1):
        assert SOURCE_KEYS <= set(s) and s["n"] == i
        assert f"[{s['n']}]" in out["answer"] and s["quote"] in out["answer"]


def test_search_json_shape_and_filter(invoke):
    res = invoke("search", "seeds labelling volunteers", "--json", "--filter", "doc_id=riverside-seed-library.md")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"query", "hits"} and out["query"] == "seeds labelling volunteers"
    assert out["hits"] and all(h["doc_id"] == "riverside-seed-library.md" and SOURCE_KEYS <= set(h) for h in out["hits"])


def test_refusal_json(invoke):
    out = json.loads(invoke("ask", "What is the capital of France?", "--json").stdout)
    assert out["refused"] is True and out["sources"] == []
    assert json.loads(invoke("search", "What is the capital of France?", "--json").stdout)["hits"] == []


def test_list_json(invoke):
    out = json.loads(invoke("list", "--json").stdout)
    docs = {d["doc_id"]: d for d in out["interviews"]}
    assert set(docs) == {"skovby-borgerservice.txt", "havnestad-ungdomsskole.txt", "riverside-seed-library.md"}
    assert docs["havnestad-ungdomsskole.txt"]["interviewee"] == "Rasmus Friis"
    assert all(d["n_chunks"] > 0 for d in docs.values())


def test_text_output_lists_sources(invoke):
    res = invoke("ask", "Hvorfor var parkeringspladserne et problem?")
    assert res.exit_code == 0 and "Sources:" in res.output and "[1]" in res.output


@pytest.mark.parametrize(
    "args",
    [["ask"], ["search", "q", "--filter", "nonsense"], ["search", "q", "--filter", "colour=red"], ["ask", "q", "--mode", "poetry"], ["ask", "q", "--k", "0"]],
)
def test_usage_errors_exit_2(invoke, args):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2


def test_model_mismatch_is_one_line_not_a_traceback(casebase, cli_env):
    env = {**cli_env, "CASEBASE_EMBEDDER": "hash:64"}  # the store was built with hash:256
    proc = subprocess.run([sys.executable, "-m", "knowledge", "search", "parkering"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "hash" in lines[0]


def test_subprocess_json_round_trip(casebase, cli_env):
    proc = subprocess.run(
        [sys.executable, "-m", "knowledge", "ask", "Why were the seed packets unreadable? labelling", "--json"],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["language"] == "en" and out["sources"][0]["doc_id"] == "riverside-seed-library.md"
