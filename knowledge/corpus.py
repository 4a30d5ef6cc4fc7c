"""The retrieval snapshot: every visible chunk of the store, in the compact form
queries need, built once per ``Store.version()``.

Memory (25,000 chunks): a chunk's Chroma metadata has ~17 keys, hashes and
offsets that no query reads. The snapshot keeps only the columns queries and
sources use (``STR_COLUMNS``, ``INT_COLUMNS``), with each distinct value stored
once (an interview's organisation, path and questions repeat on every chunk),
and builds them page by page while reading, so the store's metadata dicts are
never all alive at once. Vectors go straight into one float32 matrix.
"""
from __future__ import annotations

import ctypes
import json
import time
from collections import Counter
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.chunk_rows import decode
from knowledge.embeddings import model_id
from knowledge.lang import detect
from knowledge.lexical import LexicalIndex
from knowledge.vectors import question_vectors

FILTER_KEYS = ("organisation", "interviewee", "case", "doc_id", "language", "kind")
# what Hit.metadata / Source carry; everything else in a chunk's metadata stays in Chroma
STR_COLUMNS = (
    "doc_id", "interviewee", "speaker", "role", "organisation", "case", "question", "source_path", "kind", "language",
)  # a store written before "speaker" existed reads it as ""
INT_COLUMNS = ("start", "end", "question_no")
_PAGE = 2000


class Columns:
    """Column-wise chunk metadata being collected, each distinct string kept once."""

    def __init__(self) -> None:
        self.str: dict[str, list[str]] = {k: [] for k in STR_COLUMNS}
        self.int: dict[str, list[int]] = {k: [] for k in INT_COLUMNS}
        self._pool: dict[str, str] = {}

    def add(self, meta: dict, text: str) -> None:
        pool = self._pool
        for k in STR_COLUMNS:
            v = meta.get(k)
            if k == "language" and not v:
                v = detect(text, default="da")
            v = "" if v is None else str(v)
            self.str[k].append(pool.setdefault(v, v))
        for k in INT_COLUMNS:
            self.int[k].append(int(meta.get(k) or 0))

    def take(self, order: Sequence[int] | np.ndarray) -> Columns:
        """The same columns with their rows in ``order``."""
        out = Columns()
        out.str = {k: [v[i] for i in order] for k, v in self.str.items()}
        out.int = {k: [v[i] for i in order] for k, v in self.int.items()}
        out._pool = self._pool
        return out

    @classmethod
    def of(cls, metadatas: Sequence[dict], texts: Sequence[str]) -> Columns:
        cols = cls()
        for m, t in zip(metadatas, texts):
            cols.add(m or {}, t)
        return cols


