"""Interview text → safe Markdown, and a quote's surrounding passage.

Everything a page shows from an interview goes through here. Streamlit's
Markdown never runs raw HTML (we never pass ``unsafe_allow_html``), but it
does interpret links, images, LaTeX (``$``), colour directives (``:red[…]``)
and emphasis, any of which an interview file could contain by accident or on
purpose. So interview text is backslash-escaped character by character, and
only the structure *we* add (citation badges, highlight, our own bold and
list markers) is Markdown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

# Every ASCII punctuation mark CommonMark allows to be escaped, minus nothing:
# cheaper to over-escape than to audit which ones a Markdown plugin cares about.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'^%@/?;,])")
_CITE = re.compile(r"\\\[(\d{1,3}(?:\\,\s*\d{1,3})*)\\\]")  # an escaped "[1]" or "[1, 2]"
_BOLD = re.compile(r"\\\*\\\*(.+?)\\\*\\\*")  # an escaped "**text**"
_LIST = re.compile(r"^\s*(?:[-*•‣◦]|\d{1,2}[.)])\s+")

CONTEXT_CHARS = 420  # how much text around a quote a source card shows, each side at most


def escape_md(text: str) -> str:
    """``text`` as Markdown that renders exactly as ``text`` (one paragraph per blank line,
    line breaks kept)."""
    out = []
    for line in str(text).split("\n"):
        # leading spaces would make an indented code block; tabs likewise
        stripped = line.lstrip(" \t\u00a0")
        out.append(_MD_SPECIAL.sub(r"\\\1", stripped))
    return "  \n".join(out).replace("  \n  \n", "\n\n")


def answer_markdown(text: str) -> str:
    """An answer's text (interview quotes with ``[n]`` markers) as safe Markdown, with
    the citations as badges and the answer's own list items and bold kept."""
    lines = []
    for line in str(text).split("\n"):
        m = _LIST.match(line)
        marker = "- " if m and not m.group(0).strip()[0].isdigit() else (m.group(0).strip() + " " if m else "")
        body = line[m.end():] if m else line
        lines.append(marker + escape_md(body))
    md = "\n".join(lines)
    # keep blank lines as paragraph breaks and single newlines as line breaks
    md = re.sub(r"(?<!\n)\n(?!\n|- |\d{1,2}[.)] )", "  \n", md)
    md = _BOLD.sub(r"**\1**", md)
    return _CITE.sub(lambda m: cite_badge(m.group(1).replace("\\,", ",")), md)


def cite_badge(numbers: str) -> str:
    return f":primary-badge[{numbers.replace(' ', '')}]"


def highlight_markdown(before: str, quote: str, after: str, marks: Sequence[tuple[int, int]] = ()) -> str:
    """The passage with the quote highlighted; each line of the quote gets its own
    highlight because a directive's label cannot span line breaks. ``marks``: spans
    of the quote (the words a search matched) set in bold inside the highlight."""
    quote = _bold_marks(quote, marks)
    parts = []
    for i, line in enumerate(quote.split("\n")):
        if i:
            parts.append("\n")
        core = line.strip()
        if core:
            # emphasis must hug its text: keep the line's own spaces outside the markers
            lead_ws = line[: len(line) - len(line.lstrip())]
            trail_ws = line[len(line.rstrip()):]
            parts.append(f"{lead_ws}\x00{core}\x01{trail_ws}")
        else:
            parts.append(line)
    marked = escape_md(before + "".join(parts) + after)
    marked = marked.replace("\x00", ":orange-background[").replace("\x01", "]")
    return marked.replace("\x02", "**").replace("\x03", "**")


