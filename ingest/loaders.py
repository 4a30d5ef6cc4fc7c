"""File → text for every format Casebase accepts.

The text returned here is the reference every quote is checked against, so
it is kept verbatim apart from newline/NBSP normalisation and the few
structural markers a format needs to survive extraction (``• `` for list
items, ``#`` for headings in docx/html), which the parser relies on.

This module is the entry point: it checks a file against the size and length
limits, picks its format by extension (or sniffs one without), decodes plain
text whatever its charset, and raises the one LoadError every caller shows.
Each other format has its own module: load_pdf, load_docx, load_html.
"""
from __future__ import annotations

from pathlib import Path

from ingest.load_errors import LoadError, human_size

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "HTML_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "LoadError",
    "human_size",
    "load_file",
    "normalise_text",
    "sniff_kind",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A long interview is about 150,000 characters; far longer "interviews" are logs,
# exports or the same text pasted many times over, and would cost minutes to embed.
DEFAULT_MAX_CHARS = 2_000_000

TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | {".docx", ".pdf"}

# Share of control characters above which decoded "text" is treated as binary.
_MAX_CONTROL_RATIO = 0.02
# Encodings charset-normalizer cannot tell apart on short Danish/English text
# (cp1250 decodes æøå as ćřĺ with the same "chaos" score); the case base is
# Western European, so on a tie cp1252 wins.
_PREFERRED_8BIT = ("cp1252", "latin_1", "iso8859_15")


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

    # Imported here, not at the top: they raise this module's LoadError, so
    # importing them first would be circular.
    from . import load_docx, load_html, load_pdf

    if ext == ".docx":
        load_docx.check_zip_expansion(path, data, max_bytes)
        text = load_docx.docx_text(path, data)
    elif ext == ".pdf":
        text = load_pdf.pdf_text(path, data)
    elif ext in HTML_EXTENSIONS:
        text = load_html.html_text(data)
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
    # the usual case in one pass of C: nothing but printable characters between the whitespace
    if "\ufffd" not in text and "".join(text.split()).isprintable():
        return text
    bad = sum(1 for c in text if (not c.isprintable() and not c.isspace()) or c == "\ufffd")
    if bad / len(text) > _MAX_CONTROL_RATIO:
        raise LoadError(path, "binary data, not a text file (too many non-printable characters)")
    return text
