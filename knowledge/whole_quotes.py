"""Whole-chunk quotes for the theme matrix, each made once per snapshot.

A matrix cell quotes a whole chunk, cut to its first ``MAX_QUOTE_CHARS`` of whole
sentences; finding those sentences runs the sentence splitter (pysbd, ~2.5 ms of CPU for
a 500-character chunk), which was most of a matrix: 1,000 interviews, 10 themes, ~320
long quotes in the cells, ~0.9 s of CPU. So the quotes are kept for the snapshot, in this
process (a chunk in several themes' cells, or in the next matrix) and, when the snapshot
came from its cache (knowledge/snapshot_cache.py), as offsets in a small file in that
cache folder (``whole_quotes.json``), so the next process reopening the same themes finds
them there. The file holds offsets only; it goes with the folder (a new store version or
an erasure removes it). Any unexpected content is ignored: the quotes are made again.
"""
from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import Callable

from knowledge.answer import MAX_QUOTE_CHARS, trim_quote
from knowledge.corpus import Corpus
from knowledge.types import Source

log = logging.getLogger(__name__)
FILE = "whole_quotes.json"
KEEP = 20_000  # Sources kept in memory per snapshot (~1 KB each)


class WholeQuotes:
    """``get(row)``: the chunk's whole quote as a Source (read-only: callers copy it with
    ``replace``). ``make(row, bounds)`` builds the Source from the quote's offsets."""

    def __init__(self, corpus: Corpus, make: Callable[[int, tuple[int, int]], Source]) -> None:
        self.corpus = corpus
        self._make = make
        self._sources: dict[int, Source] = {}
        self._folder: Path | None = getattr(corpus, "folder", None)
        self._bounds: dict[int, tuple[int, int]] = self._load()
        self._new = 0

    def get(self, row: int) -> Source:
        got = self._sources.get(row)
        if got is None:
            bounds = self._bounds.get(row)
            if bounds is None:
                text = self.corpus.texts[row]
                bounds = trim_quote(text, set())
                if len(text) > MAX_QUOTE_CHARS:  # short ones cost nothing to make again
                    self._bounds[row] = bounds
                    self._new += 1
            if len(self._sources) >= KEEP:
                self._sources.clear()
            got = self._sources[row] = self._make(row, bounds)
        return got

    def save(self) -> None:
        """Write the offsets made since the last save beside the snapshot (best effort:
        written to a temporary file and renamed, so a reader sees the old or the new)."""
        if not self._new or self._folder is None:
            return
        path = self._folder / FILE
        tmp = self._folder / f".{FILE}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            merged = {**self._load(), **self._bounds}  # another process may have added its own
            doc = {"max_chars": MAX_QUOTE_CHARS, "n": len(self.corpus),
                   "bounds": {str(r): [a, b] for r, (a, b) in merged.items()}}
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, path)
            self._new = 0
        except OSError as exc:  # a read-only folder, or a new version removed it
            log.info("whole quotes not kept beside the snapshot: %s", exc)
            tmp.unlink(missing_ok=True)

    def _load(self) -> dict[int, tuple[int, int]]:
        if self._folder is None:
            return {}
        try:
            doc = json.loads((self._folder / FILE).read_text(encoding="utf-8"))
            if doc.get("max_chars") != MAX_QUOTE_CHARS or doc.get("n") != len(self.corpus):
                return {}
            out: dict[int, tuple[int, int]] = {}
            texts = self.corpus.texts
            for key, (a, b) in doc["bounds"].items():
                r, a, b = int(key), int(a), int(b)
                if not (0 <= r < len(texts) and 0 <= a < b <= len(texts[r])):
                    return {}
                out[r] = (a, b)
            return out
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.info("whole quotes beside the snapshot ignored: %s", exc)
            return {}
