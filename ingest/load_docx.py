"""DOCX → text: the document body in reading order, refusing zip bombs.

The body is walked in document order: paragraphs, tables (every cell, row by
row, nested tables inside their cell) and content controls. Headers, footers,
comments, footnotes and text boxes live in other parts or in drawings and are
not interview text, so they never appear. Headings are paragraph styles and
list bullets/numbers live in numbering.xml rather than the text, so ``#`` and
list markers are written back for the parser.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from .load_errors import LoadError, human_size

__all__ = ["check_zip_expansion", "docx_text"]

# A .docx is a zip: refuse one whose parts expand to more than this many times the
# byte limit, or one part that expands past _BOMB_MIN_BYTES at over _BOMB_RATIO : 1
# (real documents compress about 10 : 1; a zip bomb 1000 : 1), before unpacking it.
_ZIP_EXPANSION = 4
_BOMB_RATIO = 100
_BOMB_MIN_BYTES = 10 * 1024 * 1024


def check_zip_expansion(path: Path, data: bytes, max_bytes: int) -> None:
    """Refuse a zip bomb from its directory, before anything is unpacked (zipfile
    never unpacks more than an entry's declared size)."""
    import zipfile

    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # not a zip at all: docx_text says so in its own words
        return
    total = sum(e.file_size for e in entries)
    if total > _ZIP_EXPANSION * max_bytes:
        raise LoadError(
            path,
            f"the .docx expands to {human_size(total)} (over {human_size(_ZIP_EXPANSION * max_bytes)}, "
            f"{_ZIP_EXPANSION} times CASEBASE_MAX_FILE_BYTES); not unpacked",
        )
    for e in entries:
        if e.file_size > _BOMB_MIN_BYTES and e.file_size > _BOMB_RATIO * max(e.compress_size, 1):
            raise LoadError(
                path,
                f"the .docx part {e.filename} expands {e.file_size // max(e.compress_size, 1):,} times "
                f"(to {human_size(e.file_size)}): a zip bomb, not unpacked",
            )


def docx_text(path: Path, data: bytes) -> str:
    """The body's lines in document order; LoadError if it cannot be read.
    Call check_zip_expansion first: this unpacks the document."""
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, python-docx and lxml each raise their own types
        raise LoadError(path, f"corrupt or unreadable .docx ({type(exc).__name__}: {exc})") from exc

    counters: dict[str, int] = {}
    try:
        lines = list(_block_lines(document.element.body, document, counters))
    except Exception as exc:
        raise LoadError(path, f"corrupt or unreadable .docx ({type(exc).__name__}: {exc})") from exc
    return "\n".join(lines)


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


# Wrappers whose children are body content in their own right: a content
# control (w:sdt → w:sdtContent) and custom XML markup.
_W_WRAPPERS = (_w("sdt"), _w("sdtContent"), _w("customXml"))
# Runs under these are not the paragraph's visible text: deleted or moved-away
# text (tracked changes) and text boxes / drawings (their own story, shown
# twice in mc:AlternateContent).
_W_SKIP = frozenset(
    {
        _w("del"), _w("moveFrom"), _w("txbxContent"), _w("drawing"), _w("pict"), _w("object"),
        "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent",
    }
)


def _children(element, tag: str):  # type: ignore[no-untyped-def]
    """Children with ``tag``, looking through content controls and custom XML."""
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _W_WRAPPERS:
            yield from _children(child, tag)


def _block_lines(container, document, counters: dict[str, int]):  # type: ignore[no-untyped-def]
    """Lines of a body or table cell: its paragraphs and tables in order."""
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == _w("p"):
            yield _paragraph_line(Paragraph(child, document), counters)
        elif child.tag == _w("tbl"):
            yield from _table_lines(child, document, counters)
        elif child.tag in _W_WRAPPERS:
            yield from _block_lines(child, document, counters)


def _p_text(p) -> str:  # type: ignore[no-untyped-def]
    """The visible text of a w:p: its runs, including those inside hyperlinks,
    tracked insertions, fields and inline content controls, but not deleted
    text or text boxes."""
    parts: list[str] = []
    for run in p.iter(_w("r")):
        node = run.getparent()
        while node is not None and node is not p and node.tag not in _W_SKIP:
            node = node.getparent()
        if node is p:
            parts.append(run.text)
    return "".join(parts)


def _paragraph_line(paragraph, counters: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    text = _p_text(paragraph._p)
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if not text.strip():
        return ""
    m = re.match(r"(?i)heading (\d)", style)
    if m:
        return "#" * int(m.group(1)) + " " + text
    if style.lower() == "title":
        return "# " + text
    if "list" in style.lower() or num_pr is not None:
        # Word keeps the bullet/number in numbering.xml, not in the text; put
        # a marker back so the parser can still see list structure.
        if "number" in style.lower():
            key = str(num_pr.numId.val) if num_pr is not None and num_pr.numId is not None else style
            counters[key] = counters.get(key, 0) + 1
            return f"{counters[key]}. {text}"
        return "• " + text
    return text


def _table_lines(tbl, document, counters: dict[str, int]) -> list[str]:  # type: ignore[no-untyped-def]
    """One line per row, its cells joined by " | ", in document order.

    Each w:tc is read once: a cell merged across columns is one w:tc (gridSpan),
    and the continuation cells of a vertical merge (w:vMerge without "restart")
    are skipped, so merged text is never repeated. A nested table's rows are
    lines inside its cell.
    """
    lines: list[str] = []
    for tr in _children(tbl, _w("tr")):
        cells: list[str] = []
        for tc in _children(tr, _w("tc")):
            tc_pr = tc.find(_w("tcPr"))
            v_merge = tc_pr.find(_w("vMerge")) if tc_pr is not None else None
            if v_merge is not None and v_merge.get(_w("val"), "continue") != "restart":
                continue
            value = "\n".join(line for line in _block_lines(tc, document, counters) if line.strip())
            if value.strip():
                cells.append(value.strip())
        if cells:
            lines.append(" | ".join(cells))
    return lines
