"""How a quote is laid out in a row of the chunks collection.

Chroma's write cost is per row, per metadata key and per document character: every
metadata key is a row of its own in Chroma's SQLite metadata table (with its index
entries), and a row's document is indexed character by character for full-text search,
which Casebase never uses (it keeps its own lexical index, knowledge/lexical.py). A quote
used to be a document plus 17 metadata keys. Now only the keys Chroma is asked to filter
on are keys (``KEYS``: the sync's and erasure's ``doc_id``/``content_hash`` filters, the
embedding reuse's ``embed_hash``, and the filters of a partial snapshot's dense leg,
knowledge/dense_chroma.py); the quote and the rest of its metadata travel in one JSON
value (``PACKED``). Measured on the 25,053 quotes of 1,000 generated interviews
(chromadb 1.5.9, the chunks index, one process): writing them took 17.7 s CPU as
document + 17 keys, 9.6 s as 8 keys + one packed value; reading every row's metadata
back 3.1 s, then 2.0 s.

Rows written before this layout (a document and every key) are still read: ``decode``
takes either.
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["FILTER_KEYS", "KEYS", "PACKED", "decode", "encode"]

# what searches filter on (knowledge/retrieve.py, the CLI's --filter, the app's sidebar)
FILTER_KEYS = ("organisation", "interviewee", "case", "doc_id", "language", "kind")

PACKED = "quote"  # [text, {every other metadata key}]
KEYS = tuple(dict.fromkeys(("doc_id", "content_hash", "embed_hash", *FILTER_KEYS)))


def encode(meta: dict[str, Any], text: str) -> dict[str, Any]:
    """A chunk's Chroma metadata: its filter keys as keys, the quote and the rest packed."""
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
