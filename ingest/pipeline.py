"""One file → one Interview: load, apply user metadata, parse.

Everything that can go wrong with a user's file surfaces as a LoadError with
a one-line message; callers (sync, UI) show it instead of a traceback.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .loaders import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, TEXT_EXTENSIONS, LoadError, load_file
from .meta import find_sidecar, load_sidecar, split_front_matter
from .model import Interview
from .parse import parse_interview


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes plus its sidecar's, so editing either re-ingests."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        digest.update(path.read_bytes())
        sidecar = find_sidecar(path)
        if sidecar is not None:
            digest.update(b"\0casebase-sidecar\0")
            digest.update(sidecar.read_bytes())
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from exc
    return digest.hexdigest()


def read_interview(
    path: Path,
    doc_id: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    digest: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Interview:
    """Load and parse one interview file; raise LoadError (never anything else).
    ``digest``: the content hash when the caller already computed it (the sync does)."""
    path = Path(path)
    try:
        text = load_file(path, max_bytes=max_bytes, max_chars=max_chars)
        meta: dict[str, str] = {}
        # Front matter only exists in plain-text formats; in docx/html a
        # leading "---" is just a rule.
        if path.suffix.lower() in TEXT_EXTENSIONS or not path.suffix:
            meta, text = split_front_matter(text, path)
            if not text.strip():
                raise LoadError(path, "file has front matter but no interview text")
        sidecar = find_sidecar(path)
        if sidecar is not None:
            meta.update(load_sidecar(sidecar))  # the sidecar is the later, explicit override
        return parse_interview(
            text,
            doc_id=doc_id,
            source_path=str(path.resolve()),
            content_hash=digest or content_hash(path),
            meta=meta,
        )
    except LoadError:
        raise
    except Exception as exc:  # a parser bug must not take down a whole sync
        raise LoadError(path, f"could not parse interview ({type(exc).__name__}: {exc})") from exc
