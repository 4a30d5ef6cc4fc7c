"""The one error every loader raises, and the size wording its messages use. Its own
module so that the format modules (load_docx, load_pdf, meta) and ``loaders``, which
picks among them, do not import each other."""
from __future__ import annotations

from pathlib import Path


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
