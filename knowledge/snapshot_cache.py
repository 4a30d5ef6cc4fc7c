"""The retrieval snapshot persisted beside the store, so a new query process starts
in a blink at any size instead of re-reading, re-tokenising and re-indexing every chunk.

A snapshot (knowledge/corpus.py) is a pure function of the store's visible chunks, the
embedder and this code; the store's manifest changes ``version`` (and ``synced_at``)
with every sync, rebuild or erasure that changes anything. So the first process to build
the snapshot of a version writes it to

    <store folder>/snapshot/<collection>/v<version>-<hash of synced_at, embedder, format>/

and every later process memory-maps it. The folder holds only json and ``.npy``
(never a pickle: the folder may be shared): the unit vectors and question vectors
(``np.load(mmap_mode="r")``), the BM25 index (bm25s's own save format, memory-mapped),
the per-language document frequencies, ids, quotes and the metadata columns as
distinct values plus integer codes.

Safety:
* written into a temporary folder, the manifest last, then renamed into place; only
  while holding the store's ingest lock (no sync or erasure is writing) and only when
  the version did not move while the snapshot was read;
* loading checks the manifest's key, format and every count and shape; anything
  unexpected logs a warning, removes the folder and the caller builds from the store;
* the first load of a new version removes the older ones (so does writing it); erasing
  an interview removes the folder (it holds interview text).

With a Chroma server (``CHROMA_HOST``) the cache is still local: under the settings'
store folder on this machine, keyed to the server's version.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.corpus import FILTER_KEYS, INT_COLUMNS, STR_COLUMNS, Corpus, _LexicalTexts, _objects, load_corpus
from knowledge.settings import Settings
from knowledge.snapshot_delta import assemble

log = logging.getLogger(__name__)

FORMAT = 2  # bump whenever what a snapshot computes, or how it is written, changes (2: rows in canonical order, docs.json)
_DOCS = "docs.json"  # the manifest records' fingerprints at the snapshot's version (knowledge/snapshot_delta.py)
_MANIFEST = "manifest.json"
_STALE_TMP_S = 3600.0  # a temporary folder this old belongs to a process that died


def cache_root(settings: Settings) -> Path:
    """This collection's snapshot folder (all versions)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in settings.collection) or "_"
    return Path(settings.store) / "snapshot" / safe


def cache_key(settings: Settings, meta: dict, model: str) -> str:
    """The folder name of one snapshot: the store version, plus what tells two stores
    of the same version apart (a rebuild restarts the count; another server; another
    embedder; another snapshot format)."""
    ident = json.dumps([FORMAT, model, str(meta.get("synced_at", "")), *_origin(settings)], ensure_ascii=False)
    return f"v{int(meta.get('version', 0))}-{hashlib.sha256(ident.encode('utf-8')).hexdigest()[:16]}"


def _origin(settings: Settings) -> list[str]:
    """Which store a snapshot is of, whatever its version: a snapshot of another server's
    collection kept under the same folder is never the base of this one's next."""
    return [settings.collection, f"{settings.chroma_host}:{settings.chroma_port}" if settings.server_mode else ""]


def drop(settings: Settings) -> None:
    """Remove every cached snapshot of the collection (erasure: they hold interview text)."""
    root = cache_root(settings)
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():  # a file in use elsewhere (Windows): try once more, then say so
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        log.warning("could not remove the snapshot cache %s", root)


