"""A hostile interviews folder: every bad file is reported with its reason, the good
ones go in, nothing from outside the folder reaches the store, and nothing hangs.

``build_hostile_folder`` is also what the timing in the README was measured on
(with ``big_mb=25`` and the default embedder)."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from ingest.sync import sync_paths
from tests.conftest import interview_text
from tests.test_sync import chunk_state

SECRET = "Fortroligt: lønforhandlingen med direktøren gik i hårdknude."
SENTENCE = "Vi har fået et større netværk i kommunen, og det har gjort en stor forskel for os. "


def zip_bomb_docx(expanded: int = 64 * 1024 * 1024) -> bytes:
    """A .docx-shaped zip whose document part inflates about 1000 : 1."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(expanded // len(block)):
                part.write(block)
    return buf.getvalue()


def build_hostile_folder(root: Path, big_mb: float = 0, max_chars: int = 2_000_000) -> tuple[Path, dict[str, str]]:
    """The folder (``root``/interviews) and, per bad file, a word its reason must hold.
    ``big_mb``: also a text of that many MB (one interview repeated), over the limit."""
    folder = root / "interviews"
    folder.mkdir(parents=True)
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(interview_text(name="Dorthe Direktør", qa={"Løn?": [SECRET]}), encoding="utf-8")

    good = {
        "utf8.txt": interview_text(name="Anna Holm").encode("utf-8"),
        "utf16.txt": interview_text(name="Bo Bæk", org="Ørby Bibliotek").encode("utf-16"),  # with its BOM
        "cp1252.txt": interview_text(name="Åse Ødegård", org="Æbelø Kulturhus").encode("cp1252"),
        # 800 KB on one line, one sentence over and over: cut at sentences, embedded once
        "one-line.txt": ((SENTENCE * (800_000 // len(SENTENCE))).strip() + "\n").encode("utf-8"),
    }
    for name, data in good.items():
        (folder / name).write_bytes(data)

    bad = {
        "empty.txt": "empty",
        "junk.txt": "binary",
        "broken.docx": "corrupt",
        "broken.pdf": "corrupt",
        "bomb.docx": "zip bomb",
        "too-long.txt": "CASEBASE_MAX_FILE_CHARS",
    }
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.txt").write_bytes(os.urandom(64 * 1024))
    (folder / "broken.docx").write_bytes(b"PK\x03\x04" + os.urandom(4096))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + os.urandom(2048))
    (folder / "bomb.docx").write_bytes(zip_bomb_docx())
    filler = interview_text(name="Lang Person") + "\n"
    with open(folder / "too-long.txt", "w", encoding="utf-8") as fh:  # just over the limit: read, then refused
        fh.write(filler * (max_chars // len(filler) + 2))
    if big_mb:
        bad["huge.txt"] = "CASEBASE_MAX_FILE_CHARS"
        with open(folder / "huge.txt", "w", encoding="utf-8") as fh:
            while fh.tell() < big_mb * 1024 * 1024:
                fh.write(filler * 100)

    skipped = {"pipe.txt": "FIFO", "leak.txt": "outside the folder"}
    os.mkfifo(folder / "pipe.txt")
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    return folder, {**bad, **skipped}


def test_hostile_folder(settings, hash_embeddings, tmp_path):
    folder, expected = build_hostile_folder(tmp_path)
    report = sync_paths([folder], settings, embeddings=hash_embeddings)

    assert sorted(report.added) == ["cp1252.txt", "one-line.txt", "utf16.txt", "utf8.txt"]
    reasons = {Path(f["path"]).name: f["error"] for f in report.failed}
    reasons.update({Path(s["path"]).name: s["reason"] for s in report.skipped})
    assert set(reasons) == set(expected)
    for name, word in expected.items():
        assert word.lower() in reasons[name].lower(), (name, reasons[name])
        assert "\n" not in reasons[name] and "Traceback" not in reasons[name]

    # nothing from outside the folder, and the odd encodings read right
    state = chunk_state(settings)
    assert not any(SECRET in q for _, q in state.values())
    from knowledge.store import Store

    docs = Store(settings).documents()
    assert all(Path(d.source_path).is_relative_to(folder) for d in docs.values())
    assert docs["utf16.txt"].metadata["organisation"] == "Ørby Bibliotek"
    assert docs["cp1252.txt"].metadata["interviewee"] == "Åse Ødegård"
    # the 800 KB line: many quotes, two distinct texts to embed
    one_line = [q for d, q in state.values() if d == "one-line.txt"]
    assert len(one_line) > 1000 and len(set(one_line)) <= 3
    assert report.embedded < 40

    # a second sync reads nothing again and reports the same problems
    again = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert again.added == [] and len(again.unchanged) == 4
    assert {Path(f["path"]).name for f in again.failed} | {Path(s["path"]).name for s in again.skipped} == set(expected)
