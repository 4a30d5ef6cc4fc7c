"""Themes and coded quotes as REFI-QDA (QDA-XML 1.0): a project (.qdpx) that NVivo,
ATLAS.ti, MAXQDA or QualCoder import with the interviews, cases and coded segments,
and a codebook (.qdc) with the themes alone.

Every GUID is a uuid5 of a stable key, and nothing volatile is written unless asked
for (``created``), so re-exporting the same data gives the same bytes and a QDA tool
can match a re-export to what it imported before.
"""
from __future__ import annotations

import bisect
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from lxml import etree

from knowledge.types import Coding, Theme

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# fixed for good: changing it changes every GUID, and tools would see all-new codes
GUID_NAMESPACE = uuid.UUID("8f0c6a2e-5d3b-4c1e-9a7f-2b6d4e8c1a53")
ORIGIN = "Casebase"
# an interview an ingest had not embedded yet: the matrix proposed nothing from it
PENDING = "not yet searchable by meaning when exported (ingest in progress): no quotes were proposed from it yet"
VARIABLES = [("interviewee", "Interviewee"), ("role", "Role"), ("organisation", "Organisation"), ("case", "Case")]
# the zip's own timestamps: fixed, so the whole .qdpx is byte-identical on re-export
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PALETTE = ["#E6194B", "#3CB44B", "#FFB000", "#4363D8", "#F58231", "#911EB4", "#2AA198", "#F032E6",
            "#9A6324", "#808000", "#469990", "#000075", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]
# XML 1.0 cannot carry these at all, not even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def guid(key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, key))


def code_guid(theme: str) -> str:
    return guid("code:" + theme)


def source_guid(doc_id: str) -> str:
    return guid("source:" + doc_id)


def selection_guid(theme: str, doc_id: str, start: int, end: int) -> str:
    return guid("\x1f".join(("sel:" + theme, doc_id, str(start), str(end))))


USER_GUID = guid("user:casebase")


@dataclass
class _Selection:
    coding: Coding
    start: int  # into the exported text
    end: int


@dataclass
class _Source:
    doc_id: str
    doc: Mapping[str, Any]
    text: str  # as exported: LF, NFC, no BOM
    selections: list[_Selection]


