"""Themes and the researcher's decisions on quotes (codings), in a local SQLite file.

A coding is anchored to its interview by doc_id, span (offsets into ``Interview.text``)
and the quote's text. Chunk ids change with every re-ingest (they carry the file's
hash), so the span and the text are what identify a quote; ``reanchor`` finds the text
again after the file changed and flags what it cannot find instead of dropping it.

Every call opens its own connection: Streamlit runs each session in its own thread and
a CLI may write at the same time, and SQLite (WAL, busy timeout) serialises them.
"""
from __future__ import annotations

import builtins  # ThemeBook.list shadows the builtin inside the class
import json
import re
import sqlite3
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterator

from knowledge.types import Coding, Source, Theme

SCHEMA_VERSION = 1
# distinct at a glance, readable on white and as a QDA code colour; handed out in order
PALETTE = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948",
           "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC", "#86BCB6", "#D37295")
_COLUMNS = ("doc_id", "chunk_id", "quote", "start", "end")  # kept as columns, not in the JSON
_STATUSES = ("accepted", "rejected")
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")

_SCHEMA = """
CREATE TABLE themes (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,  -- NFC + casefold: "Økonomi" and "økonomi" are one theme
    color TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE questions (theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (theme_id, position));
CREATE TABLE codings (id INTEGER PRIMARY KEY,
    theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    quote TEXT NOT NULL,
    citation TEXT NOT NULL,  -- the Source's other fields, JSON
    found_by TEXT NOT NULL DEFAULT '',
    anchor TEXT NOT NULL DEFAULT 'ok' CHECK (anchor IN ('ok', 'moved', 'lost')),
    created REAL NOT NULL,
    UNIQUE (theme_id, doc_id, start, "end"));  -- one decision per quote and theme
CREATE INDEX codings_chunk ON codings (theme_id, chunk_id);
CREATE INDEX codings_doc ON codings (doc_id);
"""


class ThemeBookError(RuntimeError):
    """The themes database cannot be used; the message says what to check."""


class UnknownTheme(ValueError):
    """No theme by that name."""


@dataclass
class ReanchorReport:
    """What ``reanchor`` found: how many codings are where they were, moved, or lost."""

    checked: int = 0
    ok: int = 0
    moved: int = 0  # re-anchored in this run
    lost: int = 0  # text not found (or document gone); kept and flagged
    lost_codings: list[dict] = field(default_factory=list)  # {"theme", "doc_id", "quote"} (quote: its head)

    def to_dict(self) -> dict:
        return asdict(self)


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise ValueError("a theme needs a name")
    return name


def _clean_questions(questions: list[str] | tuple[str, ...] | str) -> list[str]:
    if isinstance(questions, str):  # one question passed bare: not its characters
        questions = [questions]
    out = list(dict.fromkeys(q.strip() for q in questions if q and q.strip()))
    if not out:
        raise ValueError("a theme needs at least one question or search phrase")
    return out


def _norm(text: str) -> str:
    """Whitespace-insensitive form of a quote: a re-parse may reflow lines."""
    return " ".join(text.split())


def _spans(text: str, quote: str, near: int) -> list[tuple[int, int]]:
    """Where ``quote`` occurs in ``text``, nearest to ``near`` first: exact matches, else
    matches that differ only in whitespace."""
    found: list[tuple[int, int]] = []
    i = text.find(quote)
    while quote and i >= 0:
        found.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    if not found and quote.split():
        pattern = re.compile(r"\s+".join(map(re.escape, quote.split())))
        found = [m.span() for m in pattern.finditer(text)]
    return sorted(found, key=lambda s: (abs(s[0] - near), s[0]))


