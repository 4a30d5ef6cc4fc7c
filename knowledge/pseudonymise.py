"""Pseudonymised exports: every person the metadata names becomes ``P01``, ``P02``, … (and
with ``organisations`` every organisation ``O01``, …, every interview file ``I01``, …),
in the metadata, the citations, the quotes and the interview texts of every export.

The codes come from ``PseudonymBook`` (themes.sqlite), so they are the same in every
export. Names are replaced in text as whole words, in any case, the full name first; a
first name alone is replaced too when no other known person has it. Quotes stay verbatim
apart from the replaced names, and a coded quote's offsets are carried over into the
pseudonymised interview text, so a QDA selection still marks exactly its quote.

The key (code -> name) is only ever handed back to the caller, to be written apart.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from knowledge.pseudonyms import PseudonymBook, key, names_in
from knowledge.types import Coding, Source, Theme

KEY_COLUMNS = ["code", "kind", "name"]
Span = tuple[int, int, int, int]  # a replacement: [a, b) in the original, [na, nb) in the new text


@dataclass
class Pseudonymiser:
    codes: dict[str, dict[str, str]]  # kind -> {key(name) -> code}
    names: dict[str, str]  # code -> name, for the key
    pattern: re.Pattern[str] | None
    by_match: dict[str, str]  # key(what the pattern matched) -> code
    used: set[str] = field(default_factory=set)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, book: PseudonymBook, documents: Mapping[str, Mapping[str, Any]], codings: Iterable[Coding],
              organisations: bool = False) -> Pseudonymiser:
        """Codes for everyone and everything in this export, new ones numbered in the
        order first seen (interviews by doc_id, then the codings)."""
        codings = list(codings)
        people: list[str] = []
        orgs: list[str] = []
        docs = sorted(documents)
        for doc_id in docs:
            d = documents[doc_id]
            people += names_in(_meta(d, "interviewee")) + [n for s in d.get("speakers") or [] for n in names_in(s)]
            orgs.append(_meta(d, "organisation"))
        for c in codings:
            people += names_in(c.source.interviewee) + names_in(c.source.speaker)
            orgs.append(c.source.organisation)
        book.codes("person", people)
        book.codes("interview", docs + [c.source.doc_id for c in codings])
        kinds = ["person", "interview"]
        if organisations:
            book.codes("organisation", [o for o in orgs if o.strip()])
            kinds.append("organisation")
        # every known name, not only this export's: a quote may name someone from another interview
        known = {kind: book.known(kind) for kind in kinds}
        codes = {kind: {key(n): c for n, c in known[kind].items()} for kind in kinds}
        names = {c: n for kind in kinds for n, c in known[kind].items()}
        by_match = {**codes["person"], **codes.get("organisation", {})}
        firsts = Counter(key(n.split()[0]) for n in known["person"] if n.split())
        for name, code in known["person"].items():
            words = name.split()
            first = key(words[0]) if len(words) > 1 else ""
            # a first name alone only when it cannot be anyone else
            if len(first) > 1 and firsts[first] == 1 and first not in by_match:
                by_match[first] = code
        pattern = None
        if by_match:
            alts = sorted(by_match, key=len, reverse=True)  # "Grace Obi" before "Grace"
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, a.split())) for a in alts) + r")(?!\w)",
                                 re.IGNORECASE)
        return cls(codes, names, pattern, by_match)

    # -- text -------------------------------------------------------------------------------
    def text_mapped(self, text: str) -> tuple[str, list[Span]]:
        """``text`` with every known name replaced, and where each replacement went."""
        if not text or self.pattern is None:
            return text, []
        out: list[str] = []
        spans: list[Span] = []
        at = n = 0
        for m in self.pattern.finditer(text):
            code = self.by_match[key(m.group(0))]
            self.used.add(code)
            out.append(text[at:m.start()])
            n += m.start() - at
            spans.append((m.start(), m.end(), n, n + len(code)))
            out.append(code)
            n += len(code)
            at = m.end()
        out.append(text[at:])
        return "".join(out), spans

    def text(self, text: str) -> str:
        return self.text_mapped(str(text or ""))[0]

    def person_list(self, field_: str) -> str:
        """A field listing people ("Grace Obi, Tom Fenwick") as their codes ("P01, P02")."""
        parts = names_in(field_)
        if not parts:
            return self.text(field_)
        return ", ".join(self._code("person", p) or self.text(p) for p in parts)

    def organisation(self, value: str) -> str:
        return self._code("organisation", value) or self.text(value)

    def interview(self, doc_id: str) -> str:
        return self._code("interview", doc_id) or "I??"

    def _code(self, kind: str, name: str) -> str:
        code = self.codes.get(kind, {}).get(key(name or ""), "")
        if code:
            self.used.add(code)
        return code

    # -- the export's pieces --------------------------------------------------------------------
    def source(self, s: Source, quote: str | None = None, start: int | None = None, end: int | None = None) -> Source:
        doc = self.interview(s.doc_id)
        start = s.start if start is None else start
        return replace(s, doc_id=doc, chunk_id=f"{doc}:{start}", quote=self.text(s.quote) if quote is None else quote,
                       interviewee=self.person_list(s.interviewee), speaker=self.person_list(s.speaker),
                       role=self.text(s.role), organisation=self.organisation(s.organisation), case=self.text(s.case),
                       question=self.text(s.question), source_path="", start=start, end=s.end if end is None else end)

    def key_rows(self) -> list[dict[str, str]]:
        """code, kind, name for every code this export used: the key, to keep apart."""
        kinds = {"P": "person", "O": "organisation", "I": "interview"}
        return [{"code": c, "kind": kinds[c[0]], "name": self.names[c]}
                for c in sorted(self.used, key=lambda c: (c[0] != "P", c[0], len(c), c)) if c in self.names]


def apply(p: Pseudonymiser, themes: list[Theme], codings: list[Coding],
          documents: Mapping[str, Mapping[str, Any]]) -> tuple[list[Theme], list[Coding], dict[str, dict[str, Any]]]:
    """The export's themes, codings and documents, pseudonymised (see the module doc)."""
    from knowledge.refi import _anchor

    docs: dict[str, dict[str, Any]] = {}
    texts: dict[str, tuple[str, str, list[Span]]] = {}
    for doc_id, d in documents.items():
        raw = str(d.get("text") or "")
        new, spans = p.text_mapped(raw)
        texts[doc_id] = (raw, new, spans)
        docs[p.interview(doc_id)] = {"text": new, "interviewee": p.person_list(_meta(d, "interviewee")),
                                     "role": p.text(_meta(d, "role")), "organisation": p.organisation(_meta(d, "organisation")),
                                     "case": p.text(_meta(d, "case")), "source_path": "",
                                     "not_yet_searchable": bool(d.get("not_yet_searchable"))}
    out: list[Coding] = []
    for c in codings:
        s, source = c.source, None
        if s.doc_id in texts and c.anchor != "lost":
            raw, new, spans = texts[s.doc_id]
            span = _anchor(raw, s.quote, s.start, s.end)
            if span is not None:
                a, b = _moved(span[0], spans, False), _moved(span[1], spans, True)
                source = p.source(s, new[a:b], a, b)
        out.append(replace(c, theme=p.text(c.theme), found_by=p.text(c.found_by), source=source or p.source(s)))
    pthemes = [replace(t, name=p.text(t.name), questions=[p.text(q) for q in t.questions]) for t in themes]
    return pthemes, out, docs


