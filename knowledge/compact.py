"""Rewriting an embedded Chroma store so that deleted records leave nothing on disk.

A delete in Chroma 1.5.9 (embedded) leaves the record in three places, none of which has
an API to purge one record:

* the write-ahead log (the ``embeddings_queue`` table of chroma.sqlite3) keeps every
  upsert, document text and metadata included, until the collection's HNSW segment
  persists, which happens every 1,000 writes;
* a persisted HNSW segment (``<segment uuid>/data_level0.bin``) only marks a deleted
  vector as deleted, and ``index_metadata.pickle`` keeps ids it once held;
* SQLite's free pages (and its journal) keep deleted rows until a VACUUM, and the
  full-text index keeps deleted terms until its segments are merged.

So every collection is copied, record by record, into a fresh collection; the old one is
dropped, its segment folder removed, the full-text index rebuilt and the database vacuumed.
Nothing is embedded again: the stored vectors are copied.

Crash safety: the copy is made under a staging name, and a journal file in the store
folder says how far the swap got. ``recover`` (run by every writer before it opens the
store) finishes a swap whose copy was complete, or drops a half-made copy: the original
collection is dropped only once its complete copy exists.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from knowledge.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

JOURNAL = ".casebase-compact.json"
STAGING = "__compact"  # staging name = collection name + this
_PAGE = 1000
_UUID_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# (record id, metadata, document) -> keep it?
Keep = Callable[[str, dict, str], bool]


def journal_path(store_dir: Path) -> Path:
    return Path(store_dir) / JOURNAL


def compact(client: ClientAPI, store_dir: Path, names: list[str], keep: Mapping[str, Keep] | None = None) -> dict[str, int]:
    """Rewrite the collections ``names`` (those that exist) afresh, with only the records
    ``keep[name]`` keeps (all, for a name without a filter), then purge the store folder.
    Returns the records dropped per collection by the filters. The caller holds the
    store's ingest lock."""
    keep = keep or {}
    store_dir = Path(store_dir)
    recover(client, store_dir)
    existing = {c.name for c in client.list_collections()}
    todo = [n for n in names if n in existing]
    state = {n: "copying" for n in todo}
    _write_journal(store_dir, state)
    dropped: dict[str, int] = {}
    for name in todo:
        kept, seen = _copy(client, name, name + STAGING, keep.get(name))
        dropped[name] = seen - kept
        state[name] = "copied"
        _write_journal(store_dir, state)
    for name in todo:
        _swap(client, name)
        state[name] = "done"
        _write_journal(store_dir, state)
    journal_path(store_dir).unlink(missing_ok=True)
    purge_files(store_dir)
    return dropped


def recover(client: ClientAPI, store_dir: Path) -> None:
    """Finish or undo a compaction a killed process left half-done (see the module doc)."""
    path = journal_path(store_dir)
    if not path.exists():
        return
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    existing = {c.name for c in client.list_collections()}
    for name, step in state.items():
        staged = name + STAGING
        if staged not in existing:
            continue
        if step == "copied":
            _swap(client, name)
        else:  # the copy was never finished: the original is intact
            client.delete_collection(staged)
    path.unlink(missing_ok=True)


def recover_store(settings: Settings) -> None:
    """``recover`` for a writer holding the store's lock, before it opens the store."""
    if settings.server_mode or not journal_path(settings.store).exists():
        return
    from knowledge.chroma_client import make_client

    recover(make_client(settings, fresh=True), settings.store)


def recover_if_idle(client: ClientAPI, settings: Settings) -> None:
    """``recover`` for a reader opening the store: only when no writer holds the lock (a
    writer, maybe in this very process, finishes its own compaction)."""
    if settings.server_mode or not journal_path(settings.store).exists():
        return
    from filelock import Timeout

    from knowledge.lock import lock_for

    lock = lock_for(settings)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return
    try:
        recover(client, settings.store)
    finally:
        lock.release()


