"""Interviews' parsed bodies, one row per version, beside the manifest.

A body is an interview's text and structure as JSON: what the interview view, coding
anchors and the QDA export read, one interview at a time. It used to be the manifest
record's document, but Chroma indexes every character of a document for full-text
search, which Casebase never uses: the bodies of 1,000 generated interviews (17.8 MB)
took 2.6 s of CPU to write as documents and 0.8 s as a metadata value. As a metadata
value of the manifest record itself, every manifest read (each snapshot, each sync)
would carry them all (+34 MB of query-process RSS at 1,000 interviews). So they have
their own collection, ``<collection>__bodies``, read by id.

A stored body leaves out the text of each span that is a slice of the interview's text
(``pack``: ``"text": null``, put back by ``unpack``), about half of it.

A large first ingest also keeps each new version's quotes in its row (``QUOTES``) until
their vectors are written (ingest/live.py): readable before any vector, in the same
write as the body, and cleared from the row when the vectors land.

A row's id names the document and its version (``doc_id::content_hash``), so the
version readers see keeps its body while a sync writes the next one: a body is written
before the manifest names its version, and a version no record names any more loses its
row when its document is removed or at the end of the next sync (``prune``), which also
clears what a killed sync left. A store written before this keeps its bodies in the
manifest's documents until each interview is next written: the store reads them there.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from knowledge.chroma_client import _GuardedCollection, optional_collection
from knowledge.settings import Settings

SUFFIX = "__bodies"  # collection name suffix
BODY = "body"  # the metadata key holding the JSON body
QUOTES = "quotes"  # a text-first version's quotes (knowledge/corpus.pack_texts), until its vectors land
_SEP = "::"
_BATCH_CHARS = 8_000_000  # bodies per write, by size: a file may hold up to 2M characters


def row_id(doc_id: str, version: str) -> str:
    return f"{doc_id}{_SEP}{version}"


def pack(body: dict[str, Any]) -> str:
    """A parsed interview as stored: JSON, each span's text left out (null) where it is
    the interview's text from the span's start to its end."""
    full = body.get("text")

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            cut = (isinstance(full, str) and isinstance(x.get("text"), str) and _bounds(x) is not None
                   and x["text"] == full[x["start"]:x["end"]])
            return {k: None if cut and k == "text" else strip(v) for k, v in x.items()}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return json.dumps({k: v if k == "text" else strip(v) for k, v in body.items()}, ensure_ascii=False,
                      separators=(",", ":"))


def unpack(raw: str) -> dict[str, Any]:
    """``pack``'s JSON (or a body stored whole, as the manifest once held it) as the dict."""
    body = json.loads(raw)
    full = body.get("text") if isinstance(body, dict) else None
    if not isinstance(full, str):
        return body if isinstance(body, dict) else {}

    def fill(x: Any) -> Any:
        if isinstance(x, dict):
            bounds = _bounds(x) if "text" in x and x["text"] is None else None
            out = {k: fill(v) for k, v in x.items()}
            if bounds is not None:
                out["text"] = full[bounds[0]:bounds[1]]
            return out
        if isinstance(x, list):
            return [fill(v) for v in x]
        return x

    return {k: v if k == "text" else fill(v) for k, v in body.items()}


def _bounds(x: dict[str, Any]) -> tuple[int, int] | None:
    a, b = x.get("start"), x.get("end")
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
        return a, b
    return None


