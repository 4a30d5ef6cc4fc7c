"""`python -m knowledge`: --help, usage errors, JSON shapes, one-line errors."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from knowledge.__main__ import cli

SOURCE_KEYS = {"n", "doc_id", "chunk_id", "quote", "interviewee", "role", "organisation", "case", "question",
               "source_path", "start", "end", "score"}


@pytest.mark.parametrize("cmd", [[], ["ask"], ["search"], ["list"]])
def test_help(cmd):
    res = CliRunner().invoke(cli, [*cmd, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_ask_json_shape(knowledge_cli):
    res = knowledge_cli("ask", "Hvorfor var parkeringspladserne et problem?", "--json", "--k", "3")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"question", "language", "mode", "answer", "sources"} <= set(out)
    assert out["language"] == "da" and out["mode"] == "extractive" and out["refused"] is False
    assert 1 <= len(out["sources"]) <= 3
    for i, s in enumerate(out["sources"], 1):
        assert SOURCE_KEYS <= set(s) and s["n"] == i
        assert f"[{s['n']}]" in out["answer"] and s["quote"] in out["answer"]


def test_search_json_shape_and_filter(knowledge_cli):
    res = knowledge_cli("search", "seeds labelling volunteers", "--json", "--filter", "doc_id=riverside-seed-library.md")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"query", "mode", "total", "hits", "not_yet_searchable"} and out["query"] == "seeds labelling volunteers"
    assert out["mode"] == "meaning" and out["total"] == len(out["hits"])  # three words: search by meaning
    assert out["hits"] and all(h["doc_id"] == "riverside-seed-library.md" and SOURCE_KEYS <= set(h) for h in out["hits"])


def test_search_help_lists_the_modes():
    res = CliRunner().invoke(cli, ["search", "--help"])
    assert res.exit_code == 0
    assert re.search(r"--mode \[auto\|words\|phrase\|meaning\]", res.output), res.output
    assert "inflection" in res.output and "exact phrase" in res.output


def test_search_words_mode_json(knowledge_cli):
    # auto: one word is a words search; "volunteer" finds "Volunteers" (English stemming)
    res = knowledge_cli("search", "volunteer", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["query"], out["mode"], out["total"]) == ("volunteer", "words", 1)
    (hit,) = out["hits"]
    assert SOURCE_KEYS <= set(hit) and hit["doc_id"] == "riverside-seed-library.md"
    assert [hit["quote"][a:b] for a, b in hit["highlights"]] == ["Volunteers"]
    # the same through --mode words, and a Danish inflection
    assert json.loads(knowledge_cli("search", "volunteer", "--mode", "words", "--json").stdout)["total"] == 1
    out = json.loads(knowledge_cli("search", "parkeringspladsen", "--mode", "words", "--json").stdout)
    assert out["total"] == 1 and "Parkeringspladserne" in out["hits"][0]["quote"]


def test_search_total_is_all_matches_not_k(knowledge_cli):
    out = json.loads(knowledge_cli("search", "seed", "--k", "1", "--json").stdout)
    assert out["mode"] == "words" and out["total"] == 3 and len(out["hits"]) == 1
    for hit in out["hits"]:
        assert all(hit["quote"][a:b].lower().startswith("seed") for a, b in hit["highlights"]) and hit["highlights"]


def test_search_phrase_mode(knowledge_cli):
    out = json.loads(knowledge_cli("search", '"seed packets"', "--json").stdout)
    assert out["mode"] == "phrase" and out["total"] == 1
    assert [out["hits"][0]["quote"][a:b] for a, b in out["hits"][0]["highlights"]] == ["seed packets"]
    # the same words in another order are not the phrase
    out = json.loads(knowledge_cli("search", "packets seed", "--mode", "phrase", "--json").stdout)
    assert (out["mode"], out["total"], out["hits"]) == ("phrase", 0, [])
    # but in words mode they are, here and where "seed" and "packets" are apart
    assert json.loads(knowledge_cli("search", "packets seed", "--mode", "words", "--json").stdout)["total"] == 2


def test_search_words_mode_filter(knowledge_cli):
    out = json.loads(knowledge_cli("search", "biblioteket", "--json").stdout)
    assert out["total"] >= 2 and len({h["doc_id"] for h in out["hits"]}) >= 2
    only = json.loads(knowledge_cli("search", "biblioteket", "--filter", "doc_id=skovby-borgerservice.txt", "--json").stdout)
    assert 1 <= only["total"] < out["total"]
    assert {h["doc_id"] for h in only["hits"]} == {"skovby-borgerservice.txt"}


def test_search_text_output_says_how_many_contain_it(knowledge_cli):
    res = knowledge_cli("search", "volunteer")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == '1 quote contains "volunteer"'
    assert lines[1].startswith("[1] (") and "Volunteers" in lines[1]
    res = knowledge_cli("search", "seed", "--k", "2")
    assert res.output.splitlines()[0] == '3 quotes contain "seed" (showing 2; --k for more)'
    assert knowledge_cli("search", "zzzxq").output.splitlines() == ['0 quotes contain "zzzxq"']


def test_refusal_json(knowledge_cli):
    out = json.loads(knowledge_cli("ask", "What is the capital of France?", "--json").stdout)
    assert out["refused"] is True and out["sources"] == []
    # finding is not deciding: the quote finder still shows its best quotes, each marked weak
    hits = json.loads(knowledge_cli("search", "What is the capital of France?", "--json").stdout)["hits"]
    assert hits and all(h["weak"] for h in hits)


def test_list_json(knowledge_cli):
    out = json.loads(knowledge_cli("list", "--json").stdout)
    docs = {d["doc_id"]: d for d in out["interviews"]}
    assert set(docs) == {"skovby-borgerservice.txt", "havnestad-ungdomsskole.txt", "riverside-seed-library.md"}
    assert docs["havnestad-ungdomsskole.txt"]["interviewee"] == "Rasmus Friis"
    assert all(d["n_chunks"] > 0 for d in docs.values())


def test_text_output_lists_sources(knowledge_cli):
    res = knowledge_cli("ask", "Hvorfor var parkeringspladserne et problem?")
    assert res.exit_code == 0 and "Sources:" in res.output and "[1]" in res.output


@pytest.mark.parametrize(
    "args",
    [["ask"], ["search", "q", "--filter", "nonsense"], ["search", "q", "--filter", "colour=red"], ["ask", "q", "--mode", "poetry"], ["ask", "q", "--k", "0"],
     ["search", "q", "--mode", "fuzzy"]],
)
def test_usage_errors_exit_2(knowledge_cli, args):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2


def test_model_mismatch_is_one_line_not_a_traceback(casebase, cli_env):
    env = {**cli_env, "CASEBASE_EMBEDDER": "hash:64"}  # the store was built with hash:256
    proc = subprocess.run([sys.executable, "-m", "knowledge", "search", "parkering"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "hash" in lines[0]


def test_subprocess_json_round_trip(casebase, cli_env):
    proc = subprocess.run(
        [sys.executable, "-m", "knowledge", "ask", "Why were the seed packets unreadable? labelling", "--json"],
        env=cli_env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["language"] == "en" and out["sources"][0]["doc_id"] == "riverside-seed-library.md"
