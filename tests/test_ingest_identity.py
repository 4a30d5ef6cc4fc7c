"""Ingest speed-ups change nothing a reader can see: the chunks cut from the sample,
the eval corpus and a generated corpus, and the store a sync writes (ids, quotes,
metadata, vectors, manifest), are byte for byte what they were before
(tests/fixtures/ingest_digests.json, made with bench/identity.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.generate import generate
from bench.identity import chunks_digest, store_digest
from tests.conftest import ROOT

EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "ingest_digests.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "g60"
    generate(60, folder, seed=7)
    return folder


@pytest.mark.parametrize("name", ["data/interviews", "eval/corpus"])
def test_chunks_of_the_sample_and_eval_corpora_are_unchanged(name):
    assert list(chunks_digest(ROOT / name)) == EXPECTED["chunks"][name]


def test_chunks_of_a_generated_corpus_are_unchanged(generated):
    assert list(chunks_digest(generated)) == EXPECTED["chunks"]["generated-60-seed-7"]


def test_the_store_a_sync_writes_is_unchanged(generated):
    assert store_digest([ROOT / "data" / "interviews", ROOT / "eval" / "corpus"]) == EXPECTED["store"]["data/interviews+eval/corpus"]
    assert store_digest([generated]) == EXPECTED["store"]["generated-60-seed-7"]
