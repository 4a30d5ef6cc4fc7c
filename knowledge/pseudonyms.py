"""Stable codes for the people, organisations and interview files of pseudonymised
exports (``P01``, ``O01``, ``I01``), kept in themes.sqlite beside the themes.

A code is handed out once, in the order names are first seen, and kept: the same person
is ``P03`` in every export, so a researcher can merge or compare exports. Numbers are
never reused, even after an erasure forgot a name, so an old export's ``P03`` never
becomes somebody else. The names themselves are personal data: they live here and in the
key file an export writes apart, never in the export.
"""
from __future__ import annotations

import re
import sqlite3
import unicodedata
from pathlib import Path
from typing import Iterable

from knowledge.themes import ThemeBook, ThemeBookError

PREFIX = {"person": "P", "organisation": "O", "interview": "I"}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pseudonyms (kind TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, "
    "code TEXT NOT NULL UNIQUE, PRIMARY KEY (kind, key))",
    "CREATE TABLE IF NOT EXISTS pseudonym_counters (kind TEXT PRIMARY KEY, last INTEGER NOT NULL)",
)
# "Grace Obi, Tom Fenwick", "Mette Holm og Karsten Dahl": one name per part
_LIST = re.compile(r"\s*(?:[,;/&+]|\band\b|\bog\b)\s*", re.IGNORECASE)


def key(name: str) -> str:
    """How a name is compared: NFC, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def names_in(field: str) -> list[str]:
    """The names in a metadata field that may list several people."""
    return [p.strip() for p in _LIST.split(field or "") if p and p.strip()]


def code_for(kind: str, number: int) -> str:
    return f"{PREFIX[kind]}{number:02d}"


class PseudonymBook:
    """The name -> code table in the themes database at ``path`` (created when missing)."""

    def __init__(self, path: Path | str, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._timeout = timeout
        ThemeBook(self.path, timeout)  # the file and its schema version, as the themes expect them
        con = self._con()
        try:
            for stmt in _SCHEMA:
                con.execute(stmt)
            con.commit()
        finally:
            con.close()

    def _con(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self._timeout)
        except sqlite3.Error as exc:
            raise ThemeBookError(f"Cannot open the themes database {self.path} ({exc}).") from exc
        return con

    def codes(self, kind: str, names: Iterable[str]) -> dict[str, str]:
        """The code of every name (by ``key``), new names numbered in the given order."""
        if kind not in PREFIX:
            raise ValueError(f"kind must be one of {', '.join(PREFIX)}")
        wanted = list(dict.fromkeys((key(n), n.strip()) for n in names if n and n.strip()))
        con = self._con()
        try:
            with con:
                con.execute("BEGIN IMMEDIATE")  # two exports at once must not hand out one number twice
                known = {k: c for k, c in con.execute("SELECT key, code FROM pseudonyms WHERE kind = ?", (kind,))}
                row = con.execute("SELECT last FROM pseudonym_counters WHERE kind = ?", (kind,)).fetchone()
                last = int(row[0]) if row else 0
                for k, name in wanted:
                    if k in known:
                        continue
                    last += 1
                    known[k] = code_for(kind, last)
                    con.execute("INSERT INTO pseudonyms VALUES (?, ?, ?, ?)", (kind, k, name, known[k]))
                con.execute("INSERT INTO pseudonym_counters VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET last = excluded.last",
                            (kind, last))
        except sqlite3.OperationalError as exc:
            raise ThemeBookError(f"The themes database {self.path} cannot be written ({exc}); try again.") from exc
        finally:
            con.close()
        return {k: known[k] for k, _ in wanted}

    def known(self, kind: str) -> dict[str, str]:
        """Every name of ``kind`` with a code: name -> code."""
        con = self._con()
        try:
            return {n: c for n, c in con.execute("SELECT name, code FROM pseudonyms WHERE kind = ? ORDER BY code", (kind,))}
        finally:
            con.close()

    def forget(self, names: Iterable[str]) -> int:
        """Drop the codes of these names (any kind): an erased interview's people. Their
        numbers stay used. Returns how many went."""
        keys = [(key(n),) for n in names if n and n.strip()]
        if not keys:
            return 0
        con = self._con()
        try:
            with con:
                before = con.total_changes
                con.executemany("DELETE FROM pseudonyms WHERE key = ?", keys)
                return con.total_changes - before
        finally:
            con.close()