def _line_pieces(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """[a, b) split at line breaks, each piece without its outer whitespace (bold must hug
    its text, and no emphasis or directive spans a line break)."""
    out = []
    for m in re.finditer(r"[^\n]+", text[a:b]):
        lo, hi = a + m.start(), a + m.end()
        piece = text[lo:hi]
        lo += len(piece) - len(piece.lstrip())
        hi -= len(piece) - len(piece.rstrip())
        if lo < hi:
            out.append((lo, hi))
    return out


def _bold_marks(quote: str, marks: Sequence[tuple[int, int]]) -> str:
    """``quote`` with \\x02 … \\x03 around each valid, non-overlapping mark (bold markers
    once escaped); unchanged if it already holds those control characters."""
    if not marks or "\x02" in quote or "\x03" in quote:
        return quote
    pieces: list[tuple[int, int]] = []
    last = 0
    for a, b in sorted((int(a), int(b)) for a, b in marks):
        if a < last or not 0 <= a < b <= len(quote):
            continue  # overlapping or out of range: skip rather than garble the quote
        pieces += _line_pieces(quote, a, b)
        last = b
    out, pos = [], 0
    for a, b in pieces:
        out += [quote[pos:a], "\x02", quote[a:b], "\x03"]
        pos = b
    return "".join(out) + quote[pos:]


MATCH_OPEN, MATCH_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: marks a match in plain text (the quote finder's table)


def match_snippet(quote: str, marks: Sequence[tuple[int, int]], width: int = 160) -> str:
    """Plain text for a table cell: the part of ``quote`` around its first mark (about
    ``width`` characters, cut at spaces, "…" where cut) with every mark in it set
    ⟦like this⟧. The quote alone (shortened) when there is no valid mark."""
    valid = sorted((int(a), int(b)) for a, b in marks if 0 <= int(a) < int(b) <= len(quote))
    if not valid:
        return _squash(quote[:width] + ("…" if len(quote) > width else ""))
    first_a, first_b = valid[0]
    lo = max(0, first_a - width // 3)
    hi = min(len(quote), max(first_b, lo + width))
    if lo > 0:
        sp = quote.find(" ", lo, first_a)
        lo = sp + 1 if sp >= 0 else lo
    if hi < len(quote):
        sp = quote.rfind(" ", first_b, hi)
        hi = sp if sp >= 0 else hi
    out, pos, last = [], lo, -1
    for a, b in valid:
        if a < pos or b > hi or a < last:
            continue
        out += [quote[pos:a], MATCH_OPEN, quote[a:b], MATCH_CLOSE]
        pos = last = b
    out.append(quote[pos:hi])
    return ("…" if lo > 0 else "") + _squash("".join(out)) + ("…" if hi < len(quote) else "")


def _squash(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Passage:
    before: str
    quote: str
    after: str
    found: bool  # the span was located in the interview text (else: quote shown alone)


def passage_for(body: dict[str, Any] | None, start: int, end: int, quote: str) -> Passage:
    """The quote inside its surrounding answer: the other bullets/paragraphs that answer
    the same question (or the case description), trimmed to about CONTEXT_CHARS each side."""
    text = str((body or {}).get("text") or "")
    if not text:
        return Passage("", quote, "", False)
    if not (0 <= start < end <= len(text) and _same(text[start:end], quote)):
        at = text.find(quote.strip()) if quote.strip() else -1
        if at < 0:
            return Passage("", quote, "", False)
        start, end = at, at + len(quote.strip())
    block_lo, block_hi = _block(body or {}, start, end)
    # include a bullet's marker ("  • ") when the block starts right after one
    line_start = text.rfind("\n", 0, block_lo) + 1
    if text[line_start:block_lo].strip(" \t•‣◦-*") == "":
        block_lo = line_start
    lo = max(block_lo, _snap_left(text, start - CONTEXT_CHARS, block_lo))
    hi = min(block_hi, _snap_right(text, end + CONTEXT_CHARS, block_hi))
    before, after = text[lo:start], text[end:hi]
    if lo > block_lo and before:
        before = "…" + before.lstrip()
    if hi < block_hi and after.strip():
        after = after.rstrip() + " …"
    return Passage(before, text[start:end], after.rstrip(), True)


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _spans(items: Any) -> list[tuple[int, int]]:
    out = []
    for s in items or []:
        if isinstance(s, dict) and "start" in s and "end" in s:
            out.append((int(s["start"]), int(s["end"])))
    return out


def _block(body: dict[str, Any], start: int, end: int) -> tuple[int, int]:
    """The span of the answer (all its bullets) or case description holding [start, end)."""
    groups = [_spans(qa.get("answers")) for qa in body.get("qa") or [] if isinstance(qa, dict)]
    groups.append(_spans(body.get("case_description")))
    groups.append(_spans([body.get("intro")]))
    for spans in groups:
        if spans and any(s <= start and end <= e for s, e in spans):
            return spans[0][0], spans[-1][1]
    for s, e in _spans(body.get("paragraphs")):
        if s <= start and end <= e:
            return s, e
    return 0, len(str(body.get("text") or ""))


def _snap_left(text: str, pos: int, floor: int) -> int:
    """Move a cut point forward to the start of a line or sentence, so context never
    begins mid-word."""
    if pos <= floor:
        return floor
    for mark in ("\n", ". ", "? ", "! "):
        i = text.find(mark, pos)
        if 0 <= i < pos + 200:
            return i + len(mark)
    i = text.find(" ", pos)
    return i + 1 if i >= 0 else pos


def _snap_right(text: str, pos: int, ceiling: int) -> int:
    if pos >= ceiling:
        return ceiling
    best = -1
    for mark in ("\n", ". ", "? ", "! "):
        i = text.rfind(mark, 0, pos)
        if i > pos - 200:
            best = max(best, i + (1 if mark != "\n" else 0))
    if best > 0:
        return best
    i = text.rfind(" ", 0, pos)
    return i if i > 0 else pos