class ThemeBook:
    """Themes and codings stored in the SQLite file at ``path`` (created when missing)."""

    def __init__(self, path: Path | str, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            try:
                con.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                con.execute("BEGIN IMMEDIATE")  # two first opens must not both create the schema
                version = con.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    con.execute("ROLLBACK")
                    raise ThemeBookError(f"{self.path} was written by a newer Casebase (schema {version}); update Casebase.")
                if version == 0:
                    # statement by statement: executescript would commit the open transaction
                    for stmt in filter(str.strip, _SCHEMA.split(";")):
                        con.execute(stmt)
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                con.execute("COMMIT")
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise ThemeBookError(f"Cannot open the themes database {self.path} ({exc}). Check the path and its write permission.") from exc

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise ThemeBookError(f"Cannot open the themes database {self.path} ({exc}).") from exc
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA foreign_keys = ON")  # per connection: removing a theme drops its codings
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # IMMEDIATE: no deadlock on upgrade
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # locked past the timeout, disk full, read-only
            raise ThemeBookError(f"The themes database {self.path} cannot be written ({exc}); try again.") from exc
        finally:
            con.close()

    def _id(self, con: sqlite3.Connection, name: str) -> int:
        row = con.execute("SELECT id FROM themes WHERE key = ?", (_key((name or "").strip()),)).fetchone()
        if row is None:
            known = ", ".join(r[0] for r in con.execute("SELECT name FROM themes ORDER BY id")) or "none yet"
            raise UnknownTheme(f"no theme named '{name}' (themes: {known})")
        return int(row[0])

    # -- themes -----------------------------------------------------------------------
    def add(self, name: str, questions: list[str] | tuple[str, ...], color: str | None = None) -> Theme:
        """A new theme; its colour is the palette's first one no theme uses yet."""
        name, qs = _clean_name(name), _clean_questions(questions)
        if color is not None and not _HEX.fullmatch(color):
            raise ValueError(f"colour must look like #RRGGBB, not '{color}'")
        now = time.time()
        with self._tx(write=True) as con:
            if con.execute("SELECT 1 FROM themes WHERE key = ?", (_key(name),)).fetchone():
                raise ValueError(f"a theme named '{name}' already exists")
            if color is None:
                used = {r[0].upper() for r in con.execute("SELECT color FROM themes")}
                n = con.execute("SELECT COUNT(*) FROM themes").fetchone()[0]
                color = next((c for c in PALETTE if c not in used), PALETTE[n % len(PALETTE)])
            cur = con.execute("INSERT INTO themes (name, key, color, created, updated) VALUES (?, ?, ?, ?, ?)",
                              (name, _key(name), color.upper(), now, now))
            con.executemany("INSERT INTO questions VALUES (?, ?, ?)", [(cur.lastrowid, i, q) for i, q in enumerate(qs)])
        return Theme(name, qs, color.upper())

    def rename(self, old: str, new: str) -> Theme:
        """Rename a theme; its questions, colour and codings stay with it."""
        new = _clean_name(new)
        with self._tx(write=True) as con:
            tid = self._id(con, old)
            other = con.execute("SELECT id FROM themes WHERE key = ?", (_key(new),)).fetchone()
            if other and other[0] != tid:
                raise ValueError(f"a theme named '{new}' already exists")
            con.execute("UPDATE themes SET name = ?, key = ?, updated = ? WHERE id = ?", (new, _key(new), time.time(), tid))
        return self.get(new)  # type: ignore[return-value]

    def remove(self, name: str) -> int:
        """Remove the theme and its codings; returns how many codings went with it."""
        with self._tx(write=True) as con:
            tid = self._id(con, name)
            n = con.execute("SELECT COUNT(*) FROM codings WHERE theme_id = ?", (tid,)).fetchone()[0]
            con.execute("DELETE FROM themes WHERE id = ?", (tid,))
        return int(n)

    def set_questions(self, name: str, questions: list[str] | tuple[str, ...]) -> Theme:
        """Replace the theme's questions; its codings stay (they are the researcher's decisions)."""
        qs = _clean_questions(questions)
        with self._tx(write=True) as con:
            tid = self._id(con, name)
            con.execute("DELETE FROM questions WHERE theme_id = ?", (tid,))
            con.executemany("INSERT INTO questions VALUES (?, ?, ?)", [(tid, i, q) for i, q in enumerate(qs)])
            con.execute("UPDATE themes SET updated = ? WHERE id = ?", (time.time(), tid))
        return self.get(name)  # type: ignore[return-value]

    def get(self, name: str) -> Theme | None:
        """The theme, looked up ignoring case; None when there is none."""
        return next((t for t in self.list() if _key(t.name) == _key((name or "").strip())), None)

    def require(self, name: str) -> Theme:
        """The theme; UnknownTheme (naming the themes there are) when there is none."""
        with self._tx() as con:
            self._id(con, name)
        return self.get(name)  # type: ignore[return-value]

    def list(self) -> list[Theme]:
        """Every theme, oldest first (the order the researcher made them)."""
        with self._tx() as con:
            themes = {r["id"]: Theme(r["name"], [], r["color"]) for r in con.execute("SELECT * FROM themes ORDER BY id")}
            for r in con.execute("SELECT theme_id, text FROM questions ORDER BY theme_id, position"):
                themes[r[0]].questions.append(r[1])
        return list(themes.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Per theme: accepted, rejected and lost (accepted or rejected) codings."""
        out = {t.name: {"accepted": 0, "rejected": 0, "lost": 0} for t in self.list()}
        with self._tx() as con:
            for r in con.execute("SELECT t.name, c.status, c.anchor = 'lost' AS lost, COUNT(*) FROM codings c "
                                 "JOIN themes t ON t.id = c.theme_id GROUP BY 1, 2, 3"):
                if r[0] in out:
                    out[r[0]][r[1]] += r[3]
                    out[r[0]]["lost"] += r[3] if r[2] else 0
        return out

    # -- decisions on quotes --------------------------------------------------------------
    def code(self, theme: str, source: Source, found_by: str = "") -> Coding:
        """Accept the quote into the theme (replacing an earlier decision on it)."""
        return self._decide(theme, source, "accepted", found_by)

    def reject(self, theme: str, source: Source, found_by: str = "") -> Coding:
        """Never propose this quote for the theme again (replacing an earlier decision)."""
        return self._decide(theme, source, "rejected", found_by)

    def _decide(self, theme: str, source: Source, status: str, found_by: str) -> Coding:
        if not source.quote.strip() or not source.doc_id:
            raise ValueError("a coding needs a quote and its interview (doc_id)")
        citation = {k: v for k, v in source.to_dict().items() if k not in _COLUMNS and k != "n"}
        with self._tx(write=True) as con:
            tid = self._id(con, theme)
            con.execute(
                'INSERT INTO codings (theme_id, status, doc_id, chunk_id, start, "end", quote, citation, found_by, anchor, created) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?) ON CONFLICT (theme_id, doc_id, start, \"end\") DO UPDATE SET "
                "status = excluded.status, chunk_id = excluded.chunk_id, quote = excluded.quote, citation = excluded.citation, "
                "found_by = excluded.found_by, anchor = 'ok', created = excluded.created",
                (tid, status, source.doc_id, source.chunk_id, source.start, source.end, source.quote,
                 json.dumps(citation, ensure_ascii=False), found_by, time.time()))
            name = con.execute("SELECT name FROM themes WHERE id = ?", (tid,)).fetchone()[0]
        return Coding(name, status, source, found_by, "ok")

    def unmark(self, theme: str, chunk_id_or_source: str | Source) -> int:
        """Forget decisions: every one on a chunk (by id), or the one on a quote (by its
        span, else its text). Returns how many were forgotten."""
        with self._tx(write=True) as con:
            tid = self._id(con, theme)
            if isinstance(chunk_id_or_source, str):
                cur = con.execute("DELETE FROM codings WHERE theme_id = ? AND chunk_id = ?", (tid, chunk_id_or_source))
                return cur.rowcount
            s = chunk_id_or_source
            cur = con.execute('DELETE FROM codings WHERE theme_id = ? AND doc_id = ? AND start = ? AND "end" = ?',
                              (tid, s.doc_id, s.start, s.end))
            if cur.rowcount:
                return cur.rowcount
            ids = [r[0] for r in con.execute("SELECT id, quote FROM codings WHERE theme_id = ? AND doc_id = ?", (tid, s.doc_id))
                   if _norm(r[1]) == _norm(s.quote)]
            con.executemany("DELETE FROM codings WHERE id = ?", [(i,) for i in ids])
            return len(ids)

    def codings(self, theme: str | None = None, status: str | None = None) -> builtins.list[Coding]:
        """Decisions, by theme (in theme order), interview and position. Each Source's
        ``n`` is its 1-based place in this list."""
        if status is not None and status not in _STATUSES:
            raise ValueError(f"status must be one of {', '.join(_STATUSES)}")
        sql = "SELECT c.*, t.name FROM codings c JOIN themes t ON t.id = c.theme_id WHERE 1"
        args: builtins.list[object] = []
        with self._tx() as con:
            if theme is not None:
                sql, args = sql + " AND c.theme_id = ?", [self._id(con, theme)]
            if status is not None:
                sql, args = sql + " AND c.status = ?", [*args, status]
            rows = con.execute(sql + " ORDER BY t.id, c.doc_id, c.start, c.id", args).fetchall()
        return [Coding(r["name"], r["status"], _source(i, r), r["found_by"], r["anchor"]) for i, r in enumerate(rows, 1)]

    def forget_document(self, doc_id: str) -> dict[str, int]:
        """Drop every decision on the interview (its erasure): how many accepted, rejected."""
        with self._tx(write=True) as con:
            counts = dict.fromkeys(_STATUSES, 0)
            for status, n in con.execute("SELECT status, COUNT(*) FROM codings WHERE doc_id = ? GROUP BY 1", (doc_id,)):
                counts[status] = int(n)
            con.execute("DELETE FROM codings WHERE doc_id = ?", (doc_id,))
        return counts

    def has_codings(self) -> bool:
        """Whether there is anything to re-anchor (a cheap check before reading the store)."""
        with self._tx() as con:
            return con.execute("SELECT 1 FROM codings LIMIT 1").fetchone() is not None

    def rejected(self, theme: str) -> set[str]:
        """Chunk ids rejected for the theme (current after the last ``reanchor``)."""
        return {c.source.chunk_id for c in self.codings(theme, "rejected")}

    def rejection_test(self, theme: str) -> Callable[[Source], bool]:
        """A test for many Sources against one read of the theme's rejects: rejected by
        chunk id, or by interview and quote text, so a re-ingested chunk (new id) stays
        rejected before any re-anchoring."""
        rejects = self.codings(theme, "rejected")
        ids = {c.source.chunk_id for c in rejects}
        texts = {(c.source.doc_id, _norm(c.source.quote)) for c in rejects}
        return lambda s: s.chunk_id in ids or (s.doc_id, _norm(s.quote)) in texts

    def is_rejected(self, theme: str, source: Source) -> bool:
        """One Source against the theme's rejects (see ``rejection_test`` for many)."""
        return self.rejection_test(theme)(source)

    def decisions(self) -> builtins.list[dict]:
        """Every accepted or rejected quote with its theme's questions: labelled data for eval."""
        questions = {t.name: t.questions for t in self.list()}
        return [{"theme": c.theme, "questions": list(questions.get(c.theme, [])), "doc_id": c.source.doc_id,
                 "chunk_id": c.source.chunk_id, "quote": c.source.quote, "status": c.status, "anchor": c.anchor}
                for c in self.codings()]

    # -- re-anchoring ---------------------------------------------------------------------
    def reanchor(self, texts: Callable[[str], str | None],
                 chunk_at: Callable[[str, int, int], str | None] | None = None) -> ReanchorReport:
        """Check every coding against its interview's current text (``texts(doc_id)``,
        None: the document is gone) and follow quotes that moved. Idempotent: a quote
        found where it is stays as it is (a "moved" one stays "moved")."""
        report = ReanchorReport()
        with self._tx() as con:  # read, then look the texts up outside any transaction
            rows = con.execute('SELECT c.id, c.theme_id, c.doc_id, c.chunk_id, c.start, c."end", c.quote, c.anchor, '
                               "t.name FROM codings c JOIN themes t ON t.id = c.theme_id ORDER BY c.doc_id, c.id").fetchall()
        cache: dict[str, str | None] = {}
        taken = {(r["theme_id"], r["doc_id"], r["start"], r["end"]) for r in rows}  # the unique key's current values
        updates = []
        for r in rows:
            report.checked += 1
            doc = r["doc_id"]
            if doc not in cache:
                cache[doc] = texts(doc)
            text, start, end, quote, anchor = cache[doc], r["start"], r["end"], r["quote"], r["anchor"]
            if text is not None and text[start:end] == quote:
                anchor = "ok" if anchor == "lost" else anchor
            else:
                spans = _spans(text, quote, start) if text is not None else []
                free = [s for s in spans if s == (start, end) or (r["theme_id"], doc, *s) not in taken]
                if free and text is not None:
                    taken.discard((r["theme_id"], doc, start, end))
                    (start, end), anchor = free[0], "moved"
                    taken.add((r["theme_id"], doc, start, end))
                    quote = text[start:end]  # verbatim again when only whitespace differed
                    report.moved += 1
                else:
                    anchor = "lost"
            chunk = r["chunk_id"]
            if anchor != "lost" and chunk_at is not None:
                chunk = chunk_at(doc, start, end) or chunk
            if anchor == "lost":
                report.lost += 1
                report.lost_codings.append({"theme": r["name"], "doc_id": doc, "quote": _head(r["quote"])})
            elif (start, end) == (r["start"], r["end"]):
                report.ok += 1
            if (start, end, quote, anchor, chunk) != (r["start"], r["end"], r["quote"], r["anchor"], r["chunk_id"]):
                updates.append((start, end, quote, anchor, chunk, r["id"], r["start"], r["end"], r["quote"]))
        if updates:
            with self._tx(write=True) as con:
                for u in updates:
                    try:  # guarded by the old values: a decision made meanwhile wins
                        con.execute('UPDATE codings SET start = ?, "end" = ?, quote = ?, anchor = ?, chunk_id = ? '
                                    'WHERE id = ? AND start = ? AND "end" = ? AND quote = ?', u)
                    except sqlite3.IntegrityError:  # another decision took that span meanwhile
                        pass
        return report


def _head(quote: str, n: int = 60) -> str:
    q = _norm(quote)
    return q if len(q) <= n else q[: n - 1] + "\u2026"


_REQUIRED = [f for f in fields(Source) if f.default is MISSING and f.default_factory is MISSING]


def _source(n: int, row: sqlite3.Row) -> Source:
    """A Source from a stored coding: a field a later Source requires that the JSON lacks
    reads as empty, one it dropped is ignored (codings outlive code changes)."""
    stored = json.loads(row["citation"] or "{}")
    known = {f.name for f in fields(Source)}
    kw = {k: v for k, v in stored.items() if k in known}
    for f in _REQUIRED:
        kw.setdefault(f.name, 0 if f.type in ("int", "float") else "")
    kw.update(n=n, doc_id=row["doc_id"], chunk_id=row["chunk_id"], quote=row["quote"], start=row["start"], end=row["end"])
    return Source(**kw)