def _copy(client: ClientAPI, name: str, staged: str, keep: Keep | None) -> tuple[int, int]:
    src = client.get_collection(name, embedding_function=None)
    try:
        client.delete_collection(staged)
    except Exception:  # the usual case: no leftover
        pass
    dst = client.create_collection(staged, embedding_function=None, metadata=dict(src.metadata or {}) or None)
    kept = seen = offset = 0
    while True:
        got = src.get(include=["embeddings", "documents", "metadatas"], limit=_PAGE, offset=offset)
        ids = list(got["ids"])
        if not ids:
            break
        # Chroma's typed results are unions of list and array forms; these are plain per-row lists
        none: list[Any] = [None] * len(ids)
        metas: list[Any] = list(got.get("metadatas") or none)
        docs: list[Any] = list(got.get("documents") or none)
        vecs: Any = got["embeddings"]
        rows = [i for i, _id in enumerate(ids) if keep is None or keep(_id, dict(metas[i] or {}), docs[i] or "")]
        seen += len(ids)
        if rows:
            dst.add(
                ids=[ids[i] for i in rows],
                embeddings=[vecs[i] for i in rows],
                documents=[docs[i] if docs[i] is not None else "" for i in rows],
                metadatas=_metadatas([metas[i] for i in rows]),  # type: ignore[arg-type]
            )
            kept += len(rows)
        if len(ids) < _PAGE:
            break
        offset += _PAGE
    if dst.count() != kept:  # never drop the original for a short copy
        raise RuntimeError(f"copying the collection {name} kept {dst.count()} of {kept} records")
    return kept, seen


def _metadatas(metas: list[Any]) -> list[dict] | None:
    # Chroma wants every record with metadata or none: a record without any gets a marker
    if all(not m for m in metas):
        return None
    return [dict(m) if m else {"_": ""} for m in metas]


def _swap(client: ClientAPI, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception:  # already dropped before a crash (or a reader made an empty one: dropped above)
        pass
    client.get_collection(name + STAGING, embedding_function=None).modify(name=name)


def purge_files(store_dir: Path) -> None:
    """Remove the segment folders of dropped collections, rebuild the full-text index
    without the deleted terms, vacuum the database and empty its journal."""
    db = Path(store_dir) / "chroma.sqlite3"
    if not db.exists():
        return
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        live = {str(r[0]) for r in con.execute("SELECT id FROM segments")}
        for entry in Path(store_dir).iterdir():
            if entry.is_dir() and _UUID_DIR.fullmatch(entry.name) and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)
        for seg in live:
            _zero_unused(Path(store_dir) / seg)
        fts = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'embedding_fulltext_search'").fetchone()
        if fts:
            con.execute("INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES ('rebuild')")
        vacuum(con)
    finally:
        con.close()


def _zero_unused(folder: Path) -> None:
    """Zero the slots an HNSW segment allocated but has not filled. Chroma's hnswlib writes
    its whole buffers, and the slots beyond the last element are uninitialised memory: in
    the process that just erased an interview, that memory may hold its text."""
    header = folder / "header.bin"
    try:
        # header.bin: a 4-byte version, then hnswlib's fields: offsetLevel0, max_elements,
        # cur_element_count, size_data_per_element (8 bytes each)
        _version, _offset, capacity, count, per_element = struct.unpack_from("<iQQQQ", header.read_bytes())
    except (OSError, struct.error):
        return
    if count > capacity:
        return  # not the layout this was written for: leave it alone
    for name, used in (("data_level0.bin", count * per_element), ("length.bin", count * 4)):
        path = folder / name
        try:
            size = path.stat().st_size
            if size > used:
                with open(path, "r+b") as fh:
                    fh.seek(used)
                    fh.write(bytes(size - used))
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError:
            continue


def vacuum(con: sqlite3.Connection) -> None:
    """Rewrite the database without its free pages, and empty a write-ahead log (which
    would still hold the pages a delete changed) back into it."""
    con.execute("PRAGMA secure_delete = ON")  # pages freed from here on are zeroed, not left behind
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    for _ in range(50):  # a reader mid-transaction keeps the log busy for a moment
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy or not busy[0]:
            return
        time.sleep(0.1)
    raise sqlite3.OperationalError("its write-ahead log stays in use by another program; close it and erase again")


def vacuum_file(path: Path) -> None:
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        vacuum(con)
    finally:
        con.close()


def _write_journal(store_dir: Path, state: dict[str, str]) -> None:
    path = journal_path(store_dir)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
