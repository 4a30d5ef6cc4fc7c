"""File → text for every format Casebase accepts.

The text returned here is the reference every quote is checked against, so
it is kept verbatim apart from newline/NBSP normalisation and the few
structural markers a format needs to survive extraction (``• `` for list
items, ``#`` for headings in docx/html), which the parser relies on.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | {".docx", ".pdf"}

# Share of control characters above which decoded "text" is treated as binary.
_MAX_CONTROL_RATIO = 0.02
# Encodings charset-normalizer cannot tell apart on short Danish/English text
# (cp1250 decodes æøå as ćřĺ with the same "chaos" score); the case base is
# Western European, so on a tie cp1252 wins.
_PREFERRED_8BIT = ("cp1252", "latin_1", "iso8859_15")


class LoadError(Exception):
    """A file that cannot be turned into interview text; str() is one line."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = " ".join(str(reason).split())  # keep the message on one line
        super().__init__(f"cannot load '{self.path}': {self.reason}")


def human_size(n: int) -> str:
    """A byte count for a message: "812 bytes", "1.0 KiB", "50.0 MiB"."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def normalise_text(text: str) -> str:
    """Newlines to \\n, no-break spaces to plain spaces, nothing else."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


def sniff_kind(data: bytes) -> str:
    """Guess the format of a file without a (usable) extension."""
    if data.startswith(b"%PDF"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        return ".docx" if b"word/" in data[:200_000] else ".zip"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return ".html"
    return ".txt"


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Extract the text of an interview file, or raise LoadError saying why."""
    path = Path(path)
    if not path.exists():
        raise LoadError(path, "file not found")
    if not path.is_file():
        raise LoadError(path, "not a regular file")
    ext = path.suffix.lower()
    if ext and ext not in SUPPORTED_EXTENSIONS:
        raise LoadError(
            path,
            f"unsupported file type '{ext}' (supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))})",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise LoadError(path, f"file is too large ({human_size(size)}; the limit is {human_size(max_bytes)})")
    if size == 0:
        raise LoadError(path, "file is empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from exc

    if not ext:
        ext = sniff_kind(data)
        if ext == ".zip":
            raise LoadError(path, "zip archive that is not a .docx document")

    if ext == ".docx":
        text = _docx_text(path, data)
    elif ext == ".pdf":
        text = _pdf_text(path, data)
    elif ext in HTML_EXTENSIONS:
        text = _html_text(data)
    else:
        text = _decode_text(path, data)

    text = normalise_text(text)
    if not text.strip():
        if ext == ".pdf":
            raise LoadError(path, "scanned PDF without a text layer; run OCR first")
        if ext in TEXT_EXTENSIONS:
            raise LoadError(path, "file contains only whitespace")
        raise LoadError(path, "document contains no text")
    return text


# --- plain text --------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _decode_text(path: Path, data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(path, f"invalid {encoding} text after its byte-order mark") from exc
            return _check_printable(path, text)
    # NUL never occurs in 8-bit or UTF-8 text; BOM-less UTF-16 is rare enough
    # to call binary rather than risk indexing garbage.
    if b"\x00" in data:
        raise LoadError(path, "binary data (NUL bytes), not a text file")
    try:
        return _check_printable(path, data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    if not results:
        raise LoadError(path, "binary data or unknown text encoding")
    best = min(results, key=lambda r: r.chaos)
    encoding = best.encoding
    for r in results:
        if r.chaos <= best.chaos + 0.01 and any(e in _PREFERRED_8BIT for e in r.could_be_from_charset):
            encoding = "cp1252" if "cp1252" in r.could_be_from_charset else r.encoding
            break
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = str(best)
    return _check_printable(path, text)


def _check_printable(path: Path, text: str) -> str:
    if not text:
        return text
    bad = sum(1 for c in text if (not c.isprintable() and not c.isspace()) or c == "\ufffd")
    if bad / len(text) > _MAX_CONTROL_RATIO:
        raise LoadError(path, "binary data, not a text file (too many non-printable characters)")
    return text


# --- docx ------------------------------------------------------------------


def _docx_text(path: Path, data: bytes) -> str:
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, python-docx and lxml each raise their own types
        raise LoadError(path, f"corrupt or unreadable .docx ({type(exc).__name__}: {exc})") from exc

    lines: list[str] = []
    counters: dict[str, int] = {}
    try:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
            else:
                lines.append(_paragraph_line(block, counters))
    except Exception as exc:
        raise LoadError(path, f"corrupt or unreadable .docx ({type(exc).__name__}: {exc})") from exc
    return "\n".join(lines)


def _paragraph_line(paragraph, counters: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    text = paragraph.text
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


def _table_lines(table) -> list[str]:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    seen: set[int] = set()
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat the same element
                continue
            seen.add(id(cell._tc))
            value = "\n".join(p.text for p in cell.paragraphs).strip()
            if value:
                cells.append(value)
        if cells:
            lines.append(" | ".join(cells))
    return lines


# --- pdf ---------------------------------------------------------------------


def _pdf_text(path: Path, data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are noise for users
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise LoadError(path, "PDF has no pages")
    return "\n\n".join(p.strip("\n") for p in pages)


# --- html --------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form "
    "header hr main nav ol p pre section table tr ul td th caption tbody thead tfoot".split()
)
# nav/footer are site chrome, never interview content.
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "iframe", "svg", "nav", "footer")


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    parts: list[str] = []
    if title and not soup.find("h1"):
        parts.append("# " + title + "\n\n")

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                parts.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name == "br":
                parts.append("\n")
            elif name == "li":
                parts.append("\n• ")  # the list (a block) closes the last line
                walk(child)
            elif re.fullmatch(r"h[1-6]", name):
                parts.append("\n\n" + "#" * int(name[1]) + " ")
                walk(child)
                parts.append("\n\n")
            elif name in ("p", "blockquote", "table"):
                parts.append("\n\n")
                walk(child)
                parts.append("\n\n")
            elif name in _BLOCK_TAGS:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(soup)
    text = "".join(parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)  # HTML whitespace around breaks is not content
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"•[ \n]+", "• ", text)  # <li><p>..</p></li> keeps its text on the bullet line
    return text.strip("\n ") + "\n"
