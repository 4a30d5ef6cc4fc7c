"""Render a bench/results JSON as plain-text tables.

    python -m bench.report bench/results/bench-<time>.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _f(x: Any, spec: str = ".1f") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "–"
    return format(x, spec) if isinstance(x, (int, float)) else str(x)


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *map(line, rows)])


def _ok(d: dict | None) -> dict:
    return d if d and "error" not in d else {}


def _non_embed(x: dict) -> float | None:
    """Ingest seconds outside the embedder (passages, and the questions Casebase embeds)."""
    if not x.get("seconds"):
        return None
    return x.get("non_embed_seconds", x["seconds"] - x.get("embed_seconds", 0.0))


def render(data: dict) -> str:
    m, results = data["machine"], data["results"]
    parts = [
        f"Casebase benchmark · {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB, Python {m['python']}, "
        f"commit {m['commit']} · load avg before {_f(m['load_before'][0], '.2f')}, after {_f(m.get('load_after', [None])[0], '.2f')}"
        f" · total {_f(m.get('total_s'), '.0f')} s",
        "",
        "Ingest (Casebase sync_paths, from empty; re-sync and one-file change on the same store)",
    ]
    rows = []
    for r in results:
        i, rs, ch = _ok(r.get("ingest")), _ok(r.get("resync")), _ok(r.get("change"))
        proj = i.get("projected_real_seconds")
        rows.append([
            str(r["interviews"]), _f(i.get("chunks"), "d"), r["embedder"] + ("*" if r["embedder"] == "fast" else ""),
            _f(i.get("seconds")), _f(i.get("chunks", 0) / i["seconds"] if i.get("seconds") else None),
            _f(100 * i["embed_seconds"] / i["seconds"] if i.get("seconds") else None, ".0f") + "%",
            _f(proj, ".0f") + (f" ({_f(i.get('projected_real_chunks_per_s'))}/s)" if proj else ""),
            _f(_non_embed(i)), _f(i["embedded_chars"] / i["quote_chars"] if i.get("quote_chars") else None, ".2f"),
            _f(i.get("peak_rss_mb"), ".0f"), f"{_f(rs.get('seconds'), '.2f')} ({_f(rs.get('embedded'), 'd')})",
            f"{_f(ch.get('seconds'), '.2f')} ({_f(ch.get('embedded'), 'd')}/{_f(ch.get('reused'), 'd')})",
            _f(i.get("failed"), "d"),
        ])
    parts.append(_table(["interviews", "chunks", "embedder", "ingest s", "chunks/s", "embed %", "real-model s (proj.)",
                         "non-embed s", "embedded/quote chars", "RSS MB", "no-change s (embedded)", "1-file change s (emb/reused)", "failed"], rows))
    parts += ["", "Queries (warm; k=8; 30 questions, da+en, 1 in 4 with an organisation filter)"]
    rows = []
    for r in results:
        q, lq, first = _ok(r.get("query")), _ok(r.get("lc_query")), _ok(r.get("first"))
        again = _ok(r.get("after_change"))
        rows.append([
            str(r["interviews"]), _f(_ok(r.get("ingest")).get("chunks") or first.get("chunks"), "d"), _f(first.get("cold_ms"), ".0f"),
            _f(again.get("cold_ms"), ".0f"),
            _f(q.get("cold_ms"), ".0f") + ("" if q.get("from_cache", True) else " (no cache)"),
            f"{_f(q.get('search_p50'))} / {_f(q.get('search_p95'))}", f"{_f(q.get('ask_p50'))} / {_f(q.get('ask_p95'))}",
            _f(q.get("query_embed_ms")), _f(q.get("peak_rss_mb"), ".0f"),
            f"{_f(lq.get('search_p50'))} / {_f(lq.get('search_p95'))}", _f(lq.get("peak_rss_mb"), ".0f"),
        ])
    parts.append(_table(["interviews", "chunks", "1st after sync ms", "1st after a change ms", "cold ms", "search p50/p95 ms", "ask p50/p95 ms", "q-embed ms",
                         "RSS MB", "LC search p50/p95 ms", "LC RSS MB"], rows))
    rows = []
    for r in results:
        q, lq = _ok(r.get("query")), _ok(r.get("lc_query"))
        if q.get("query_texts_per_search") is not None:
            rows.append([str(r["interviews"]), _f(q.get("query_texts_per_search"), ".2f"), "1.00",
                         _f(q.get("query_embed_ms")),
                         f"{_f(q.get('search_cpu_p50'))} / {_f(q.get('search_cpu_p95'))}", _f(q.get("search_new_cpu_p50")),
                         f"{_f(q.get('ask_cpu_p50'))} / {_f(q.get('ask_cpu_p95'))}",
                         f"{_f(lq.get('search_cpu_p50'))} / {_f(lq.get('search_cpu_p95'))}"])
    if rows:
        parts += ["", "Query embeddings per warm search (the floor under a search's time), and CPU time per call",
                  "(all threads; a busy machine stretches wall time, not this)"]
        parts.append(_table(["interviews", "CB texts embedded", "LC texts embedded", "one embedding ms",
                             "CB search CPU p50/p95 ms", "CB new-question search CPU p50 ms", "CB ask CPU p50/p95 ms", "LC search CPU p50/p95 ms"], rows))
    rows = []
    for r in results:
        mx = _ok(r.get("matrix"))
        if mx:
            rows.append([str(r["interviews"]), _f(mx.get("themes"), "d"), _f(mx.get("cold_s"), ".2f"),
                         _f(mx.get("cold_saved_s"), ".2f"), _f(mx.get("warm_s"), ".2f"), _f(mx.get("peak_rss_mb"), ".0f")])
    if rows:
        parts += ["", "Theme matrix (fresh process, snapshot cache present; warm: other wordings, same process)"]
        parts.append(_table(["interviews", "themes", "cold s (new themes)", "cold s (saved themes)", "warm s", "RSS MB"], rows))
    parts += ["", "LangChain baseline (RecursiveCharacterTextSplitter 1000/200 + Chroma.add_documents + same embedder)"]
    rows = []
    for r in results:
        i, li, q, lq = _ok(r.get("ingest")), _ok(r.get("lc_ingest")), _ok(r.get("query")), _ok(r.get("lc_query"))
        if not li:
            continue
        ratio = lambda a, b: _f(a / b, ".2f") if a and b else "–"  # noqa: E731
        rows.append([
            str(r["interviews"]), _f(li.get("chunks"), "d"), _f(li.get("mean_chunk_chars"), ".0f"), _f(li.get("seconds")),
            _f(li.get("projected_real_seconds"), ".0f"), _f(li.get("peak_rss_mb"), ".0f"),
            ratio(i.get("seconds"), li.get("seconds")), ratio(_non_embed(i), _non_embed(li)),
            ratio(i.get("projected_real_seconds"), li.get("projected_real_seconds")),
            ratio(i.get("peak_rss_mb"), li.get("peak_rss_mb")),
            ratio(q.get("search_p50"), lq.get("search_p50")), ratio(q.get("search_new_p50"), lq.get("search_p50")),
            ratio(q.get("ask_p95"), lq.get("search_p95")),
        ])
    parts.append(_table(["interviews", "LC chunks", "chars/chunk", "LC ingest s", "LC real s (proj.)", "LC RSS MB",
                         "ingest time CB/LC", "non-embed CB/LC", "proj. real CB/LC", "ingest RSS CB/LC", "search p50 CB/LC",
                         "new-question search p50 CB/LC", "ask p95 CB / LC search p95"], rows))
    parts += ["", "search p50 CB/LC: about half of Casebase's searches find their question's vectors in its query",
              "  cache (the second round, the warm-up's questions); new-question: only the searches that embedded,",
              "  as the LangChain pipeline does on every search.",
              "non-embed: ingest seconds minus the embedder's (passages and, for Casebase, the interviews' own",
              "  questions); embedded/quote chars: characters sent to the embedder per character of the quotes.",
              "* fast: passages embedded as hashed 384-d vectors under the default model's id (queries use the real",
              "  model); 'real-model s (proj.)' = measured non-embedding time + chunks x the real per-chunk embedding",
              "  time measured at the largest real size. RSS = peak resident set of that phase's own process.",
              "  '1st after sync ms': a fresh process's first search right after the sync (reads the store, writes the",
              "  snapshot cache); '1st after a change ms': the same after a one-file change synced while the",
              "  snapshot of the version before was cached (assembled from it: knowledge/snapshot_delta.py);",
              "  'cold ms': a fresh process with the snapshot cache of its version (memory-mapped)."]
    errors = [f"{r['interviews']} {k}: {v['error']}" for r in results for k, v in r.items() if isinstance(v, dict) and "error" in v]
    if errors:
        parts += ["", "FAILED PHASES:", *errors]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