# -- loading --------------------------------------------------------------------------------
def load(store, emb, meta: dict):
    """The cached snapshot of the store at ``meta`` (its manifest record), or None when
    there is none or it is unusable (then it is removed, with a warning)."""
    from knowledge.embeddings import model_id

    settings = store.settings
    key = cache_key(settings, meta, model_id(emb))
    folder = cache_root(settings) / key
    if not (folder / _MANIFEST).is_file():
        return None  # load_or_build assembles it from an older one, then removes those
    try:
        return _read(folder, key, emb, int(meta.get("version", 0)))
    except Exception as exc:  # truncated, edited, another numpy: build from the store instead
        log.warning("snapshot cache %s is unusable (%s: %s); rebuilding it from the store", folder, type(exc).__name__, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _read(folder: Path, key: str, emb, version: int):
    from knowledge.embeddings import model_id
    from knowledge.lexical import LexicalIndex

    man = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    if man.get("format") != FORMAT or man.get("key") != key or man.get("model") != model_id(emb):
        raise ValueError("manifest of another store version, embedder or format")
    for name, size in man["files"].items():
        if (folder / name).stat().st_size != size:
            raise ValueError(f"{name} has {(folder / name).stat().st_size} bytes, not {size}")
    n, dim, nq = int(man["n"]), int(man["dim"]), int(man["n_questions"])

    c = Corpus.__new__(Corpus)
    c.ids = _json(folder / "ids.json")
    c.texts = _json(folder / "texts.json")
    _check(len(c.ids) == n and len(c.texts) == n and len(set(c.ids)) == n, "ids or texts")
    c.version = version
    c.store = None  # never partial, so it never asks Chroma
    c.partial = False
    c.from_cache = True
    c.folder = folder  # knowledge/whole_quotes.py keeps the matrix's quote offsets here
    c.embeddings = emb
    c.model = model_id(emb)
    c.vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    _check(c.vectors.shape == (n, dim) and c.vectors.dtype == np.float32, "vectors")
    c.row_of = {cid: i for i, cid in enumerate(c.ids)}
    distinct = _json(folder / "columns.json")
    filters = _json(folder / "filters.json")
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
        a = {k: arrays[k] for k in arrays.files}
    c.columns = {}
    for k in STR_COLUMNS:
        codes = a[f"col_{k}"]
        values = _objects(distinct[k])
        _check(codes.shape == (n,) and (n == 0 or (codes.min() >= 0 and codes.max() < len(values))), f"column {k}")
        c.columns[k] = values[codes]
    c.ints = {}
    for k in INT_COLUMNS:
        c.ints[k] = a[f"int_{k}"]
        _check(c.ints[k].shape == (n,), f"column {k}")
    c.langs = c.columns["language"]
    c._codes, c._vocab = {}, {}
    for k in FILTER_KEYS:
        codes = a[f"filter_{k}"]
        _check(codes.shape == (n,) and (n == 0 or codes.max() < len(filters[k])), f"filter {k}")
        c._codes[k] = codes
        c._vocab[k] = {v: i for i, v in enumerate(filters[k])}
    c.lang_names = np.array(list(c._vocab["language"]))
    c.lang_codes = c._codes["language"].astype(np.int64)
    c.q_index = a["q_index"]
    c.group = a["group"]
    c.n_groups = int(man["n_groups"])
    _check(c.q_index.shape == (n,) and (n == 0 or c.q_index.max() < nq), "question index")
    _check(c.group.shape == (n,) and (n == 0 or c.group.max() < c.n_groups), "answer groups")
    c.q_vectors = np.load(folder / "q_vectors.npy", mmap_mode="r")
    _check(c.q_vectors.shape == (nq, dim) and c.q_vectors.dtype == np.float32, "question vectors")
    c.lexical = LexicalIndex.load(folder / "lexical", _LexicalTexts(c), list(c.langs))
    return c


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"{what} do not match the manifest")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# -- writing ---------------------------------------------------------------------------------
def save(store, corpus, meta: dict) -> Path | None:
    """Persist ``corpus``, built from the store at ``meta``, unless the store moved on or
    a sync or erasure is writing (then the next process builds and writes it). Best
    effort: a read-only folder or a full disk only means no cache. Returns the folder."""
    # a snapshot with rows still waiting for vectors (a sync was killed between its text and its
    # vectors) is not kept: the cache holds vectors for every row, and the next sync completes it
    if corpus.partial or getattr(corpus, "from_cache", False) or len(corpus) == 0 or corpus.waiting is not None:
        return None
    settings = store.settings
    key = cache_key(settings, meta, corpus.model)
    root = cache_root(settings)
    final = root / key
    if final.exists():
        return None
    try:
        from knowledge.lock import lock_for

        lock = lock_for(settings)
        lock.acquire(timeout=0)  # a sync or erasure is writing: its version is not this one
    except Exception:
        return None
    tmp = root / f".tmp-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        now = store.meta()
        if cache_key(settings, now, corpus.model) != key:
            return None  # a sync finished while the snapshot was read
        # the records the rows were read against: with a Chroma server, a sync on another
        # machine (not under this lock) may have committed since, its version yet to move
        docs = corpus.record_fingerprints
        if docs is None:
            return None
        _write(tmp, corpus, key, docs, settings)
        try:
            os.rename(tmp, final)
        except OSError:  # another process wrote the same version first
            return None
        _prune(root, keep=key)
        return final
    except Exception as exc:
        log.warning("snapshot cache not written to %s: %s: %s", root, type(exc).__name__, exc)
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()


