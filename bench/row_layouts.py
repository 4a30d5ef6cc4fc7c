"""What a chunk row costs Chroma to write and read back, per layout (knowledge/chunk_rows.py).

    python -m bench.row_layouts --store DIR [--collection bench]

``--store``: a store a sync wrote (``python -m bench.sync_timers --keep DIR`` makes one:
25,052 quotes of 1,000 generated interviews). Its quotes, vectors and metadata, decoded,
are written again into a new collection (the chunks index) per layout, then read back in
full; CPU seconds of this process, all threads. The layouts: the one before 2026-12-06
(the quote as a document and 17 metadata keys), the quote in a metadata value, the
packed layouts (8 or 3 keys plus one JSON value; 3 is what Casebase writes), and the
fewer-rows designs that are not built (one row per answer or per interview, their
quotes' vectors packed in metadata, the row's vector their mean).
"""
from __future__ import annotations

import argparse
import base64
import json
import shutil
import tempfile
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from knowledge.chunk_rows import KEYS, decode
from knowledge.store import CHUNK_INDEX

Rows = tuple[list[str], np.ndarray, list[dict[str, Any]], list[str] | None]


def _packed(metas: list[dict], texts: list[str], keys: tuple[str, ...]) -> list[dict]:
    return [{**{k: m[k] for k in keys if k in m},
             "quote": json.dumps([t, {k: v for k, v in m.items() if k not in keys}], ensure_ascii=False)}
            for m, t in zip(metas, texts)]


def _grouped(ids: list[str], vecs: np.ndarray, metas: list[dict], texts: list[str], key: Callable[[dict], tuple]) -> Rows:
    groups: OrderedDict[tuple, list[int]] = OrderedDict()
    for i, m in enumerate(metas):
        groups.setdefault(key(m), []).append(i)
    out_ids, out_vecs, out_metas = [], [], []
    for k, rows in groups.items():
        mean = vecs[rows].mean(axis=0)
        out_ids.append("|".join(map(str, k)))
        out_vecs.append(mean / (np.linalg.norm(mean) or 1.0))
        out_metas.append({"doc_id": metas[rows[0]]["doc_id"], "content_hash": metas[rows[0]]["content_hash"],
                          "quotes": json.dumps([[ids[r], texts[r], metas[r]] for r in rows], ensure_ascii=False),
                          "vectors": base64.b64encode(vecs[rows].astype(np.float32).tobytes()).decode("ascii")})
    return out_ids, np.asarray(out_vecs, np.float32), out_metas, None


def layouts(ids: list[str], vecs: np.ndarray, metas: list[dict], texts: list[str]) -> dict[str, Callable[[], Rows]]:
    eight = tuple(dict.fromkeys((*KEYS, "organisation", "case", "interviewee", "language", "kind")))
    return {
        "document + every key (before)": lambda: (ids, vecs, metas, texts),
        "quote as a metadata value, every key": lambda: (ids, vecs, [{**m, "text": t} for m, t in zip(metas, texts)], None),
        "8 keys + packed": lambda: (ids, vecs, _packed(metas, texts, eight), None),
        "3 keys + packed (Casebase)": lambda: (ids, vecs, _packed(metas, texts, KEYS), None),
        "one row per answer (not built)": lambda: _grouped(ids, vecs, metas, texts, lambda m: (m["doc_id"], m.get("question_no"), m.get("question"))),
        "one row per interview (not built)": lambda: _grouped(ids, vecs, metas, texts, lambda m: (m["doc_id"],)),
    }


def main(argv: list[str] | None = None) -> int:
    import chromadb

    ap = argparse.ArgumentParser(prog="python -m bench.row_layouts", description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--collection", default="bench")
    opts = ap.parse_args(argv)
    got = chromadb.PersistentClient(str(opts.store)).get_collection(opts.collection).get(include=["embeddings", "metadatas", "documents"])
    ids = list(got["ids"])
    vecs = np.asarray(got["embeddings"], dtype=np.float32)
    rows = [decode(m, d) for m, d in zip(got["metadatas"], got["documents"])]
    metas, texts = [m for m, _ in rows], [t for _, t in rows]
    print(f"{len(ids)} quotes from {opts.store}")
    print(f"{'layout':40s} {'rows':>7s} {'write cpu s':>12s} {'read cpu s':>11s}")
    tmp = Path(tempfile.mkdtemp(prefix="casebase-rows-"))
    try:
        for i, (name, make) in enumerate(layouts(ids, vecs, metas, texts).items()):
            r_ids, r_vecs, r_metas, r_docs = make()
            coll = chromadb.PersistentClient(str(tmp / str(i))).get_or_create_collection("rows", embedding_function=None, metadata=CHUNK_INDEX)
            t = time.process_time()
            for j in range(0, len(r_ids), 2000):
                coll.upsert(ids=r_ids[j:j + 2000], embeddings=r_vecs[j:j + 2000], metadatas=r_metas[j:j + 2000],
                            documents=r_docs[j:j + 2000] if r_docs is not None else None)
            write = time.process_time() - t
            t = time.process_time()
            coll.get(include=["metadatas", "documents", "embeddings"])
            read = time.process_time() - t
            print(f"{name:40s} {len(r_ids):7d} {write:12.2f} {read:11.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