class Corpus:
    """An in-memory snapshot of the visible chunks: the matrices every query needs."""

    folder: Any = None  # the snapshot cache folder it was mapped from (knowledge/snapshot_cache.py), if any
    assembled = False  # True: assembled from the previous snapshot and what a sync changed (knowledge/snapshot_delta.py)
    # the fingerprints of the manifest records its rows were read against (None: not read
    # from a store): with a Chroma server another machine's sync commits while this one
    # reads, so the records at saving time may be newer than the rows
    record_fingerprints: dict[str, list[str]] | None = None

    def __init__(
        self,
        ids: Sequence[str],
        columns: Columns | Sequence[dict],
        texts: Sequence[str],
        vectors: np.ndarray,
        embeddings: Embeddings,
        version: Any = None,
        store=None,
        waiting: np.ndarray | None = None,
        normalised: bool = False,
    ) -> None:
        self.ids = list(ids)
        self.texts = list(texts)
        cols = columns if isinstance(columns, Columns) else Columns.of(columns, self.texts)
        self.version = version
        self.store = store  # the Store handle it was read through (None: built or cached without one)
        self.partial = False  # True: built without vectors while a sync was writing
        self.from_cache = False  # True: memory-mapped from the snapshot cache (knowledge/snapshot_cache.py)
        self.embeddings = embeddings
        self.model = model_id(embeddings)
        n = len(self.ids)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(n, -1) if n else np.zeros((0, 1), np.float32)
        # ``normalised``: rows already unit length (knowledge/snapshot_delta.py); normalising
        # again would move the last bit of one row in eight, and a snapshot assembled from
        # the previous one would no longer be the one a full read builds
        self.vectors = matrix if normalised else _normalise(matrix)
        self.row_of = {cid: i for i, cid in enumerate(self.ids)}
        self.columns = {k: _objects(v) for k, v in cols.str.items()}
        self.ints = {k: np.asarray(v, dtype=np.int64) for k, v in cols.int.items()}
        del cols
        self.langs = self.columns["language"]
        # integer codes per filter column: masks and per-language grouping without string comparisons
        self._codes: dict[str, np.ndarray] = {}
        self._vocab: dict[str, dict[str, int]] = {}
        for k in FILTER_KEYS:
            names, codes = np.unique(self.columns[k].astype(str), return_inverse=True) if n else (np.array([]), np.zeros(0, np.int64))
            self._vocab[k] = {str(v): i for i, v in enumerate(names)}
            self._codes[k] = codes.astype(np.int32)
        self.lang_names = np.array(list(self._vocab["language"]))
        self.lang_codes = self._codes["language"].astype(np.int64)
        # the lexical text carries the same context the embedded header does: who and which question
        self.lexical = LexicalIndex(_LexicalTexts(self), list(self.langs))
        self.waiting = waiting if waiting is not None and waiting.any() else None
        # distinct interview questions, each embedded once (as a query: question~question is symmetric);
        # a waiting row's question is left out: the sync embeds it with its quotes, and a query
        # process must not embed a thousand of them itself mid-sync
        questions = self.columns["question"]
        if self.waiting is not None:
            questions = np.where(self.waiting, "", questions)
        uniq = sorted({q.strip() for q in questions if q.strip()})
        pos = {q: i for i, q in enumerate(uniq)}
        self.q_index = np.array([pos.get(q.strip(), -1) for q in questions], dtype=np.int64) if n else np.zeros(0, np.int64)
        # answer groups: the chunks answering one question in one interview (-1: no question)
        pairs = self._codes["doc_id"].astype(np.int64) * (len(uniq) + 1) + self.q_index
        _, group = np.unique(pairs, return_inverse=True) if n else (None, np.zeros(0, np.int64))
        self.group = np.where(self.q_index >= 0, group, -1).astype(np.int64)
        self.n_groups = int(self.group.max()) + 1 if n else 0
        self.q_vectors = _normalise(question_vectors(embeddings, uniq, store)) if uniq else np.zeros((0, self.vectors.shape[1]), np.float32)

    # rows whose vectors a sync has not written yet (a large first ingest shows text first):
    # word search sees them, meaning search does not. None: every row has its vector (and
    # what a snapshot memory-mapped from the cache always is)
    waiting: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def meaning_mask(self, filters: dict | None) -> np.ndarray:
        """``mask(filters)`` without the rows meaning search cannot score yet."""
        m = self.mask(filters)
        return m if self.waiting is None else m & ~self.waiting

    def waiting_interviews(self, filters: dict | None = None) -> list[str]:
        """The interviews the filters select that meaning search cannot see yet (an ingest
        is writing their vectors): an answer says so instead of calling them silent."""
        if self.waiting is None:
            return []
        rows = self.mask(filters) & self.waiting
        return sorted({str(d) for d in self.columns["doc_id"][rows]})

    def meta(self, row: int) -> dict[str, Any]:
        """The chunk's metadata as queries and sources use it."""
        out: dict[str, Any] = {k: self.columns[k][row] for k in STR_COLUMNS}
        out.update((k, int(self.ints[k][row])) for k in INT_COLUMNS)
        return out

    def mask(self, filters: dict | None) -> np.ndarray:
        """Boolean row mask for ``{key: value | [values]}`` (AND across keys, OR within)."""
        m = np.ones(len(self), dtype=bool)
        for key, want in (filters or {}).items():
            if want in (None, "", []):
                continue
            if key not in self._codes:
                raise ValueError(f"Unknown filter '{key}'. Use one of: {', '.join(FILTER_KEYS)}.")
            values = [want] if isinstance(want, str) else list(want)
            wanted = [self._vocab[key][v] for v in values if v in self._vocab[key]]
            m &= np.isin(self._codes[key], wanted)
        return m

    @property
    def doc_codes(self) -> np.ndarray:
        """An integer per chunk naming its interview (for per-interview maxima and counts)."""
        return self._codes["doc_id"]

    def in_language(self, language: str) -> np.ndarray:
        """Rows in ``language`` (by integer code: a string comparison over every row cost
        more than the rest of a relevance feature)."""
        code = self._vocab["language"].get(language)
        return np.zeros(len(self), bool) if code is None else self._codes["language"] == code

    def context_rows(self) -> np.ndarray:
        """Rows that describe the case or introduce the interview, not answer a question
        (a relevance feature; computed once per snapshot)."""
        got = self.__dict__.get("_context_rows")
        if got is None:
            got = np.isin(self.columns["kind"], ("case", "intro"))
            self.__dict__["_context_rows"] = got
        return got

    def interviews_in(self, mask: np.ndarray) -> int:
        """How many interviews have chunks among the ``mask`` rows (the filters' view)."""
        return int(np.count_nonzero(np.bincount(self.doc_codes[mask]))) if mask.any() else 0

    def rows_of(self, doc_id: str) -> np.ndarray:
        code = self._vocab["doc_id"].get(doc_id)
        return np.zeros(0, np.int64) if code is None else np.flatnonzero(self._codes["doc_id"] == code)


