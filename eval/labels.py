"""Labelled questions and the grade of a chunk for a question.

A question in ``questions.yaml`` has ``gold`` (the passages recall@k looks for) and
``answers``: every passage of the corpus that answers it, graded 2 (answers directly)
or 1 (answers in part). A chunk gets the best grade of the labelled passages it
overlaps; everything else is 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIRS = [ROOT / "data" / "interviews", ROOT / "eval" / "corpus"]
QUESTIONS = ROOT / "eval" / "questions.yaml"
HELDOUT_DIRS = [ROOT / "eval" / "heldout" / "corpus"]
HELDOUT_QUESTIONS = ROOT / "eval" / "heldout" / "questions.yaml"
HELDOUT2_DIRS = [ROOT / "eval" / "heldout2" / "corpus"]
HELDOUT2_QUESTIONS = ROOT / "eval" / "heldout2" / "questions.yaml"
EXTENSIONS = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def interview_files(dirs: list[Path] = CORPUS_DIRS) -> dict[str, str]:
    """Extracted text of every interview file, by file name."""
    from ingest.loaders import load_file

    return {p.name: load_file(p) for d in dirs for p in sorted(d.iterdir())
            if p.suffix.lower() in EXTENSIONS and not p.name.startswith("README")}


def _squash(text: str) -> str:
    return " ".join(text.split())


def _passage(doc_text: str, contains: str) -> str:
    """The line (bullet / paragraph / turn) of the source file that holds the labelled text."""
    for line in doc_text.splitlines():
        if contains in line:
            return line
    return contains


def overlaps(doc_id: str, text: str, entry: dict, files: dict[str, str]) -> bool:
    """A chunk matches a labelled passage when it comes from its file and holds the
    labelled text, or is a piece of the labelled passage (a long answer split in two)."""
    if Path(doc_id).name != entry["doc"]:
        return False
    chunk, needle = _squash(text), _squash(entry["contains"])
    if needle in chunk or (len(chunk) >= 20 and chunk in needle):
        return True
    passage = _squash(_passage(files.get(entry["doc"], ""), entry["contains"]))
    head = chunk[:60]
    return bool(head) and head in passage


def answers(q: dict) -> list[dict]:
    """The graded passages; questions labelled only with ``gold`` count those as grade 2."""
    if "answers" in q:
        return q["answers"] or []
    return [{**g, "grade": 2} for g in q.get("gold") or []]


def grade(doc_id: str, text: str, q: dict, files: dict[str, str]) -> int:
    return max((int(e.get("grade", 2)) for e in answers(q) if overlaps(doc_id, text, e, files)), default=0)


def answering_docs(q: dict, min_grade: int = 2) -> set[str]:
    return {e["doc"] for e in answers(q) if int(e.get("grade", 2)) >= min_grade}
