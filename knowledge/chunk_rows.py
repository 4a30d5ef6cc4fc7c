"""How a quote is laid out in a row of the chunks collection.

Chroma's write cost is per row, per metadata key and per document character: every
metadata key is a row of its own in Chroma's SQLite metadata table (with its index
entries), and a document costs about three times what the same text costs as a metadata
value (Chroma keeps documents for full-text search, which Casebase never uses: it has
its own lexical index, knowledge/lexical.py; switching that index off in a collection
schema did not make documents cheaper, measured with chromadb 1.5.9). A quote
used to be a document plus 17 metadata keys. Now only the keys Chroma is asked to filter
on are keys (``KEYS``: the sync's and erasure's ``doc_id``/``content_hash`` filters and
the embedding reuse's ``embed_hash``); the quote and the rest of its metadata travel in
one JSON value (``PACKED``). Searches filter on the snapshot's columns, and a partial
snapshot's dense leg passes Chroma the ids its filters select (knowledge/dense_chroma.py).
``python -m bench.row_layouts`` on the 25,055 quotes of 1,000 generated interviews
(chromadb 1.5.9, the chunks index, load ~1): writing them took 12.9 s CPU as document +
17 keys, 8.4 s as 8 keys + one packed value, 6.1 s as 3 keys + one packed value; reading
every row back 3.6, 2.2 and 2.3 s.

Rows written before this layout (a document and every key) are still read: ``decode``
takes either.
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["KEYS", "PACKED", "decode", "encode"]

PACKED = "quote"  # [text, {every other metadata key}]
KEYS = ("doc_id", "content_hash", "embed_hash")


def encode(meta: dict[str, Any], text: str) -> dict[str, Any]:
    """A chunk's Chroma metadata: ``KEYS`` as keys, the quote and the rest packed."""
    rest = {k: v for k, v in meta.items() if k not in KEYS and v is not None}
    row = {k: meta[k] for k in KEYS if meta.get(k) is not None}
    row[PACKED] = json.dumps([text, rest], ensure_ascii=False, separators=(",", ":"))
    return row


def decode(row: dict[str, Any] | None, document: str | None = None) -> tuple[dict[str, Any], str]:
    """A chunk row's (metadata, quote), whichever layout wrote it: packed (``encode``), or
    a document with every key in the metadata (stores written before)."""
    row = dict(row or {})
    packed = row.pop(PACKED, None)
    if packed is None:
        return row, document or ""
    text, rest = json.loads(packed)
    row.update(rest)
    return row, str(text)
