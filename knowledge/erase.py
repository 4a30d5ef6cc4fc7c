"""Erasing one interview completely: what the CLI's ``erase`` and the Interviews page call.

An interview lives in more places than its chunks: the vectors, its manifest record
and parsed text, the cached vectors of its questions, the snapshot cache beside
the store (knowledge/snapshot_cache.py), the researcher's codings
and rejections in themes.sqlite, the pseudonyms of its people, and, when it was
uploaded, Casebase's copy of the file. All of them go, and then the files that could
still hold deleted bytes are rewritten (knowledge/compact.py for the Chroma store, a
VACUUM for themes.sqlite), so that nothing of the interview is left under the store
folder or in the themes database.

A file the researcher keeps in the interviews folder is theirs: it stays, and the report
says that a resync would bring the interview back unless they remove it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from knowledge.chunk_rows import decode
from knowledge.settings import Settings

KINDS = ("chunks", "vectors", "documents", "question_vectors", "codings", "rejections", "pseudonyms", "files")
_LABELS = {"chunks": "quote chunk", "vectors": "vector", "documents": "document record",
           "question_vectors": "cached question vector", "codings": "coding", "rejections": "rejection",
           "pseudonyms": "pseudonym", "files": "copy of the file"}


class UnknownInterview(ValueError):
    """No interview with that doc_id in the store."""


@dataclass
class EraseReport:
    doc_id: str
    interviewee: str = ""
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    deleted_files: list[str] = field(default_factory=list)  # Casebase's copies (uploads), deleted
    kept_file: str = ""  # the researcher's own file, left where it is
    compacted: bool = False  # the store folder was rewritten and vacuumed (embedded store only)
    themes_vacuumed: bool = False  # themes.sqlite was rewritten (there is none until a theme is made)
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line: what was removed, per kind."""
        parts = [_count(self.removed.get(k, 0), _LABELS[k]) for k in KINDS if self.removed.get(k)]
        who = f" ({self.interviewee})" if self.interviewee else ""
        return f"Erased {self.doc_id}{who}: " + (", ".join(parts) or "nothing was stored") + "."

    def rewritten(self) -> str:
        """What was rewritten so no deleted byte is left ("" when nothing could be)."""
        done = [w for w, ok in (("the store folder", self.compacted), ("the themes database", self.themes_vacuumed)) if ok]
        if not done:
            return ""
        many = len(done) > 1
        return (f"{' and '.join(done).capitalize()} {'were' if many else 'was'} rewritten: "
                f"nothing of the interview is left in {'them' if many else 'it'}.")


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun.replace("copy of", "copies of") if noun.startswith("copy of") else noun + "s"
    return f"{n} {plural}"


def erase_interview(settings: Settings, doc_id: str, embeddings: Embeddings | None = None) -> EraseReport:
    """Remove the interview ``doc_id`` from everything Casebase keeps (see the module doc).
    UnknownInterview when there is none; SyncBusy when a sync holds the store's lock.
    The other interviews stay as they were."""
    from knowledge.chroma_client import chroma_errors
    from knowledge.compact import recover_store
    from knowledge.lock import holding_lock

    with holding_lock(settings):  # no sync or upload may write while records are copied
        recover_store(settings)
        from knowledge.store import Store

        store = Store(settings, embeddings, fresh=True)
        rec = store.documents().get(doc_id)
        if rec is None:
            raise UnknownInterview(f"no interview '{doc_id}' in {settings.describe_store()} "
                                   "(`python -m knowledge list` shows the doc_ids)")
        report = EraseReport(doc_id, interviewee=str(rec.metadata.get("interviewee", "")))
        mine = store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        texts = _text_quotes(store, doc_id)  # a text-first sync may have left quotes without vectors
        metas = [decode(m)[0] for m in mine["metadatas"] or []]
        people = _people(rec.metadata, metas + list(texts.values()))
        quotes = set(mine["ids"]) | set(texts)
        report.removed.update(chunks=len(quotes), vectors=len(mine["ids"]), documents=1)

        store.remove_document(doc_id)
        store.bump_version(_scrubbed(store.last_report(), doc_id, rec.source_path))
        # the snapshots memory-mapped by query processes hold its quotes (and the lock keeps
        # any process from writing one again until the next version)
        from knowledge.snapshot_cache import drop

        drop(settings)
        remaining = [meta for _id, meta, _doc in store.iter_chunks(include=("metadatas",))]
        others = [d.metadata for d in store.documents().values()]
        asked = {str(m.get("question", "")).strip() for m in remaining} - {""}
        # the store's collections are rewritten here: ``store`` points at dropped ones after it
        with chroma_errors(settings):  # the rewrite talks to Chroma's client directly
            report.removed["question_vectors"] = _forget_questions(store, settings, asked, report)
        _forget_files(Path(rec.source_path), report)
        _forget_decisions(settings, doc_id, people, remaining + others, report)
        return report


