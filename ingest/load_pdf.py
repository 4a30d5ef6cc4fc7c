"""PDF → text: the text layer put back into paragraphs.

pypdf gives the text of a page line by line, as laid out: a paragraph comes
out as its wrapped lines, hyphenated words in two halves, and every page
repeats its running header, footer and page number. Each line's position
(from pypdf's visitor) lets the text be put back together: running headers
and footers are dropped, wrapped lines joined, hyphenation undone, and
paragraph breaks kept (a blank line, or a short line / indentation / bullet
before the next one).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from .load_errors import LoadError

__all__ = ["pdf_text"]


class _PdfLine:
    __slots__ = ("text", "x", "y")

    def __init__(self, text: str, x: float | None, y: float | None) -> None:
        self.text, self.x, self.y = text, x, y


def pdf_text(path: Path, data: bytes) -> str:
    """The text layer of every page, reflowed; "" for a scan without one.
    LoadError if the PDF is encrypted, corrupt or has no pages."""
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

