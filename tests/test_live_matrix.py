"""The theme matrix while an ingest has written some interviews' text but not their
vectors: their cells without a quote are "not yet searchable (ingest in progress)",
never "no match found", in the matrix, the CLI (text and --json), the Themes page and
the exports."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from ingest.sync import sync_paths
from knowledge.matrix import NOT_YET
from knowledge.service import Casebase
from knowledge.settings import Settings
from knowledge.store import StoreError
from knowledge.themes import ThemeBook
from knowledge.types import Theme
from tests.conftest import ROOT
from tests.test_live_ingest import PHRASE, _late

QUESTION = f"Hvad skete der i {PHRASE}?"
THEME = Theme("Værksted", [QUESTION])
WAITING = ["b.txt", "c.txt"]


@pytest.fixture
def half(settings: Settings, write_interview, hash_embeddings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """a.txt embedded; b.txt and c.txt as a text-first sync left them, text only (it stopped
    after its text pass, as a killed ingest does)."""
    write_interview("a.txt")
    sync_paths([settings.interviews_dir], settings, embeddings=hash_embeddings)
    _late(write_interview)

    def die(name: str) -> None:
        if name == "texts":
            raise RuntimeError("killed")

    # a context of its own: undo() would also revert the environment the settings fixture set,
    # and the app would then read the working tree's own .casebase
    with monkeypatch.context() as m:
        m.setattr("ingest.live._failpoint", die)
        with pytest.raises(StoreError):
            sync_paths([settings.interviews_dir], settings.model_copy(update={"text_first_bytes": 1}), embeddings=hash_embeddings)
    return settings


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_a_waiting_interview_is_not_yet_searchable_never_no_match(half, hash_embeddings):
    m = Casebase(half, embeddings=hash_embeddings).matrix([THEME])
    rows = {r.doc_id: r for r in m.rows}
    assert set(rows) == {"a.txt", *WAITING}  # every interview is a row
    assert m.not_yet_searchable() == WAITING
    for d in WAITING:
        assert rows[d].waiting and rows[d].status(THEME.name) == "not_yet_searchable"
    assert not rows["a.txt"].waiting and rows["a.txt"].status(THEME.name) != "not_yet_searchable"
    # what "no match found" and "without a quote" count leaves them out
    assert {r.doc_id for r in m.unmatched(THEME.name)} <= {"a.txt"}
    assert {r.doc_id for r in m.silent(THEME.name)} <= {"a.txt"}
    assert [r.doc_id for r in m.pending(THEME.name)] == WAITING

    as_json = m.to_dict()
    assert as_json["not_yet_searchable"] == WAITING
    by_doc = {iv["doc_id"]: iv for iv in as_json["interviews"]}
    for d in WAITING:  # null, never [] (an empty list reads as "no quote found")
        assert by_doc[d]["cells"][THEME.name] is None
        assert by_doc[d]["status"][THEME.name] == "not_yet_searchable" and by_doc[d]["not_yet_searchable"] is True
    assert isinstance(by_doc["a.txt"]["cells"][THEME.name], list) and by_doc["a.txt"]["not_yet_searchable"] is False

    cols, grid = m.table()  # the Excel matrix sheet
    cells = {row["file"]: row[THEME.name] for row in grid}
    assert all(NOT_YET in cells[d] for d in WAITING) and NOT_YET not in cells["a.txt"]


def test_once_embedded_the_matrix_has_no_waiting_rows(half, hash_embeddings):
    sync_paths([half.interviews_dir], half, embeddings=hash_embeddings)  # the rerun finishes the vectors
    m = Casebase(half, embeddings=hash_embeddings).matrix([THEME])
    assert m.not_yet_searchable() == [] and not any(r.waiting for r in m.rows)
    assert {r.doc_id for r in m.rows if r.cells.get(THEME.name)} & set(WAITING)  # they hold the phrase
    assert all(iv["cells"][THEME.name] is not None for iv in m.to_dict()["interviews"])


def test_cli_matrix_text_and_json_say_not_yet_searchable(half, cli_env):
    spec = f"{THEME.name}={QUESTION}"
    out = json.loads(_cli(cli_env, "matrix", spec, "--json").stdout)
    assert out["not_yet_searchable"] == WAITING
    assert all(iv["cells"][THEME.name] is None for iv in out["interviews"] if iv["doc_id"] in WAITING)

    text = _cli(cli_env, "matrix", spec)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "2 of 3 interviews are not yet searchable by meaning" in text.stdout
    pending = [ln for ln in lines if ln.strip().startswith(NOT_YET)]
    assert len(pending) == 1 and "Bo Berg" in pending[0] and "Cai Carl" in pending[0]
    for ln in lines:  # neither is "no match found"
        if "no match found" in ln:
            assert "Bo Berg" not in ln and "Cai Carl" not in ln


def test_exports_with_proposals_say_so(half, cli_env, tmp_path):
    ThemeBook(half.themes_path).add(THEME.name, THEME.questions)
    md, qdpx = tmp_path / "r.md", tmp_path / "p.qdpx"
    done = _cli(cli_env, "export", "--proposed", "--markdown", str(md), "--qdpx", str(qdpx))
    assert done.returncode == 0, done.stderr
    assert "2 interviews were not yet searchable by meaning" in done.stderr
    assert "2 interviews were not yet searchable by meaning" in md.read_text(encoding="utf-8")
    with zipfile.ZipFile(qdpx) as zf:
        root = etree.fromstring(zf.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(ROOT / "tests/fixtures/refi-qda/Project.xsd")))
    assert schema.validate(root), schema.error_log
    ns = {"q": "urn:QDA-XML:project:1.0"}
    notes = {s.get("name"): s.findtext("q:Description", namespaces=ns) or "" for s in root.iterfind(".//q:TextSource", ns)}
    assert all("not yet searchable" in notes[d] for d in WAITING) and "not yet searchable" not in notes["a.txt"]
    assert "not yet searchable" in (root.findtext("q:Description", namespaces=ns) or "")

    plain = _cli(cli_env, "export", "--markdown", str(md))  # coded quotes only: no proposals missing
    assert plain.returncode == 0 and "not yet searchable" not in plain.stderr + md.read_text(encoding="utf-8")


def test_themes_page_marks_waiting_cells(half, monkeypatch, tmp_path: Path):
    from tests.test_app import run_app
    from ui.themes import NOTHING
    from ui.themes import WAITING as WAITING_CELL

    db = tmp_path / "ui-themes.sqlite"
    ThemeBook(db).add(THEME.name, THEME.questions)
    for key, value in {"CASEBASE_STORE": str(half.store), "CASEBASE_COLLECTION": half.collection,
                       "CASEBASE_EMBEDDER": "hash", "CASEBASE_LLM": "none", "CASEBASE_THEMES_DB": str(db),
                       "CASEBASE_INTERVIEWS_DIR": str(half.interviews_dir)}.items():
        monkeypatch.setenv(key, value)
    for key in ("CHROMA_HOST", "CHROMA_PORT", "CASEBASE_CHROMA_HOST"):
        monkeypatch.delenv(key, raising=False)
    at = run_app("views/themes.py")
    grid = at.dataframe[0].value
    cells = dict(zip(grid["who"], grid["t0"]))
    assert cells["Bo Berg"] == WAITING_CELL and cells["Cai Carl"] == WAITING_CELL
    assert NOTHING not in (cells["Bo Berg"], cells["Cai Carl"])
    assert any("2 of 3 interviews are not yet searchable by meaning" in w.value for w in at.warning)
