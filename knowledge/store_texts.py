"""The store's quotes of a large first ingest whose vectors are not written yet.

Split from knowledge/store.py (``Store`` inherits these methods). The quotes of a new
interview's version ride in its body row (knowledge/bodies.py) until its vectors land;
a store that a sync before this stopped mid-ingest holds them in a ``<collection>__text``
collection, one row per interview, read and dropped the same way.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from knowledge.chroma_client import _GuardedCollection, optional_collection

if TYPE_CHECKING:
    from knowledge.bodies import Bodies
    from knowledge.settings import Settings

TEXTS = "__text"  # collection name suffix of the older layout's quote rows
QUOTES = "quotes"  # the metadata key of a ``__text`` row's packed quotes


def text_row_quotes(meta: dict[str, Any], document: str | None) -> str:
    """A ``__text`` row's packed quotes, taken out of ``meta``: in its metadata, or in its
    document where a sync before the metadata key wrote them (a store it left mid-ingest)."""
    return str(meta.pop(QUOTES, None) or document or "")


class TextFirstRows:
    """What ``Store`` does with quotes whose vectors are pending."""

    settings: Settings
    client: Any
    bodies: Bodies
    docs: _GuardedCollection
    _texts: _GuardedCollection | None

    @property
    def _page(self) -> int:  # Store's: records per Chroma write
        raise NotImplementedError

    def text_rows(self, create: bool = False) -> _GuardedCollection | None:
        """The ``__text`` collection; None when it does not exist and ``create`` is off
        (most stores never have one: readers and small syncs pay nothing for it)."""
        if self._texts is None:
            self._texts = optional_collection(self.client, self.settings, self.settings.collection + TEXTS, create)
        return self._texts

    def write_texts(self, docs: list[tuple[str, str, dict[str, Any], str, str]]) -> None:
        """Make new documents readable before their vectors exist. Each (doc_id, hash, meta,
        body, quotes) gets its body row holding ``quotes`` too (the JSON list of its chunks,
        ``knowledge.corpus.pack_texts``; knowledge/bodies.py): one row per interview, not
        per quote, since Chroma's cost is per row and per metadata key (25,000 quote rows
        took 41 s to write, 1,000 interview rows 8 s), and in the write its body needs
        anyway (a row of its own took another 1.1 s per 1,000 interviews). Then its
        manifest record, pending, names that version in ``text_hash``. A crash in between
        leaves a row no record names, which the next sync replaces or prunes."""
        self.bodies.write((d, h, body, quotes) for d, h, _, body, quotes in docs)
        for i in range(0, len(docs), self._page):
            part = docs[i : i + self._page]
            self.docs.upsert(
                ids=[d for d, _, _, _, _ in part],
                embeddings=[[1.0]] * len(part),
                metadatas=[{**meta, "content_hash": "", "pending_hash": h, "text_hash": h} for _, h, meta, _, _ in part],
                documents=[""] * len(part),
            )

    def drop_texts(self, doc_ids: list[str], versions: dict[str, str] | None = None) -> None:
        """Forget the pending-vector quotes of these documents (their vectors are written, or
        they are removed): ``versions`` (doc_id -> hash) names the body rows that hold them;
        a ``__text`` row, where a sync before the quotes moved to the body rows left one,
        goes by its doc_id. No-op on a store that never had any."""
        if versions:
            self.bodies.drop_quotes(versions.items())
        if not doc_ids:
            return
        coll = self.text_rows()
        if coll is None:
            return
        for i in range(0, len(doc_ids), self._page):
            coll.delete(ids=doc_ids[i : i + self._page])

    def text_quotes(self, versions: dict[str, str]) -> dict[str, str]:
        """The packed quotes of these text-first versions (doc_id -> text_hash) whose vectors
        are not written yet: from their body rows, or from the ``__text`` rows a sync
        before left (a store it stopped mid-ingest)."""
        out = self.bodies.quotes(versions)
        missing = {d: h for d, h in versions.items() if d not in out}
        if missing:
            for doc_id, meta, packed in self.iter_texts():
                if missing.get(doc_id) == meta.get("content_hash"):
                    out[doc_id] = packed
        return out

    def iter_texts(self) -> Iterator[tuple[str, dict, str]]:
        """Every row of the ``__text`` collection, (doc_id, {doc_id, content_hash}, quotes),
        visible or not (readers filter), in one read: a sync deletes rows while readers
        read, and a read paged by offset would skip the rows a delete moves (measured: 6 of
        1,000 interviews once). A few MB at 1,000 interviews, and only mid-sync."""
        coll = self.text_rows()
        if coll is None:
            return
        got = coll.get(include=["documents", "metadatas"])
        metas, docs = got.get("metadatas") or [], got.get("documents") or []
        for i, _id in enumerate(got["ids"]):
            meta = dict(metas[i] or {})
            yield _id, meta, text_row_quotes(meta, docs[i] if i < len(docs) else None)
