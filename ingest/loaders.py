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
# A long interview is about 150,000 characters; far longer "interviews" are logs,
# exports or the same text pasted many times over, and would cost minutes to embed.
DEFAULT_MAX_CHARS = 2_000_000
# A .docx is a zip: refuse one whose parts expand to more than this many times the
# byte limit, or one part that expands past _BOMB_MIN_BYTES at over _BOMB_RATIO : 1
# (real documents compress about 10 : 1; a zip bomb 1000 : 1), before unpacking it.
_ZIP_EXPANSION = 4
_BOMB_RATIO = 100
_BOMB_MIN_BYTES = 10 * 1024 * 1024

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


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Extract the text of an interview file, or raise LoadError saying why.

    ``max_bytes`` bounds the file on disk (CASEBASE_MAX_FILE_BYTES), ``max_chars``
    its text (CASEBASE_MAX_FILE_CHARS)."""
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
        raise LoadError(
            path,
            f"file is too large ({human_size(size)}; the limit is {human_size(max_bytes)}, "
            "raise CASEBASE_MAX_FILE_BYTES to accept it)",
        )
    if size == 0:
        raise LoadError(path, "file is empty")
    if ext in TEXT_EXTENSIONS and size > 4 * max_chars + 4:
        # no encoding takes more than 4 bytes a character: refused without reading it
        raise LoadError(path, _too_long(f"{human_size(size)} of text", max_chars))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from exc

    if not ext:
        ext = sniff_kind(data)
        if ext == ".zip":
            raise LoadError(path, "zip archive that is not a .docx document")

    if ext == ".docx":
        _check_zip_expansion(path, data, max_bytes)
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
    if len(text) > max_chars:
        raise LoadError(path, _too_long(f"{len(text):,} characters", max_chars))
    return text


def _too_long(amount: str, max_chars: int) -> str:
    return (
        f"text is too long: {amount}, over the limit of {max_chars:,} characters "
        "(raise CASEBASE_MAX_FILE_CHARS to accept it; is it really one interview?)"
    )


def _check_zip_expansion(path: Path, data: bytes, max_bytes: int) -> None:
    """Refuse a zip bomb from its directory, before anything is unpacked (zipfile
    never unpacks more than an entry's declared size)."""
    import zipfile

    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # not a zip at all: _docx_text says so in its own words
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
#
# The body is walked in document order: paragraphs, tables (every cell, row by
# row, nested tables inside their cell) and content controls. Headers, footers,
# comments, footnotes and text boxes live in other parts or in drawings and are
# not interview text, so they never appear.


def _docx_text(path: Path, data: bytes) -> str:
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


# --- pdf ---------------------------------------------------------------------
#
# pypdf gives the text of a page line by line, as laid out: a paragraph comes
# out as its wrapped lines, hyphenated words in two halves, and every page
# repeats its running header, footer and page number. Each line's position
# (from pypdf's visitor) lets the text be put back together: running headers
# and footers are dropped, wrapped lines joined, hyphenation undone, and
# paragraph breaks kept (a blank line, or a short line / indentation / bullet
# before the next one).


class _PdfLine:
    __slots__ = ("text", "x", "y")

    def __init__(self, text: str, x: float | None, y: float | None) -> None:
        self.text, self.x, self.y = text, x, y


def _pdf_text(path: Path, data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are noise for users
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "PDF is password-protected")
        pages = [_pdf_page_lines(page) for page in reader.pages]
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise LoadError(path, "PDF has no pages")
    return _reflow(_drop_running_lines(pages))


def _pdf_page_lines(page) -> list[_PdfLine]:  # type: ignore[no-untyped-def]
    """The page's lines in pypdf's order, each with the position where it starts
    (None when pypdf did not report one). Blank lines are kept as ""."""
    pieces: list[tuple[str, float | None, float | None]] = []

    def visit(text, cm, tm, font_dict, font_size):  # type: ignore[no-untyped-def]
        if text:
            try:
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            except (TypeError, IndexError):
                x = y = None
            pieces.append((text, x, y))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(p[0] for p in pieces) != text:  # positions do not match the text: go without
        pieces = [(text, None, None)]
    lines: list[_PdfLine] = []
    parts: list[str] = []
    x0 = y0 = None
    for piece, x, y in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                lines.append(_PdfLine("".join(parts).strip(), x0, y0))
                parts, x0, y0 = [], None, None
                x = y = None  # a later line of the same piece: its position is unknown
            if part.strip() and not "".join(parts).strip():
                x0, y0 = x, y
            parts.append(part)
    lines.append(_PdfLine("".join(parts).strip(), x0, y0))
    while lines and not lines[-1].text:
        lines.pop()
    while lines and not lines[0].text:
        lines.pop(0)
    return lines


# "Side 3 af 7", "Page 3 of 7", "3/7", "- 3 -", "3"
_PAGE_NUMBER = re.compile(
    r"(?i)(?:side|page|s\.|p\.)?\s*[-–—]?\s*\d{1,3}\s*[-–—]?(?:\s*(?:af|of|/)\s*\d{1,4})?"
)
# lines at the top and bottom of a page that may be running headers/footers
_EDGE_LINES = 2


def _full_width(lines: list[_PdfLine]) -> int:
    """The length of a full line of running text, in characters (most lines of
    running text are full, so the 90th percentile)."""
    lengths = sorted(len(line.text) for line in lines if len(line.text.split()) > 1) or [0]
    return lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))]


