"""eval/fit.py and eval/compose.py: the fit's simulated answers, and the header split the
composition experiment (issue 18) embeds."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.compose import Parts, chunk_texts, ratio, split_header
from eval.fit import simulate
from ingest.chunk import chunk_interview
from ingest.pipeline import content_hash, read_interview

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = sorted((ROOT / "data" / "interviews").glob("*.txt"))[0]


def test_simulate_decides_from_relevances_alone():
    """``make fit`` chooses its thresholds from these answers (it failed when decide began
    reading the snapshot's integer interview codes)."""
    docs = ["a.txt", "a.txt", "b.txt", "c.txt"]
    questions = [
        {"id": "q1", "lang": "da", "gold": [{"doc": "a.txt"}], "answers": [{"doc": "a.txt", "grade": 2}, {"doc": "b.txt", "grade": 2}]},
        {"id": "q2", "lang": "da"},  # off-topic
    ]
    pred = np.array([0.9, 0.1, 0.2, 0.6, 0.1, 0.2, 0.1, 0.1])
    y = np.array([2, 0, 2, 0, 0, 0, 0, 0])
    qidx = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    prec, cov, refused = simulate(pred, y, qidx, questions, docs, 0.5, 0.8)
    assert (prec, cov, refused) == (0.5, 0.5, 1.0)  # a's and c's quotes shown; b missed; q2 refused
    prec, cov, refused = simulate(pred, y, qidx, questions, docs, 0.15, 0.8)
    assert cov == 1.0 and refused == 0.0  # b reached too, and the off-topic question answered


def test_split_header_parts():
    assert split_header("Mette Holm, leder | Læsebåden | Spørgsmål: Hvad virker?") == (
        "Mette Holm, leder | Læsebåden", "Spørgsmål: Hvad virker?")
    assert split_header("Anna | About the case") == ("Anna", "About the case")
    assert split_header("Anna, teacher | Reading goals") == ("Anna, teacher | Reading goals", "")
    assert split_header("") == ("", "")


def test_chunk_texts_recover_what_the_sync_embeds():
    iv = read_interview(SAMPLE, SAMPLE.name)
    chunks = chunk_interview(iv)
    got = chunk_texts([(SAMPLE, SAMPLE.name, content_hash(SAMPLE))])
    assert set(got) == {c.chunk_id for c in chunks}
    for c in chunks:
        quote, header = got[c.chunk_id]
        assert quote == c.text and (f"{header}\n{quote}" if header else quote) == c.embed_text
    headers = [h for _, h in got.values()]
    parts = Parts([q for q, _ in got.values()], headers, [split_header(h)[0] for h in headers], [split_header(h)[1] for h in headers])
    quote_chars = sum(len(c.text) for c in chunks)
    assert ratio(parts, "cur") == sum(len(c.embed_text) for c in chunks) / quote_chars
    assert ratio(parts, "h0.5") == (quote_chars + sum(len(h) for h in set(headers) - {""})) / quote_chars
    assert 1.0 < ratio(parts, "h0.5") < ratio(parts, "cur")