def export_set(themes_path, themes: list[Theme], codings: list[Coding], documents: Mapping[str, Mapping[str, Any]],
               organisations: bool = False) -> tuple[list[Theme], list[Coding], dict[str, dict[str, Any]], Pseudonymiser]:
    """``apply`` with the codes of the themes database at ``themes_path``; the
    Pseudonymiser gives the key (``key_rows``/``key_csv``) once every export is written."""
    p = Pseudonymiser.build(PseudonymBook(themes_path), documents, codings, organisations)
    return (*apply(p, themes, codings, documents), p)


def key_csv(p: Pseudonymiser) -> bytes:
    from knowledge.exports import csv_bytes, rows_csv

    return csv_bytes(rows_csv(p.key_rows(), KEY_COLUMNS))


def rows(p: Pseudonymiser, rows_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's rows (the theme matrix) pseudonymised cell by cell."""
    special = {"interviewee": p.person_list, "organisation": p.organisation, "file": p.interview}
    return [{p.text(k): (special[k](str(v)) if k in special else p.text(v) if isinstance(v, str) else v)
             for k, v in r.items()} for r in rows_]


def _moved(pos: int, spans: list[Span], end: bool) -> int:
    """Where ``pos`` of the original text is in the new one. A position inside a replaced
    name moves to the edge of its code that keeps the whole code in the quote."""
    shift = 0
    for a, b, na, nb in spans:
        if pos <= a:
            break
        if pos >= b:
            shift = nb - b
            continue
        return nb if end else na
    return pos + shift


def _meta(doc: Mapping[str, Any], name: str) -> str:
    return str(doc.get(name) or (doc.get("metadata") or {}).get(name) or "")