class Bodies:
    """The ``__bodies`` collection of one store; created by the first write, so a store
    that never had one (or a reader of an old store) pays nothing for it."""

    def __init__(self, client: Any, settings: Settings, page: Callable[[], int]) -> None:
        self.client, self.settings, self._page = client, settings, page
        self._coll: _GuardedCollection | None = None

    @property
    def name(self) -> str:
        return self.settings.collection + SUFFIX

    def _collection(self, create: bool = False) -> _GuardedCollection | None:
        if self._coll is None:
            self._coll = optional_collection(self.client, self.settings, self.name, create)
        return self._coll

    def write(self, items: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Store (doc_id, version, body, quotes or None) rows; writing one again replaces it."""
        todo = list(items)
        if not todo:
            return
        coll = self._collection(create=True)
        assert coll is not None
        part: list[tuple[str, str, str, str | None]] = []
        size = 0
        for item in todo:
            part.append(item)
            size += len(item[2]) + len(item[3] or "")
            if size >= _BATCH_CHARS or len(part) >= self._page():
                self._upsert(coll, part)
                part, size = [], 0
        self._upsert(coll, part)

    @staticmethod
    def _upsert(coll: _GuardedCollection, part: list[tuple[str, str, str, str | None]]) -> None:
        if part:
            # a dummy vector, as the manifest has: Chroma wants one per row. Chroma merges an
            # upsert's metadata into the row's: None removes quotes an earlier write left
            coll.upsert(ids=[row_id(d, v) for d, v, _, _ in part], embeddings=[[1.0]] * len(part),
                        metadatas=[{"doc_id": d, "content_hash": v, BODY: body, QUOTES: quotes} for d, v, body, quotes in part])

    def read(self, doc_id: str, version: str) -> str | None:
        """The body of this version of the document; None when it has no row."""
        coll = self._collection()
        if coll is None or not version:
            return None
        got = coll.get(ids=[row_id(doc_id, version)], include=["metadatas"])
        metas = got.get("metadatas") or []
        return str((metas[0] or {}).get(BODY, "")) if got["ids"] and metas else None

    def quotes(self, versions: dict[str, str]) -> dict[str, str]:
        """The text-first quotes held for these versions (doc_id -> version): doc_id ->
        packed quotes, for the rows that hold any."""
        coll = self._collection()
        if coll is None or not versions:
            return {}
        out: dict[str, str] = {}
        ids = [row_id(d, v) for d, v in versions.items()]
        for i in range(0, len(ids), self._page()):
            got = coll.get(ids=ids[i : i + self._page()], include=["metadatas"])
            for meta in got.get("metadatas") or []:
                meta = meta or {}
                if meta.get(QUOTES):
                    out[str(meta.get("doc_id"))] = str(meta[QUOTES])
        return out

    def quotes_of(self, doc_id: str) -> list[str]:
        """Every text-first quote list the document's rows hold (what an erasure counts)."""
        coll = self._collection()
        if coll is None:
            return []
        got = coll.get(where={"doc_id": doc_id}, include=["metadatas"])
        return [str(m[QUOTES]) for m in got.get("metadatas") or [] if m and m.get(QUOTES)]

    def drop_quotes(self, versions: Iterable[tuple[str, str]]) -> None:
        """Clear the quotes of these (doc_id, version) rows: their vectors are written."""
        coll = self._collection()
        ids = [row_id(d, v) for d, v in versions]
        if coll is None or not ids:
            return
        for i in range(0, len(ids), self._page()):
            part = ids[i : i + self._page()]  # an id without a row is skipped by Chroma
            coll.update(ids=part, metadatas=[{QUOTES: None}] * len(part))

    def forget(self, doc_id: str) -> None:
        """Every version's body of the document (it is removed or erased)."""
        coll = self._collection()
        if coll is not None:
            coll.delete(where={"doc_id": doc_id})

    def prune(self, keep: dict[str, set[str]]) -> int:
        """Delete the rows of versions ``keep`` (doc_id -> versions) does not name; returns
        how many went. Reads ids only, not the bodies."""
        coll = self._collection()
        if coll is None:
            return 0
        gone = []
        for _id in coll.get(include=[])["ids"]:
            doc_id, _, version = str(_id).rpartition(_SEP)
            if version not in keep.get(doc_id, ()):
                gone.append(_id)
        for i in range(0, len(gone), self._page()):
            coll.delete(ids=gone[i : i + self._page()])
        return len(gone)