def _write(folder: Path, corpus, key: str, docs: dict[str, list[str]], settings: Settings) -> None:

    folder.mkdir(parents=True)
    n = len(corpus)
    vectors = np.ascontiguousarray(corpus.vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise ValueError("the snapshot has vectors still missing")
    np.save(folder / "vectors.npy", vectors)
    np.save(folder / "q_vectors.npy", np.ascontiguousarray(corpus.q_vectors, dtype=np.float32).reshape(-1, vectors.shape[1]))
    _dump(folder / "ids.json", corpus.ids)
    _dump(folder / "texts.json", corpus.texts)
    distinct: dict[str, list[str]] = {}
    arrays: dict[str, np.ndarray] = {}
    for k in STR_COLUMNS:
        pos: dict[str, int] = {}
        codes = np.fromiter((pos.setdefault(v, len(pos)) for v in corpus.columns[k]), dtype=np.int32, count=n)
        distinct[k] = list(pos)
        arrays[f"col_{k}"] = codes
    for k in INT_COLUMNS:
        arrays[f"int_{k}"] = np.asarray(corpus.ints[k], dtype=np.int64)
    for k in FILTER_KEYS:
        arrays[f"filter_{k}"] = np.asarray(corpus._codes[k], dtype=np.int32)
    arrays["q_index"] = np.asarray(corpus.q_index, dtype=np.int64)
    arrays["group"] = np.asarray(corpus.group, dtype=np.int64)
    # numpy's stub types **kwds as bool
    np.savez(folder / "arrays.npz", **arrays)  # type: ignore[arg-type]
    _dump(folder / "columns.json", distinct)
    _dump(folder / "filters.json", {k: list(corpus._vocab[k]) for k in FILTER_KEYS})
    corpus.lexical.save(folder / "lexical")
    _dump(folder / _DOCS, docs)
    files = {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
    manifest = {
        "format": FORMAT, "key": key, "version": corpus.version, "model": corpus.model, "n": n,
        "dim": int(vectors.shape[1]), "n_questions": int(len(corpus.q_vectors)), "n_groups": int(corpus.n_groups),
        "created": time.time(), "files": files, "origin": _origin(settings),
    }
    _dump(folder / _MANIFEST, manifest)  # last: a folder without it is never read


def _dump(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)


def _prune(root: Path, keep: str) -> None:
    """Remove the other versions, and temporary folders of processes that died."""
    for entry in root.iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith(".tmp-"):
            try:
                if time.time() - entry.stat().st_mtime < _STALE_TMP_S:
                    continue  # another process writing right now
            except OSError:
                continue
        shutil.rmtree(entry, ignore_errors=True)


def load_or_build(store, embeddings=None) -> Corpus:
    """The snapshot of the store's current version: memory-mapped from the cache beside the
    store when a process already wrote it, else assembled from the cached snapshot of an
    earlier version and what changed since (knowledge/snapshot_delta.py), else built from
    the store (``knowledge.corpus.load_corpus``); written there for the next process."""
    from knowledge.embeddings import model_id

    emb = embeddings or store.embeddings
    try:
        meta = store.meta()
    except Exception:  # load_corpus reopens the store on its retry
        meta = None
    corpus = None
    if meta is not None:
        cached = load(store, emb, meta)
        if cached is not None:
            return cached
        corpus = _assemble(store, emb)
    try:
        if corpus is None:
            corpus = load_corpus(store, emb)
        if meta is not None and not corpus.partial:
            corpus.folder = save(store, corpus, meta)
    finally:
        # older versions are stale from now on, and may hold erased quotes (an erasure on
        # another machine sharing a Chroma server): gone even when this one was not written,
        # or could not be read (a partial one keeps them: the next question reads again)
        root = cache_root(store.settings)
        if meta is not None and not (corpus is not None and corpus.partial) and root.is_dir():
            _prune(root, keep=cache_key(store.settings, meta, model_id(emb)))
    return corpus


def _assemble(store, emb) -> Corpus | None:
    """The snapshot assembled from the newest cached one of an earlier version; None when
    there is none to start from or it cannot be done safely."""
    from knowledge.embeddings import model_id

    root = cache_root(store.settings)
    best: tuple[float, Path, dict] | None = None
    for folder in root.iterdir() if root.is_dir() else []:
        try:
            man = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a temporary folder, or one being written
        if (man.get("format") == FORMAT and man.get("model") == model_id(emb)
                and man.get("origin") == _origin(store.settings) and (best is None or man["created"] > best[0])):
            best = (float(man["created"]), folder, man)
    if best is None:
        return None
    _, folder, man = best
    try:
        previous = _read(folder, folder.name, emb, int(man.get("version", 0)))
        return assemble(store, emb, previous, _json(folder / _DOCS))
    except Exception as exc:  # a torn or foreign folder, Chroma busy: read the whole store instead
        log.warning("snapshot not assembled from %s (%s: %s); reading the store", folder, type(exc).__name__, exc)
        return None