def _text_quotes(store, doc_id: str) -> dict[str, dict]:
    """The quotes a text-first sync wrote before their vectors (chunk id -> metadata), in
    the interview's body rows or an older store's ``__text`` row. Usually none."""
    from knowledge.corpus import unpack_texts
    from knowledge.store import text_row_quotes

    out: dict[str, dict] = {}
    for packed in store.bodies.quotes_of(doc_id):
        for cid, _text, meta in unpack_texts(packed):
            out[cid] = meta
    coll = store.text_rows()  # where a sync before the quotes moved to the body rows left them
    if coll is None:
        return out
    got = coll.get(ids=[doc_id], include=["documents", "metadatas"])
    docs = got.get("documents") or [None] * len(got["ids"])
    for row, doc in zip(got.get("metadatas") or [], docs):
        for cid, _text, meta in unpack_texts(text_row_quotes(dict(row or {}), doc)):
            out[cid] = meta
    return out


def _people(doc_meta: dict, chunk_metas: list[Any]) -> set[str]:
    """Everyone the interview names in its metadata: interviewees, speakers, organisations."""
    names: set[str] = set()
    for m in [doc_meta, *chunk_metas]:
        names.update(_named(m or {}))
    return names


def _named(meta: dict) -> set[str]:
    """People and organisation a record's metadata names (what a pseudonym may stand for)."""
    from knowledge.pseudonyms import names_in

    out = set(names_in(str(meta.get("interviewee", "")))) | set(names_in(str(meta.get("speaker", ""))))
    org = str(meta.get("organisation", "")).strip()
    return out | {org} if org else out


def _scrubbed(last: dict | None, doc_id: str, source_path: str) -> dict | None:
    """The last sync report without the erased interview (it names its file)."""
    if not last:
        return last

    def other(entry: Any) -> bool:
        if isinstance(entry, dict):
            path = str(entry.get("path", ""))
            return path != source_path and not path.endswith("/" + doc_id)
        return entry != doc_id

    return {k: [e for e in v if other(e)] if isinstance(v, list) else v for k, v in last.items()}


def _forget_questions(store, settings: Settings, asked: set[str], report: EraseReport) -> int:
    """Drop the cached vectors of questions only the erased interview asked, and, for an
    embedded store, rewrite it so the deleted records leave no trace. Returns how many
    cached question vectors went."""
    from knowledge.compact import compact
    from knowledge.store import BODIES, TEXTS
    from knowledge.vectors import forget_questions

    forget_questions(asked)
    chunks, docs = settings.collection, settings.collection + "__docs"
    questions = settings.collection + "__questions"
    if settings.server_mode:
        report.notices.append(
            f"The interview is deleted from the Chroma server ({settings.chroma_host}:{settings.chroma_port}), but "
            "Casebase cannot vacuum the server's files: until the server compacts its log and segments, deleted "
            "bytes may remain in its storage. Ask whoever runs the server to vacuum it (`chroma vacuum`)."
        )
        return _drop_questions(store, questions, asked)
    # __text: the quotes of interviews a killed text-first sync left without vectors
    dropped = compact(store.client, settings.store, [chunks, docs, questions, settings.collection + TEXTS,
                                                     settings.collection + BODIES],
                      keep={questions: lambda _id, meta, doc: doc.strip() in asked})
    report.compacted = True
    return dropped.get(questions, 0)


def _drop_questions(store, name: str, asked: set[str]) -> int:
    try:
        coll = store.client.get_collection(name, embedding_function=None)
        got = coll.get(include=["documents"])
    except Exception:  # no question cache yet
        return 0
    gone = [i for i, d in zip(got["ids"], got["documents"] or []) if (d or "").strip() not in asked]
    if gone:
        coll.delete(ids=gone)
    return len(gone)


def _forget_files(path: Path, report: EraseReport) -> None:
    """Delete Casebase's copies of the file (an upload, and what an interrupted upload
    kept of it); a file the researcher put in the folder stays theirs."""
    from knowledge.copies import forget_upload, is_upload, leftovers

    for extra in leftovers(path):
        extra.unlink(missing_ok=True)
        report.deleted_files.append(str(extra))
    if is_upload(path):
        path.unlink()
        forget_upload(path)
        report.deleted_files.append(str(path))
    elif path.exists():
        report.kept_file = str(path)
        report.notices.append(
            f"The file {path} is yours and was not deleted: a resync of its folder would bring the interview "
            "back unless you remove it (or move it out of the folder)."
        )
    report.removed["files"] = len(report.deleted_files)


def _forget_decisions(settings: Settings, doc_id: str, people: set[str], remaining: list[dict],
                      report: EraseReport) -> None:
    """Codings and rejections of the interview, and the pseudonyms of people no other
    interview names; then the themes database is vacuumed. Never creates the file."""
    from knowledge.compact import vacuum_file
    from knowledge.pseudonyms import PseudonymBook
    from knowledge.themes import ThemeBook

    path = settings.themes_path
    if not path.exists():
        return
    counts = ThemeBook(path).forget_document(doc_id)
    report.removed.update(codings=counts.get("accepted", 0), rejections=counts.get("rejected", 0))
    others: set[str] = set()
    for meta in remaining:
        others.update(_named(meta))
    # the interview's own code too: its key names the file
    report.removed["pseudonyms"] = PseudonymBook(path).forget((people - others) | {doc_id})
    vacuum_file(path)
    report.themes_vacuumed = True