class _LexicalTexts(Sequence[str]):
    """Each chunk's lexical text, made when asked (indexing, PRF): never all kept."""

    def __init__(self, corpus: Corpus) -> None:
        self._c = corpus

    def __len__(self) -> int:
        return len(self._c)

    def __getitem__(self, i):  # type: ignore[override]
        c = self._c
        head = " ".join(c.columns[k][i] for k in ("question", "interviewee", "organisation", "case"))
        return f"{head}\n{c.texts[i]}"

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


def _objects(values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _normalise(m: np.ndarray) -> np.ndarray:
    if m.size == 0:
        return m
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    m /= norms
    return m


def load_corpus(store, embeddings: Embeddings | None = None, attempts: int = 3) -> Corpus:
    """Snapshot the store's visible chunks (ids, metadata, quotes and their vectors).

    Reading vectors is the fragile part with an on-disk Chroma that another process is
    writing to: chromadb 1.5.9 then fails with "Error finding id", and keeps failing
    in this process after the writer is done, until its shared system is replaced.
    So: read vectors in the same paged ``get`` as the quotes, on failure open a new
    Store on a fresh system (this store's path only) and retry; if the writer is still busy, build a snapshot
    without vectors whose dense leg asks Chroma's HNSW index instead (``query``
    keeps working during writes). Such a snapshot is marked ``partial`` so the
    caller reloads it at the next question. The caller's ``store`` is never changed
    (other threads may be using it): ``corpus.store`` is the handle the snapshot was
    read through, the new one when the read had to reopen.

    ``knowledge.snapshot_cache.load_or_build`` wraps this with the on-disk cache."""
    emb = embeddings or store.embeddings
    try:
        for attempt in range(attempts):
            try:
                return _read_corpus(store, emb, with_vectors=True)
            except Exception:
                if store.settings.server_mode:
                    raise
                # a new Chroma system for this store's path only: clearing the
                # process-wide cache would reopen every other store (and session) too
                store = store.reopen(emb)
                time.sleep(0.1 * (attempt + 1))
        corpus = _read_corpus(store, emb, with_vectors=False)
        corpus.partial = True
        return corpus
    finally:
        _release_free_memory()


def _read_corpus(store, emb: Embeddings, with_vectors: bool, attempts: int = 3) -> Corpus:
    """The snapshot; read again (a few times) when an interview whose vectors a sync is
    writing came out with fewer quotes than its manifest record says: a read paged by
    offset can skip rows that a concurrent delete moved (measured at 1,000 interviews: 6
    went missing once), or when a committed interview had no row left at all (the manifest
    was read before a sync replaced that interview; a committed one read short is
    completed in place, see ``_read_once``). The last attempt is kept whatever it holds:
    the sync's next step moves the version, and with it every reader."""
    for attempt in range(attempts):
        corpus, whole = _read_once(store, emb, with_vectors)
        if whole:
            break
        time.sleep(0.2 * (attempt + 1))
    return corpus


def _read_once(store, emb: Embeddings, with_vectors: bool) -> tuple[Corpus, bool]:
    version = store.version()
    records = list(store.documents().values())
    # a chunk is visible at its document's committed version, or (a first ingest whose text
    # landed before its vectors) at the version named by ``text_hash``
    committed = {d.doc_id: d.visible_hash for d in records if d.visible_hash}
    # The text-first rows are read before the chunks: the sync upserts a batch's chunks,
    # then drops their text rows, then commits, so a text row read too late to be seen
    # has its chunk (same id, same hash) already upserted when the chunks are read.
    early = _text_rows(store, {d.doc_id: d.text_hash for d in records if d.text_hash and not d.content_hash})
    include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
    ids: list[str] = []
    texts: list[str] = []
    cols = Columns()
    blocks: list[np.ndarray] = []
    seen: set[str] = set()
    offset = 0
    while True:
        got = store.chunks.get(include=include, limit=_PAGE, offset=offset)
        page = got["ids"]
        keep = []
        for i, cid in enumerate(page):
            meta = got["metadatas"][i] or {}
            if cid in seen or committed.get(meta.get("doc_id")) != meta.get("content_hash"):
                continue  # invisible: its document is mid-sync or gone
            seen.add(cid)
            keep.append(i)
            ids.append(cid)
            meta, text = decode(meta, got["documents"][i])
            texts.append(text)
            cols.add(meta, text)
        if with_vectors and keep:
            blocks.append(np.asarray(got["embeddings"], dtype=np.float32)[keep] if len(keep) < len(page) else np.asarray(got["embeddings"], dtype=np.float32))
        del got
        if len(page) < _PAGE:
            break
        offset += _PAGE
    # rows a concurrent delete moved past this offset-paged read (a sync replacing an edited
    # interview deletes its old rows mid-read), or a document between a sync's stale delete
    # and its commit: each committed interview read short of its manifest count is read
    # again on its own, by a filter, which no delete can page past
    have = Counter(cols.str["doc_id"])
    # what a filtered read finds is the interview's whole version, unless its version is
    # gone: the manifest was read before a sync that has since replaced it (re-read below)
    lost: set[str] = set()
    for rec in records:
        if rec.content_hash and have.get(rec.doc_id, 0) < rec.n_chunks:
            rows = _rows_of(store, rec, seen, with_vectors, bool(have.get(rec.doc_id)))
            if rows is None:
                lost.add(rec.doc_id)
            for cid, meta, text, vec in rows or []:
                seen.add(cid)
                ids.append(cid)
                texts.append(text)
                cols.add(meta, text)
                if vec is not None:
                    blocks.append(vec.reshape(1, -1))
    n_embedded = len(ids)
    for cid, (meta, text) in early.items():
        if cid not in seen:  # its vector is not written yet
            ids.append(cid)
            texts.append(text)
            cols.add(meta, text)
    waiting = np.arange(len(ids)) >= n_embedded
    if with_vectors:
        vectors = np.vstack(blocks) if blocks else np.zeros((0, 0), np.float32)
        if waiting.any():  # zero rows: they score nothing, and meaning_mask leaves them out
            dim = vectors.shape[1] if n_embedded else len(emb.embed_query("dimension probe"))
            vectors = np.vstack([vectors.reshape(n_embedded, dim), np.zeros((len(ids) - n_embedded, dim), np.float32)])
    else:
        dim = len(emb.embed_query("dimension probe"))
        vectors = np.full((len(ids), dim), np.nan, np.float32)  # NaN: "ask Chroma" (see search)
    del blocks
    expected = {d.doc_id: d.n_chunks for d in records if d.text_hash and not d.content_hash}
    have = Counter(cols.str["doc_id"])
    whole = not lost and all(have.get(d, 0) >= n for d, n in expected.items())
    order = canonical_order(ids, cols)
    ids, texts, cols = [ids[i] for i in order], [texts[i] for i in order], cols.take(order)
    corpus = Corpus(ids, cols, texts, vectors[order], emb, version=version, store=store, waiting=waiting[order])
    corpus.record_fingerprints = fingerprints(records)
    return corpus, whole


def fingerprints(records: Iterable[Any]) -> dict[str, list[str]]:
    """Per committed interview, what a sync changes whenever it rewrites its quotes
    (knowledge/snapshot_delta.py)."""
    return {
        d.doc_id: [d.content_hash, d.source_path, str(d.n_chunks), repr((d.metadata or {}).get("ingested_at"))]
        for d in records if d.content_hash
    }


def canonical_order(ids: Sequence[str], cols: Columns) -> np.ndarray:
    """The rows in one order whatever way they were read: by interview, then by place in
    it. Chroma returns rows in the order they were written, so a snapshot read from the
    store and one assembled from the previous snapshot plus what a sync changed
    (knowledge/snapshot_delta.py) would otherwise differ in the order of equal scores."""
    docs, starts = cols.str["doc_id"], cols.int["start"]
    return np.array(sorted(range(len(ids)), key=lambda i: (docs[i], starts[i], ids[i])), dtype=np.int64)


def _rows_of(store, rec, seen: set[str], with_vectors: bool, some_read: bool) -> list[tuple[str, dict, str, np.ndarray | None]] | None:
    """The rows of one committed interview the paged read missed: those of its committed
    version, or, when a sync has deleted them all and not yet committed the next (between
    steps 3 and 4 of ingest/sync.py) and the paged read took none of them (``some_read``),
    those of its pending version, which is complete by then (its chunks were all written in
    step 2): one version, never both. None: its version is gone, the snapshot is torn."""
    include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
    got = store.chunks.get(where={"doc_id": rec.doc_id}, include=include)
    metas = got["metadatas"] or []
    mine = [i for i, m in enumerate(metas) if (m or {}).get("content_hash") == rec.content_hash]
    if not mine and rec.pending_hash and not some_read:
        mine = [i for i, m in enumerate(metas) if (m or {}).get("content_hash") == rec.pending_hash]
    if not mine:
        return None
    vecs = got["embeddings"] if with_vectors and got["embeddings"] is not None else None
    return [(got["ids"][i], *decode(metas[i], got["documents"][i]),
             None if vecs is None else np.asarray(vecs[i], dtype=np.float32))
            for i in mine if got["ids"][i] not in seen]


def pack_texts(ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict]) -> str:
    """An interview's quotes as one value (Store.write_texts): per quote its id,
    text and the metadata a snapshot keeps (``_text_rows`` reads it back)."""
    keys = ("doc_id", "content_hash", *STR_COLUMNS, *INT_COLUMNS)
    rows = [[cid, text, {k: m[k] for k in keys if m.get(k) is not None}] for cid, text, m in zip(ids, texts, metadatas)]
    return json.dumps(rows, ensure_ascii=False)


def unpack_texts(packed: str | None) -> list[tuple[str, str, dict]]:
    """A ``__text`` row's quotes as ``pack_texts`` wrote them: (chunk id, text, metadata)."""
    return [(str(cid), text, meta or {}) for cid, text, meta in json.loads(packed or "[]")]


def _text_rows(store, text_hash: dict[str, str]) -> dict[str, tuple[dict, str]]:
    """The visible quotes of new interviews whose vectors a sync has not written yet
    (``Store.text_quotes``). Nothing is read when no document has any."""
    out: dict[str, tuple[dict, str]] = {}
    if not text_hash:
        return out
    for packed in store.text_quotes(text_hash).values():
        for cid, text, m in unpack_texts(packed):
            out[cid] = (m, text)
    return out


def _release_free_memory() -> None:
    """Hand freed heap back to the OS (glibc keeps it after the many small allocations
    of a snapshot read: ~130 MB of RSS at 25,000 chunks). No-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
