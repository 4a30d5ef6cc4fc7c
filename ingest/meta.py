"""User metadata overrides: YAML front matter and ``<stem>.meta.yaml`` sidecars.

Parsed metadata is a guess; what a user writes here is the truth, so the
parser lets these values win. Known keys map onto Interview fields, anything
else lands in ``Interview.extra`` as strings (Chroma metadata must be flat).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .load_errors import LoadError

SIDECAR_SUFFIXES: tuple[str, ...] = (".meta.yaml", ".meta.yml")
KNOWN_KEYS = ("interviewee", "role", "organisation", "case", "language")
# Spellings people actually use for the known keys.
_ALIASES = {
    "organization": "organisation",
    "org": "organisation",
    "organisation_name": "organisation",
    "name": "interviewee",
    "navn": "interviewee",
    "rolle": "role",
    "project": "case",
    "projekt": "case",
    "lang": "language",
    "sprog": "language",
}

_FENCE = re.compile(r"^---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^\s*[\w\-æøåÆØÅ ]+\s*:", re.MULTILINE)


def is_sidecar(path: Path | str) -> bool:
    """True for metadata sidecars, which the sync must not ingest as interviews."""
    return Path(path).name.lower().endswith(SIDECAR_SUFFIXES)


def find_sidecar(path: Path) -> Path | None:
    """The sidecar next to an interview file, if one exists."""
    path = Path(path)
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(path.stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def split_front_matter(text: str, path: Path | str = "<text>") -> tuple[dict[str, str], str]:
    """Split a leading ``---`` YAML block off text: (metadata, remaining text).

    A leading ``---`` that is not key/value YAML is a markdown rule, not front
    matter, so the text is returned untouched; a block that looks like
    key/value pairs but does not parse is a user error and raises LoadError.
    """
    if not _FENCE.match(text):
        return {}, text
    body_start = _FENCE.match(text).end()  # type: ignore[union-attr]
    close = _CLOSE.search(text, body_start)
    if close is None:
        return {}, text
    block = text[body_start:close.start()]
    rest = text[close.end():]
    if rest.startswith("\n"):
        rest = rest[1:]
    try:
        data = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        if not _KEY_LINE.match(block):
            return {}, text
        raise LoadError(path, f"invalid YAML front matter: {_yaml_problem(exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, text
    return normalise_meta(data, path, "front matter"), rest


def load_sidecar(path: Path) -> dict[str, str]:
    """Read a ``.meta.yaml`` sidecar into normalised metadata."""
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"cannot read metadata sidecar ({exc})") from exc
    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        raise LoadError(path, f"invalid YAML in metadata sidecar: {_yaml_problem(exc)}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LoadError(path, "metadata sidecar must be a mapping of key: value pairs")
    return normalise_meta(data, path, "metadata sidecar")


def normalise_meta(data: dict[Any, Any], path: Path | str, where: str) -> dict[str, str]:
    """Lower-case keys, resolve aliases, flatten values to strings, drop empties."""
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        name = str(key).strip().lower().replace("-", "_").replace(" ", "_")
        name = _ALIASES.get(name, name)
        if isinstance(value, dict):
            raise LoadError(path, f"{where}: value of '{key}' must be text, not a mapping")
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value if v is not None)
        text = str(value).strip()
        if text:
            out[name] = text
    return out


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)
