"""The Chroma store: a chunks collection (vectors + verbatim quotes) and a
documents collection (one record per interview: its committed content hash and
metadata; its parsed text is a row of knowledge/bodies.py's), embedded on disk or on
a Chroma server.

The documents collection is the manifest of the store. A chunk is *visible*
only when its ``content_hash`` equals its document's committed hash, which is
what keeps readers consistent while a sync is half-way through an update and
lets the next sync repair whatever a crash left behind.

A large first ingest shows text before vectors (ingest/live.py): the body row of a new
interview's version (knowledge/bodies.py) also holds its quotes until their vectors are
written, so the chunks collection's HNSW index never sees a vector that means nothing.
Such a document's manifest record names that version in ``text_hash``; its quotes are
visible until its vectors land (see ``knowledge/corpus.py`` for how readers take both).
A store a sync before this stopped mid-ingest may hold them in a ``<collection>__text``
collection instead, one row per interview: they are read and dropped the same way.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge import chunk_rows
from knowledge.bodies import SUFFIX as BODIES
from knowledge.bodies import Bodies, unpack
from knowledge.chroma_client import (
    ModelMismatch,
    StoreError,
    StoreUnreachable,
    _GuardedCollection,
    _unreachable,
    make_client,
)
from knowledge.compact import recover_if_idle
from knowledge.embeddings import make_embeddings, model_id
from knowledge.settings import Settings
from knowledge.store_texts import QUOTES, TEXTS, TextFirstRows, text_row_quotes

if TYPE_CHECKING:  # imported where used, only when needed
    from langchain_chroma import Chroma

__all__ = ["BODIES", "META_ID", "QUOTES", "TEXTS", "DocRecord", "ModelMismatch", "Store", "StoreError", "StoreUnreachable", "make_client", "text_row_quotes"]

META_ID = "__casebase_meta__"
_PAGE = 2000  # Chroma get()/upsert() page size: keeps SQLite variable counts and payloads bounded
# The chunks collection's HNSW index. Local searches score exact cosines on the snapshot's
# vectors (knowledge/corpus.py); only a partial snapshot in server mode asks this index
# (knowledge/dense_chroma.py, its top 100). A lighter graph than Chroma's default (M 16,
# construction ef 100) costs less per written chunk, and a wider search keeps its recall:
# 25,052 chunks of 1,000 generated interviews, 200 queries, recall@100 against exact
# cosine 0.965 (default: 0.961), write 0.47 ms CPU a row (default 0.58-0.78, a busy
# machine); M 8/ef 20 lost too much (0.906 even searching 400). ``python -m bench.hnsw_recall``.
# On 3,000 clustered vectors (tests/test_store_writes.py) the default found 0.90 of the
# exact top 100, this one 0.99: searching 400, not 100, is most of that.
CHUNK_INDEX = {"hnsw:space": "cosine", "hnsw:M": 12, "hnsw:construction_ef": 40, "hnsw:search_ef": 400}


_PENDING_KEYS = ("doc_id", "root", "source_path")  # a record's keys before it is readable (ingest/sync.py's removals)


@dataclass
class DocRecord:
    doc_id: str
    content_hash: str  # committed version ("" while a first ingest is under way)
    pending_hash: str  # version being written ("" when none)
    root: str  # folder the file was ingested from (removals are scoped to it)
    source_path: str
    n_chunks: int
    metadata: dict[str, Any]
    text_hash: str = ""  # a first version whose quotes are readable, vectors pending ("" when none)

    @property
    def committed(self) -> bool:
        return bool(self.content_hash) and not self.pending_hash

    @property
    def visible_hash(self) -> str:
        """The version readers see: the committed one, else one whose text has landed."""
        return self.content_hash or self.text_hash


class Store(TextFirstRows):
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, fresh: bool = False) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._max_batch: int | None = None
        self.client = make_client(settings, fresh=fresh)
        try:
            # an erasure killed half-way through swapping in the rewritten collections
            recover_if_idle(self.client, settings)
            # the parameters apply to a new collection only: an existing one keeps its own
            chunks = self.client.get_or_create_collection(settings.collection, embedding_function=None, metadata=CHUNK_INDEX)
            # The manifest holds no meaningful vectors; Chroma still wants one per record.
            docs = self.client.get_or_create_collection(settings.collection + "__docs", embedding_function=None)
        except Exception as exc:
            raise StoreUnreachable(_unreachable(settings, exc)) from exc
        self.chunks = _GuardedCollection(chunks, settings)
        self.docs = _GuardedCollection(docs, settings)
        self._texts: _GuardedCollection | None = None  # opened when first needed (text_rows)
        self.bodies = Bodies(self.client, settings, lambda: self._page)  # parsed texts (knowledge/bodies.py)

    # -- embeddings and the model check ------------------------------------------------
    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings.embedder, self.settings.embed_base_url)
        return self._embeddings

    def meta(self) -> dict[str, Any]:
        got = self.docs.get(ids=[META_ID], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def _write_meta(self, **fields: Any) -> None:
        meta = self.meta()
        meta.update(fields)
        self.docs.upsert(ids=[META_ID], embeddings=[[1.0]], metadatas=[meta], documents=[""])

    def recorded_model(self) -> str:
        return str(self.meta().get("embedder", ""))

    def check_model(self) -> None:
        """Refuse to mix vectors from two models in one collection."""
        recorded = self.recorded_model()
        current = model_id(self.embeddings)
        if recorded and recorded != current and self.chunks.count() > 0:
            raise ModelMismatch(
                f"The store {self.settings.describe_store()} was built with the embedder '{recorded}', "
                f"but CASEBASE_EMBEDDER selects '{current}'. Rebuild it with "
                f"`python -m ingest --rebuild`, or set CASEBASE_EMBEDDER to the store's model."
            )

    def claim_model(self) -> None:
        current = model_id(self.embeddings)
        if self.recorded_model() != current:
            self._write_meta(embedder=current)

    # -- version: bumped by every sync that changed something; caches key on it -------
    def version(self) -> int:
        return int(self.meta().get("version", 0))

    def change_token(self) -> tuple[int, int, int] | None:
        """A fingerprint of the embedded store's database that moves with every committed
        write, from any process: the file's identity and SQLite's file change counter
        (header bytes 24-27, bumped by every write transaction in rollback-journal mode,
        which Chroma uses). Reading it is one small ``pread``; ``version()`` is a Chroma
        query (1 ms idle, up to 15 ms on a busy 2-core machine: its runtime threads must
        be scheduled), which every question used to pay. None when it cannot tell (a
        Chroma server, a WAL-mode database, an unreadable file): ask ``version()``."""
        if self.settings.server_mode:
            return None
        try:
            with open(Path(self.settings.store) / "chroma.sqlite3", "rb") as fh:
                st = os.fstat(fh.fileno())
                head = fh.read(100)
        except OSError:
            return None
        if len(head) < 100 or not head.startswith(b"SQLite format 3\x00") or head[18] != 1:
            return None  # byte 18 is 2 in WAL mode, where the counter is not kept
        return st.st_dev, st.st_ino, int.from_bytes(head[24:28], "big")

    def bump_version(self, report: dict | None = None) -> int:
        v = self.version() + 1
        fields: dict[str, Any] = {"version": v, "synced_at": time.time()}
        if report is not None:
            fields["last_report"] = json.dumps(report, ensure_ascii=False)
        self._write_meta(**fields)
        return v

    def last_report(self) -> dict | None:
        raw = self.meta().get("last_report")
        return json.loads(raw) if raw else None

    # -- the manifest ----------------------------------------------------------------
    def documents(self) -> dict[str, DocRecord]:
        out: dict[str, DocRecord] = {}
        # one read, not paged by offset: a sync removing a file deletes its record meanwhile,
        # which would move a later record past the next page (its interview then vanishes)
        got = self.docs.get(include=["metadatas"])
        for _id, meta in zip(got["ids"], got.get("metadatas") or [{}] * len(got["ids"])):
            meta = meta or {}
            if _id == META_ID:
                continue
            out[_id] = DocRecord(
                doc_id=_id,
                content_hash=str(meta.get("content_hash", "")),
                pending_hash=str(meta.get("pending_hash", "")),
                root=str(meta.get("root", "")),
                source_path=str(meta.get("source_path", "")),
                n_chunks=int(meta.get("n_chunks", 0)),
                metadata=dict(meta),
                text_hash=str(meta.get("text_hash", "")),
            )
        return out

    def begin_documents(self, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Mark documents (doc_id, pending_hash, meta) as being (re)written; readers keep
        seeing each committed version (its hash stays until commit_documents, its body row
        until the version is pruned).
        One read and at most two writes, whatever their number."""
        if not items:
            return
        existing = self.docs.get(ids=[d for d, _, _ in items], include=["metadatas"])
        known = dict(zip(existing["ids"], existing["metadatas"] or []))
        update_ids, update_metas, new_ids, new_metas = [], [], [], []
        for doc_id, pending_hash, meta in items:
            if doc_id in known and (known[doc_id] or {}).get("pending_hash") == pending_hash:
                continue  # already pending at this version (the text pass marked it): nothing to write
            if doc_id in known:
                update_ids.append(doc_id)
                update_metas.append({**(known[doc_id] or {}), "pending_hash": pending_hash})
            else:
                # a new record holds only what a sync needs of it until its text or commit
                # writes the rest: Chroma's cost is per metadata key (16 of them otherwise)
                new_ids.append(doc_id)
                new_metas.append({**{k: meta[k] for k in _PENDING_KEYS if k in meta}, "content_hash": "", "pending_hash": pending_hash})
        for i in range(0, len(update_ids), self._page):
            self.docs.update(ids=update_ids[i : i + self._page], metadatas=update_metas[i : i + self._page])
        for i in range(0, len(new_ids), self._page):
            part = new_ids[i : i + self._page]
            self.docs.upsert(
                ids=part, embeddings=[[1.0]] * len(part), metadatas=new_metas[i : i + self._page], documents=["{}"] * len(part)
            )

    def commit_documents(self, items: list[tuple[str, str, dict[str, Any], str]], bodied: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        """Commit documents (doc_id, content_hash, meta, body): readers now see this version.
        ``bodied``: documents whose body this version already has (the text pass wrote it):
        only their metadata is written. The others' bodies are written first
        (knowledge/bodies.py), and their record's document emptied: a store written before
        the bodies had their own rows kept them there."""
        def committed(part: list[tuple[str, str, dict[str, Any], str]]) -> list[dict[str, Any]]:
            # Chroma merges a write's metadata into the record's: None removes text_hash
            return [{**meta, "content_hash": h, "pending_hash": "", "text_hash": None} for _, h, meta, _ in part]

        fresh = [it for it in items if it[0] not in bodied]
        self.bodies.write((d, h, body, None) for d, h, _, body in fresh)
        for i in range(0, len(fresh), self._page):
            part = fresh[i : i + self._page]
            self.docs.upsert(ids=[d for d, _, _, _ in part], embeddings=[[1.0]] * len(part), metadatas=committed(part),
                             documents=[""] * len(part))
        same = [it for it in items if it[0] in bodied]
        for i in range(0, len(same), self._page):
            part = same[i : i + self._page]
            self.docs.update(ids=[d for d, _, _, _ in part], metadatas=committed(part))

    def document_body(self, doc_id: str) -> dict | None:
        """The parsed interview of the version readers see, with its record's metadata."""
        got = self.docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        meta = dict(got["metadatas"][0] or {})
        version = str(meta.get("content_hash") or meta.get("text_hash") or "")
        body = self.bodies.read(doc_id, version) or got["documents"][0] or "{}"
        return {"metadata": meta, **unpack(body)}

    def remove_document(self, doc_id: str) -> None:
        # chunks first: a crash in between leaves a manifest record the next sync removes again
        self.chunks.delete(where={"doc_id": doc_id})
        self.drop_texts([doc_id])
        self.bodies.forget(doc_id)
        self.docs.delete(ids=[doc_id])

    def prune_bodies(self, records: dict[str, DocRecord] | None = None) -> int:
        """Drop the bodies of versions no manifest record names (superseded, or left by a
        killed sync); the caller holds the store's lock. ``records``: the manifest, when the
        caller has just read it. Returns how many went."""
        records = self.documents() if records is None else records
        keep = {d.doc_id: {d.content_hash, d.pending_hash, d.text_hash} - {""} for d in records.values()}
        return self.bodies.prune(keep)

    # -- chunks ------------------------------------------------------------------------
    @property
    def _page(self) -> int:
        """Records per write: _PAGE, or less when Chroma's own limit is lower."""
        if self._max_batch is None:
            try:
                self._max_batch = max(1, min(_PAGE, int(self.client.get_max_batch_size())))
            except Exception:  # an older server without the call
                self._max_batch = _PAGE
        return self._max_batch

    def upsert_chunks(self, ids: list[str], vectors: np.ndarray, rows: list[dict]) -> None:
        """Write quotes with their vectors; ``rows``: each quote in the chunk-row layout
        (``chunk_rows.encode`` of its metadata and text: no document, the quote and most
        metadata packed in one value), made where the file was read (ingest/read_pool.py)."""
        step = self._page
        for i in range(0, len(ids), step):
            self.chunks.upsert(ids=ids[i : i + step], embeddings=vectors[i : i + step], metadatas=rows[i : i + step])

    def delete_stale_chunks(self, doc_id: str, keep_hash: str) -> None:
        self.chunks.delete(where={"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": keep_hash}}]})

    def cached_vectors(self, doc_id: str) -> dict[str, np.ndarray]:
        """Vectors already stored for a document, keyed by the hash of their embed text:
        an edited interview only re-embeds the chunks whose text changed."""
        got = self.chunks.get(where={"doc_id": doc_id}, include=["embeddings", "metadatas"])
        out: dict[str, np.ndarray] = {}
        for meta, vec in zip(got["metadatas"] or [], got["embeddings"] if got["embeddings"] is not None else []):
            out[str(meta.get("embed_hash", ""))] = np.asarray(vec, dtype=np.float32)
        return out

    def vectors_by_embed_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors for these embed-text hashes, from any chunk of any document or
        version: a passage already embedded (an unchanged passage of an edited interview,
        the same text in another file) is never embedded again."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            got = self.chunks.get(where={"embed_hash": {"$in": part}}, include=["embeddings", "metadatas"])
            vecs = got["embeddings"] if got["embeddings"] is not None else []
            for meta, vec in zip(got["metadatas"] or [], vecs):
                h = str((meta or {}).get("embed_hash", ""))
                if h and h not in out:
                    out[h] = np.asarray(vec, dtype=np.float32)
        return out

    def iter_chunks(self, include: Iterable[str] = ("documents", "metadatas")) -> Iterator[tuple[str, dict, str]]:
        """Every visible chunk (its document committed at this chunk's version). The read is
        paged by offset, which skips rows a concurrent delete moves (a sync replacing an
        edited interview): an interview that comes out short of its manifest count is read
        again on its own, by a filter."""
        records = [d for d in self.documents().values() if d.content_hash]
        committed = {d.doc_id: d.content_hash for d in records}
        seen: set[str] = set()
        have: Counter[str] = Counter()
        for _id, meta, doc in self._iter(self.chunks, include=list(include)):
            if committed.get(str(meta.get("doc_id"))) == meta.get("content_hash"):
                seen.add(_id)
                have[str(meta.get("doc_id"))] += 1
                yield _id, *chunk_rows.decode(meta, doc)
        for d in records:
            if have[d.doc_id] < d.n_chunks:
                got = self.chunks.get(where={"$and": [{"doc_id": d.doc_id}, {"content_hash": d.content_hash}]},
                                      include=list(include))
                metas = got.get("metadatas") or [{}] * len(got["ids"])
                docs = got.get("documents") or [""] * len(got["ids"])
                for i, _id in enumerate(got["ids"]):
                    if _id not in seen:
                        yield _id, *chunk_rows.decode(metas[i], docs[i])

    def _iter(self, coll, include: list[str]) -> Iterator[tuple[str, dict, str]]:
        offset = 0
        while True:
            got = coll.get(include=include, limit=_PAGE, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            metas = got.get("metadatas") or [{}] * len(ids)
            docs = got.get("documents") or [""] * len(ids)
            for i, _id in enumerate(ids):
                yield _id, metas[i] or {}, docs[i] or ""
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def reopen(self, embeddings: Embeddings | None = None) -> Store:
        """A new handle on this store, on a fresh Chroma system (``make_client``): for a
        reader whose system no longer reads what another process wrote. This object is
        left as it is, for whoever else holds it."""
        return Store(self.settings, embeddings or self._embeddings, fresh=True)

    def reset(self) -> Store:
        """Drop the collections (``--rebuild``) and return a handle on new, empty ones. This
        object's collection handles then point at nothing: use the returned one."""
        names = ("", "__docs", "__questions", TEXTS, BODIES)
        for name in (self.settings.collection + suffix for suffix in names):
            try:
                self.client.delete_collection(name)
            except Exception:  # already gone
                pass
        return self.reopen()

    def vectorstore(self) -> Chroma:
        """The chunks collection as a LangChain vector store (dense retrieval)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=self.settings.collection, embedding_function=self.embeddings)
