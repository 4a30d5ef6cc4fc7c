"""Chroma's HNSW parameters for the chunks collection: write cost against the recall of its
query (what server mode's partial snapshot asks, knowledge/dense_chroma.py) next to exact
cosine, which is what every local search scores (knowledge/corpus.py).

    python -m bench.hnsw_recall --store DIR [--queries 200] [--k 100]

``--store``: a store a sync wrote (e.g. ``python -m bench.sync_timers --keep DIR``: 25,052
chunks of 1,000 generated interviews, hashed bag-of-words passage vectors). Its chunks'
vectors, quotes and metadata are written again into a new collection per configuration
(CPU seconds per row, all threads), then queried: the bench's 30 questions and sampled
chunks' own vectors, as hashed vectors (the space of the stored ones), with and without an
organisation filter; recall@k = share of the exact top k that Chroma returns.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from knowledge.chunk_rows import decode

CONFIGS = {
    "default (M16 ef100 / search 100)": {},
    "M12 ef40 / search 100": {"hnsw:M": 12, "hnsw:construction_ef": 40},
    "M8 ef20 / search 100": {"hnsw:M": 8, "hnsw:construction_ef": 20},
    "M8 ef20 / search 200": {"hnsw:M": 8, "hnsw:construction_ef": 20, "hnsw:search_ef": 200},
    "M12 ef40 / search 200": {"hnsw:M": 12, "hnsw:construction_ef": 40, "hnsw:search_ef": 200},
    "M12 ef40 / search 400": {"hnsw:M": 12, "hnsw:construction_ef": 40, "hnsw:search_ef": 400},
    "M8 ef20 / search 400": {"hnsw:M": 8, "hnsw:construction_ef": 20, "hnsw:search_ef": 400},
    "M16 ef100 / search 400": {"hnsw:search_ef": 400},
    "M12 ef20 / search 400": {"hnsw:M": 12, "hnsw:construction_ef": 20, "hnsw:search_ef": 400},
    "M12 ef30 / search 400": {"hnsw:M": 12, "hnsw:construction_ef": 30, "hnsw:search_ef": 400},
}


def main(argv: list[str] | None = None) -> int:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from bench.phases import QUERIES_DA, QUERIES_EN
    from knowledge.embeddings import HashEmbeddings

    ap = argparse.ArgumentParser(prog="python -m bench.hnsw_recall", description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--collection", default="bench")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--only", help="comma-separated substrings of config names")
    opts = ap.parse_args(argv)
    src = chromadb.PersistentClient(path=str(opts.store), settings=ChromaSettings(anonymized_telemetry=False))
    coll = src.get_collection(opts.collection)
    ids: list[str] = []
    docs: list[str] = []
    metas: list[dict] = []
    blocks = []
    offset = 0
    while True:
        got = coll.get(include=["embeddings", "documents", "metadatas"], limit=5000, offset=offset)
        if not got["ids"]:
            break
        ids += got["ids"]
        rows = [decode(m, d) for m, d in zip(got["metadatas"], got["documents"])]  # either layout
        docs += [d for _, d in rows]
        metas += [m for m, _ in rows]
        blocks.append(np.asarray(got["embeddings"], np.float32))
        offset += 5000
    vecs = np.vstack(blocks)
    unit = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    rng = np.random.default_rng(1)
    hashed = HashEmbeddings(vecs.shape[1])
    qs = [np.asarray(hashed._vec(q), np.float32) for q in QUERIES_DA + QUERIES_EN]
    qs += [vecs[i] for i in rng.choice(len(ids), max(0, opts.queries - len(qs)), replace=False)]
    orgs = sorted({str(m.get("organisation", "")) for m in metas} - {""})
    org = orgs[len(orgs) // 2] if orgs else None
    org_mask = np.array([m.get("organisation") == org for m in metas])
    print(f"{len(ids)} chunks, {len(qs)} queries, k={opts.k}; filter organisation={org!r} ({int(org_mask.sum())} chunks); "
          f"load {os.getloadavg()[0]:.2f}")
    for name, params in CONFIGS.items():
        if opts.only and not any(s in name for s in opts.only.split(",")):
            continue
        tmp = tempfile.mkdtemp(prefix="hnsw-recall-")
        try:
            client = chromadb.PersistentClient(path=tmp, settings=ChromaSettings(anonymized_telemetry=False))
            dst = client.create_collection("recall", embedding_function=None, metadata={"hnsw:space": "cosine", **params})
            c, w = time.process_time(), time.perf_counter()
            for i in range(0, len(ids), 2000):
                dst.upsert(ids=ids[i : i + 2000], embeddings=vecs[i : i + 2000], documents=docs[i : i + 2000],
                           metadatas=metas[i : i + 2000])
            cpu, wall = time.process_time() - c, time.perf_counter() - w
            recall, recall_f, worst = [], [], 1.0
            for q in qs:
                qu = q / max(float(np.linalg.norm(q)), 1e-12)
                exact = unit @ qu
                for where, mask, acc in ((None, None, recall), ({"organisation": org}, org_mask, recall_f)):
                    scores = exact if mask is None else np.where(mask, exact, -np.inf)
                    k = min(opts.k, len(ids) if mask is None else int(mask.sum()))
                    truth = {ids[i] for i in np.argsort(-scores, kind="stable")[:k]}
                    got = dst.query(query_embeddings=[q.tolist()], n_results=k, where=where, include=["distances"])
                    share = len(truth & set(got["ids"][0])) / max(1, k)
                    acc.append(share)
                    worst = min(worst, share)
            print(f"{name:<34} write {cpu / len(ids) * 1000:.3f} ms CPU/row ({wall:.1f} s wall)  "
                  f"recall@{opts.k} {np.mean(recall):.4f} (filtered {np.mean(recall_f):.4f}, worst query {worst:.2f})  "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