def codebook_xml(themes: Iterable[Theme]) -> bytes:
    """The themes as a REFI-QDA codebook (.qdc)."""
    themes = _unique_themes(themes)
    if not themes:
        raise ValueError("a codebook needs at least one theme")  # the schema requires a Code
    root = etree.Element(_q(CODEBOOK_NS, "CodeBook"), nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    codes = etree.SubElement(root, _q(CODEBOOK_NS, "Codes"))
    for theme in themes:
        _code(codes, CODEBOOK_NS, theme)
    return _serialise(root)


def write_qdc(path: str | Path, themes: Iterable[Theme]) -> Path:
    return _write_atomic(Path(path), codebook_xml(themes))


def project_xml(themes: Iterable[Theme], codings: Iterable[Coding], documents: Mapping[str, Mapping[str, Any]],
                project_name: str = "Casebase", proposed: bool = False, created: datetime | None = None) -> bytes:
    """project.qde for the .qdpx: see ``write_qdpx``."""
    return _project(themes, codings, documents, project_name, proposed, created)[0]


def write_qdpx(path: str | Path, themes: Iterable[Theme], codings: Iterable[Coding],
               documents: Mapping[str, Mapping[str, Any]], project_name: str = "Casebase",
               proposed: bool = False, created: datetime | None = None) -> Path:
    """A REFI-QDA project: every given interview as a text source with its case and
    variables, the themes as codes, each accepted coding (and with ``proposed`` each
    proposed one, so noted) as a coded selection.

    All given documents go in, coded or not: a case is the whole interview, and the
    researcher continues coding in the QDA tool (the caller chooses which to pass).
    Codings that cannot be placed (text lost, interview not given) are listed in a
    project note rather than dropped. ``created`` adds creation times; without it the
    file is byte-identical for the same data."""
    xml, files = _project(themes, codings, documents, project_name, proposed, created)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _zip_add(zf, "project.qde", xml)
        # some importers expect the folder even with no sources in it
        folder = zipfile.ZipInfo("sources/", _ZIP_TIME)
        folder.external_attr = (0o40755 << 16) | 0x10  # a directory, for unix and DOS readers
        zf.writestr(folder, b"")
        for name, data in files.items():
            _zip_add(zf, "sources/" + name, data)
    return _write_atomic(Path(path), buf.getvalue())


def export_text(text: str, offsets: Iterable[int]) -> tuple[str, dict[int, int]]:
    """The text as written into the .qdpx, and where each of ``offsets`` lands in it.

    Line endings become LF and a leading BOM goes (tools count CRLF as one or two
    characters, and a BOM shifts every offset). The text is NFC-normalised piece by
    piece between the offsets, so every offset stays on the boundary it was on, and a
    quote written in decomposed form (macOS) is counted in the same code points a tool
    that normalises will count."""
    offsets = list(offsets)
    # every leading U+FEFF: a reader would take the first one left as a BOM
    boms = len(text) - len(text.lstrip("\ufeff"))
    dropped = list(range(boms)) + [m.start() for m in re.finditer("\r(?=\n)", text)]
    lf = re.sub("\r\n?", "\n", text[boms:])

    def squeezed(pos: int) -> int:
        return min(max(pos - bisect.bisect_left(dropped, pos), 0), len(lf))

    cuts = sorted({0, len(lf), *(squeezed(p) for p in offsets)})
    pieces, at, n = [], {}, 0
    for a, b in zip(cuts, cuts[1:]):
        at[a] = n
        pieces.append(unicodedata.normalize("NFC", lf[a:b]))
        n += len(pieces[-1])
    at[len(lf)] = n
    return "".join(pieces), {p: at[squeezed(p)] for p in offsets}


# -- building the project ---------------------------------------------------------------
def _project(themes: Iterable[Theme], codings: Iterable[Coding], documents: Mapping[str, Mapping[str, Any]],
             project_name: str, proposed: bool, created: datetime | None) -> tuple[bytes, dict[str, bytes]]:
    themes = _unique_themes(themes)
    wanted = [c for c in codings if c.status == "accepted" or (proposed and c.status == "proposed")]
    # a coding's theme missing from the list still becomes a code: no coding vanishes
    known = {t.name for t in themes}
    for c in wanted:
        if c.theme not in known:
            known.add(c.theme)
            themes.append(Theme(name=c.theme))
    sources, unplaced = _place(wanted, documents)
    stamp = _stamp(created)
    when = {"creationDateTime": stamp} if stamp else {}

    ns = PROJECT_NS
    root = etree.Element(_q(ns, "Project"), nsmap={None: ns}, name=_x(project_name), origin=ORIGIN,
                         creatingUserGUID=USER_GUID, **when)
    users = etree.SubElement(root, _q(ns, "Users"))
    etree.SubElement(users, _q(ns, "User"), guid=USER_GUID, name=ORIGIN)
    if themes:
        codes = etree.SubElement(etree.SubElement(root, _q(ns, "CodeBook")), _q(ns, "Codes"))
        for theme in themes:
            _code(codes, ns, theme)
    if sources:
        variables = etree.SubElement(root, _q(ns, "Variables"))
        for key, label in VARIABLES:
            etree.SubElement(variables, _q(ns, "Variable"), guid=guid("variable:" + key), name=label,
                             typeOfVariable="Text")
        _cases(etree.SubElement(root, _q(ns, "Cases")), sources)
        src_el = etree.SubElement(root, _q(ns, "Sources"))
        for src in sources:
            _text_source(src_el, src, when, proposed)
    note_guid = guid("note:unplaced")
    if unplaced:
        notes = etree.SubElement(root, _q(ns, "Notes"))
        note = etree.SubElement(notes, _q(ns, "Note"), guid=note_guid, name="Codings not exported as selections",
                                creatingUser=USER_GUID, **when)
        _sub(note, ns, "PlainTextContent", _unplaced_text(unplaced))
    n_sel = sum(len(s.selections) for s in sources)
    pending = sum(bool(s.doc.get("not_yet_searchable")) for s in sources) if proposed else 0
    _sub(root, ns, "Description", f"Exported from Casebase. Themes: {len(themes)}; interviews: {len(sources)}; "
                                  f"coded quotes: {n_sel}" + ("; proposed codings included" if proposed else "")
                                  + (f"; {pending} interview(s) {PENDING}" if pending else "") + ".")
    if unplaced:
        etree.SubElement(root, _q(ns, "NoteRef"), targetGUID=note_guid)
    files = {f"{source_guid(s.doc_id)}.txt": s.text.encode("utf-8", "replace") for s in sources}
    return _serialise(root), files


def _place(codings: list[Coding], documents: Mapping[str, Mapping[str, Any]]) -> tuple[list[_Source], list[tuple[Coding, str]]]:
    """Each coding's place in its interview's exported text, or why it has none."""
    by_doc: dict[str, list[tuple[Coding, int, int]]] = {}
    unplaced: list[tuple[Coding, str]] = []
    for c in codings:
        doc = documents.get(c.source.doc_id)
        if c.anchor == "lost":
            unplaced.append((c, "its text is no longer in the interview"))
        elif doc is None:
            unplaced.append((c, "the interview is not in this export"))
        else:
            span = _anchor(str(doc.get("text") or ""), c.source.quote, c.source.start, c.source.end)
            if span is None:
                unplaced.append((c, "its text was not found in the interview"))
            else:
                by_doc.setdefault(c.source.doc_id, []).append((c, *span))
    # sorted, as the selections are: the same data in another order gives the same file
    unplaced.sort(key=lambda u: (u[0].theme, u[0].source.doc_id, u[0].source.start, u[0].source.quote))
    sources = []
    for doc_id in sorted(documents):
        raw = str(documents[doc_id].get("text") or "")
        placed = by_doc.get(doc_id, [])
        text, at = export_text(raw, [p for _, s, e in placed for p in (s, e)])
        sels: dict[tuple[str, int, int], _Selection] = {}
        # accepted first: if a quote is both accepted and proposed, the accepted one is exported
        for c, s, e in sorted(placed, key=lambda x: x[0].status != "accepted"):
            sels.setdefault((c.theme, at[s], at[e]), _Selection(c, at[s], at[e]))
        ordered = sorted(sels.values(), key=lambda x: (x.start, x.end, x.coding.theme))
        sources.append(_Source(doc_id, documents[doc_id], text, ordered))
    return sources, unplaced


def _anchor(text: str, quote: str, start: int, end: int) -> tuple[int, int] | None:
    """The quote's span in ``text``: its offsets when they hold it, else its occurrence
    nearest them, else None (a selection must never mark other words)."""
    if 0 <= start <= end <= len(text) and text[start:end] == quote:
        return start, end
    # a quote kept with LF from a text with CRLF (or the other way round)
    lf = quote.replace("\r\n", "\n")
    for variant in dict.fromkeys((quote, lf, lf.replace("\n", "\r\n"))):
        hits = [m.start() for m in re.finditer(re.escape(variant), text)] if variant else []
        if hits:
            best = min(hits, key=lambda h: abs(h - start))
            return best, best + len(variant)
    return None


def _cases(parent: etree._Element, sources: list[_Source]) -> None:
    ns = PROJECT_NS
    names = [_meta(s.doc, "interviewee") or s.doc_id for s in sources]
    for src, name in zip(sources, names):
        # tools key cases by name: two interviews with one person stay two cases
        if names.count(name) > 1:
            name = f"{name} ({src.doc_id})"
        case = etree.SubElement(parent, _q(ns, "Case"), guid=guid("case:" + src.doc_id), name=_x(name))
        for key, _label in VARIABLES:
            value = etree.SubElement(case, _q(ns, "VariableValue"))
            etree.SubElement(value, _q(ns, "VariableRef"), targetGUID=guid("variable:" + key))
            _sub(value, ns, "TextValue", _meta(src.doc, key))
        etree.SubElement(case, _q(ns, "SourceRef"), targetGUID=source_guid(src.doc_id))


def _text_source(parent: etree._Element, src: _Source, when: dict[str, str], proposed: bool = False) -> None:
    ns = PROJECT_NS
    sg = source_guid(src.doc_id)
    el = etree.SubElement(parent, _q(ns, "TextSource"), guid=sg, name=_x(src.doc_id),
                          plainTextPath=f"internal://{sg}.txt", creatingUser=USER_GUID, **when)
    if proposed and src.doc.get("not_yet_searchable"):  # uncoded here is not "no match found"
        _sub(el, ns, "Description", f"This interview was {PENDING}.")
    for sel in src.selections:
        c = sel.coding
        sel_guid = selection_guid(c.theme, src.doc_id, sel.start, sel.end)
        sel_el = etree.SubElement(el, _q(ns, "PlainTextSelection"), guid=sel_guid, startPosition=str(sel.start),
                                  endPosition=str(sel.end), creatingUser=USER_GUID, **when)
        note = _selection_note(c)
        if note:
            _sub(sel_el, ns, "Description", note)
        coding = etree.SubElement(sel_el, _q(ns, "Coding"), guid=guid("coding:" + sel_guid),
                                  creatingUser=USER_GUID, **when)
        etree.SubElement(coding, _q(ns, "CodeRef"), targetGUID=code_guid(c.theme))


def _selection_note(c: Coding) -> str:
    s = c.source
    lines = ["Proposed, not reviewed." if c.status == "proposed" else ""]
    lines.append(f"Found by: {c.found_by}" if c.found_by else "")
    lines.append(f"Answers the interview question: {s.question}" if s.question else "")
    if s.said_by and s.said_by != s.interviewee:
        lines.append(f"Said by: {s.said_by}")
    if c.anchor == "moved":
        lines.append("Found again by its text after the interview file changed.")
    return "\n".join(line for line in lines if line)


def _unplaced_text(unplaced: list[tuple[Coding, str]]) -> str:
    out = ["These codings have no selection in this project; their quotes as last known:", ""]
    for c, why in unplaced:
        s = c.source
        out.append(f"- Theme \u201c{c.theme}\u201d ({c.status}), {s.doc_id}"
                   + (f", {s.interviewee}" if s.interviewee else "") + f": {why}.")
        out.append(f"  \u201c{s.quote}\u201d")
        if s.question:
            out.append(f"  Interview question: {s.question}")
        if c.found_by:
            out.append(f"  Found by: {c.found_by}")
    return "\n".join(out)


# -- small helpers ----------------------------------------------------------------------
def _unique_themes(themes: Iterable[Theme]) -> list[Theme]:
    out: dict[str, Theme] = {}
    for t in themes:
        out.setdefault(t.name, t)  # one name, one GUID: a duplicate would clash
    return list(out.values())


def _meta(doc: Mapping[str, Any], key: str) -> str:
    # Store.document_body has the fields at the top and again under "metadata"
    return str(doc.get(key) or (doc.get("metadata") or {}).get(key) or "")


def _code(parent: etree._Element, ns: str, theme: Theme) -> None:
    code = etree.SubElement(parent, _q(ns, "Code"), guid=code_guid(theme.name), name=_x(theme.name),
                            isCodable="true", color=_color(theme))
    if theme.questions:
        _sub(code, ns, "Description", "Questions that find this theme:\n"
             + "\n".join(f"- {q}" for q in theme.questions))


def _color(theme: Theme) -> str:
    c = (theme.color or "").strip()
    if re.fullmatch("#[0-9A-Fa-f]{6}", c):
        return c.upper()
    if re.fullmatch("#[0-9A-Fa-f]{3}", c):
        return "#" + "".join(ch * 2 for ch in c[1:]).upper()
    # from the name, not the position: adding a theme leaves the others' colours alone
    return _PALETTE[uuid.UUID(code_guid(theme.name)).int % len(_PALETTE)]


def _stamp(created: datetime | None) -> str:
    # a naive time is taken as local time
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if created else ""


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _x(text: str) -> str:
    return _NOT_XML.sub("", str(text))


def _sub(parent: etree._Element, ns: str, tag: str, text: str) -> etree._Element:
    el = etree.SubElement(parent, _q(ns, tag))
    el.text = _x(text)
    return el


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _zip_add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, _ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