def _edges(lines: list[_PdfLine]) -> tuple[list[int], set[int]]:
    """Indexes of the lines at the top and bottom of a page (first and last in
    reading order, highest and lowest on the page), and of the outermost ones."""
    idx = [i for i, line in enumerate(lines) if line.text]
    placed = sorted((i for i in idx if lines[i].y is not None), key=lambda i: lines[i].y)  # type: ignore[arg-type, return-value]
    edge = set(idx[:_EDGE_LINES] + idx[-_EDGE_LINES:] + placed[:_EDGE_LINES] + placed[-_EDGE_LINES:])
    outer = set(idx[:1] + idx[-1:] + placed[:1] + placed[-1:])
    return sorted(edge), outer


def _set_apart(lines: list[_PdfLine], i: int, width: int) -> bool:
    """Whether line i looks like page furniture rather than running text: short,
    or with more than a blank line's space between it and the rest."""
    line = lines[i]
    if len(line.text) <= 0.7 * width:
        return True
    leading = _leading(lines)
    if line.y is None or leading is None:
        return False
    others = [abs(line.y - o.y) for o in lines if o is not line and o.text and o.y is not None]
    return bool(others) and min(others) > 1.4 * leading


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_running_lines(pages: list[list[_PdfLine]]) -> list[list[_PdfLine]]:
    """Drop page numbers and the headers/footers repeated at the top or bottom
    of most pages (page numbers inside them do not count as a difference)."""
    width = _full_width([line for page in pages for line in page])
    candidates = []
    for lines in pages:
        edge, outer = _edges(lines)
        candidates.append(([i for i in edge if _set_apart(lines, i, width)], outer))
    seen: dict[str, list[float | None]] = {}
    for lines, (edge, _) in zip(pages, candidates):
        keys: dict[str, float | None] = {}
        for i in edge:
            keys.setdefault(_running_key(lines[i].text), lines[i].y)
        for key, y in keys.items():
            seen.setdefault(key, []).append(y)
    need = max(2, -(-len(pages) // 2))  # on at least half the pages, and on two
    running = set()
    for key, ys in seen.items():
        placed = [y for y in ys if y is not None]
        # a running header sits at the same height on every page
        if len(ys) >= need and (not placed or max(placed) - min(placed) <= 3):
            running.add(key)
    out: list[list[_PdfLine]] = []
    for lines, (edge, outer) in zip(pages, candidates):
        drop = {
            i for i in edge
            if _running_key(lines[i].text) in running or (i in outer and _PAGE_NUMBER.fullmatch(lines[i].text))
        }
        kept = [line for i, line in enumerate(lines) if i not in drop]
        while kept and not kept[0].text:
            kept.pop(0)
        while kept and not kept[-1].text:
            kept.pop()
        out.append(kept)
    return out


# A line that starts a new paragraph whatever the line before it: a bullet, a
# numbered item or question ("3. Hvad ...", "2) What ..."), a "Label:" line
# ("Interviewer:", "Anna Berg:", "Spørgsmål 2:").
_BULLET_START = re.compile(r"[•●▪◦‣∙·]\s")
_ITEM_START = re.compile(r"(?:\d{1,3}|[a-zA-Z])[.)]\s+[^a-zæøåäöü\s]")
_LABEL_START = re.compile(r"[^\W\d_][\w.'-]*(?: [\w.'-]+){0,2}:(?:\s|$)")
# A dash or star starts a list item too, unless it goes on with a sentence
# ("... foreningerne\n– og det var godt").
_DASH_START = re.compile(r"[-–—*]\s")
# "kultur- og fritidsområdet": a hyphen that stands for a shared word part
_SUSPENDED = frozenset("og eller samt and or nor to til".split())
_HYPHENS = "-\u2010\u00ad"
_ENDS_SENTENCE = re.compile(r"[.!?:…][\"'”’»«)\]]*$")


def _starts_block(text: str) -> bool:
    return bool(
        _BULLET_START.match(text)
        or _ITEM_START.match(text)
        or (text[:1].isupper() and _LABEL_START.match(text))
    )


def _reflow(pages: list[list[_PdfLine]]) -> str:
    placed = [(n, line) for n, page in enumerate(pages) for line in page if line.text]
    if not placed:
        return ""
    width = _full_width([line for _, line in placed])
    words = _hyphenated_words("\n".join(line.text for _, line in placed))
    leading = [_leading(page) for page in pages]
    after_blank = {id(line) for page in pages for line in _after_blank(page)}

    out: list[str] = []  # pieces; joined once at the end (a paragraph can be long)
    prev: _PdfLine | None = None
    prev_page = -1
    for page, line in placed:
        if prev is None:
            out.append(line.text)
        elif page == prev_page and (id(line) in after_blank or _is_gap(prev, line, leading[page])):
            out += ["\n\n", line.text]
        elif _continues(prev, line, width, page == prev_page):
            drop_hyphen, sep = _joint(prev.text, line.text, words)
            if drop_hyphen:
                out[-1] = out[-1][:-1]
            out += [sep, line.text]
        else:
            out += ["\n", line.text]
        prev, prev_page = line, page
    return "".join(out) + "\n"


def _after_blank(page: list[_PdfLine]) -> list[_PdfLine]:
    return [line for before, line in zip(page, page[1:]) if not before.text and line.text]


def _leading(page: list[_PdfLine]) -> float | None:
    """The usual distance between two lines of the page's running text."""
    placed = [line.y for line in page if line.text and line.y is not None]
    steps = sorted(round(a - b, 1) for a, b in zip(placed, placed[1:]) if a - b > 0.5)  # type: ignore[operator]
    return steps[len(steps) // 2] if steps else None


def _is_gap(prev: _PdfLine, line: _PdfLine, leading: float | None) -> bool:
    """A blank line's worth of space (or more) between two lines."""
    if leading is None or prev.y is None or line.y is None:
        return False
    return prev.y - line.y > 1.4 * leading


def _continues(prev: _PdfLine, line: _PdfLine, width: int, same_page: bool) -> bool:
    """Whether ``line`` goes on with the paragraph of ``prev`` (a wrapped line)."""
    text = line.text
    if _starts_block(text):
        return False
    ends_sentence = bool(_ENDS_SENTENCE.search(prev.text))
    if _DASH_START.match(text) and (ends_sentence or prev.text[:2] == text[:2]):
        return False  # a list item after a full stop or after another item
    if (
        same_page
        and prev.x is not None
        and line.x is not None
        and line.x > prev.x + 6
        and not (_starts_block(prev.text) or _DASH_START.match(prev.text))
    ):
        return False  # an indented first line (a bullet's wrapped lines hang indented)
    first = text.split()[0]
    room = len(prev.text) + 1 + len(first)  # the previous line with the next word on it
    if ends_sentence and not first[0].islower():
        # a break after a full stop is a paragraph end unless the line was
        # full to the character; were it wrapped after all, the cut still
        # falls between two sentences
        return room > width
    # mid-sentence: wrapped unless it is clearly short (glyph widths vary, so
    # a full line can hold a few characters less than the widest)
    return room > 0.85 * width


def _hyphenated_words(text: str) -> set[str]:
    """Words written with a hyphen inside a line ("e-bøger", "decision-making")."""
    return {m.group().lower() for m in re.finditer(r"[^\W\d_]+-[^\W\d_]+", text)}


def _joint(before: str, after: str, hyphenated: set[str]) -> tuple[bool, str]:
    """How a wrapped line joins the next: (drop the hyphen it ends with?, separator).
    End-of-line hyphenation is undone; real hyphens stay."""
    if not (len(before) > 1 and before[-1] in _HYPHENS and not before[-2].isspace()):
        return False, " "
    if before[-1] == "\u00ad":
        return True, ""  # a soft hyphen is only ever a line-break hyphen
    head = after.split()[0]
    if not head[0].islower():
        return False, ""  # "Lund-\nMadsen", "covid-\n19": a real hyphen
    if head.rstrip(".,;:!?") in _SUSPENDED:
        return False, " "  # "kultur- og fritidsområdet"
    i = len(before) - 1
    while i > 0 and before[i - 1].isalnum():
        i -= 1
    stem = before[i:-1]
    word = re.match(r"[^\W\d_]*", head).group()  # type: ignore[union-attr]
    if (
        len(stem) < 2  # "e-bøger", "x-akse"
        or not stem.isalpha()  # "2-diabetes"
        or stem[1:] != stem[1:].lower()  # "IT-system", "PhD-studerende"
        or f"{stem}-{word}".lower() in hyphenated  # the document writes it with a hyphen elsewhere
    ):
        return False, ""
    return True, ""  # "samar-\nbejde" → "samarbejde"


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
