"""Digests of what ingest produces, so a speed change can prove it changed nothing.

    python -m bench.identity chunks FOLDER...        # chunk_interview output, per corpus
    python -m bench.identity store FOLDER...         # sync into a fresh store (hash embedder)

``chunks`` hashes every chunk of every file (id, text, offsets, embed text, metadata);
``store`` syncs the folders into a temporary store and hashes every chunk record
(id, document, metadata, vector) and every manifest record (metadata, body), with
the folder's absolute path and the ingest time taken out. The figures in
tests/fixtures/ingest_digests.json were made before the batched sync; tests compare.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _norm(value, roots: list[str]):
    if isinstance(value, str):
        for r in roots:
            value = value.replace(r, "<ROOT>")
        return value
    if isinstance(value, dict):
        return {k: _norm(v, roots) for k, v in sorted(value.items()) if k != "ingested_at"}
    if isinstance(value, (list, tuple)):
        return [_norm(v, roots) for v in value]
    return value


def _digest(rows: list) -> str:
    h = hashlib.sha256()
    for row in sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows):
        h.update(row.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def chunk_rows(folder: Path) -> list:
    from ingest.chunk import chunk_interview
    from ingest.discover import discover
    from ingest.loaders import LoadError
    from ingest.pipeline import read_interview

    roots = [str(folder.resolve()), str(folder)]
    rows = []
    for t in discover([folder]).targets:
        try:
            iv = read_interview(t.path, t.doc_id)
        except LoadError:
            continue
        for c in chunk_interview(iv):
            rows.append(_norm([c.chunk_id, c.text, c.start, c.end, c.embed_text, c.metadata()], roots))
    return rows


def chunks_digest(folder: Path) -> tuple[int, str]:
    rows = chunk_rows(folder)
    return len(rows), _digest(rows)


def store_rows(folders: list[Path]) -> tuple[list, list]:
    from ingest.sync import sync_paths
    from knowledge.chunk_rows import decode
    from knowledge.embeddings import HashEmbeddings
    from knowledge.settings import Settings
    from knowledge.store import META_ID, Store

    roots = [str(f.resolve()) for f in folders] + [str(f) for f in folders]
    with tempfile.TemporaryDirectory(prefix="casebase-identity-") as tmp:
        settings = Settings(store=Path(tmp) / "store", collection="identity", embedder="hash", llm="none", chroma_host=None)
        sync_paths(folders, settings, embeddings=HashEmbeddings())
        store = Store(settings)
        got = store.chunks.get(include=["metadatas", "documents", "embeddings"])
        # what a reader sees of each row, whichever layout holds it (knowledge/chunk_rows.py)
        rows = [(i, *decode(m, d), v) for i, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])]
        chunks = [_norm([i, d, m, [round(float(x), 6) for x in v]], roots) for i, m, d, v in rows]
        got = store.docs.get(include=["metadatas"])
        # each record and its parsed body, wherever the store keeps it (knowledge/bodies.py)
        bodies = {i: {k: v for k, v in (store.document_body(i) or {}).items() if k != "metadata"} for i in got["ids"]}
        docs = [_norm([i, m, bodies[i]], roots) for i, m in zip(got["ids"], got["metadatas"]) if i != META_ID]
    return chunks, docs


def store_digest(folders: list[Path]) -> dict:
    chunks, docs = store_rows(folders)
    return {"chunks": len(chunks), "chunks_digest": _digest(chunks), "docs": len(docs), "docs_digest": _digest(docs)}


def main(argv: list[str]) -> int:
    kind, folders = argv[0], [Path(a) for a in argv[1:]]
    if kind == "chunks":
        out = {str(f): chunks_digest(f) for f in folders}
    else:
        out = store_digest(folders)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
