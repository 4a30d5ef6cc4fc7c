"""Shared fixtures: a throwaway store with the deterministic hash embedder, and
factories that write interview files the way users hand them to Casebase."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from knowledge.embeddings import HashEmbeddings
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

SAMPLE_DIR = ROOT / "data" / "interviews"


@pytest.fixture(autouse=True)
def no_sign_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts without a sign-in from the developer's environment, on a local
    address whatever folder pytest runs from (Streamlit reads .streamlit/config.toml from
    the working directory), with no sign-in failures counted."""
    for key in ("CASEBASE_PASSWORD_HASH", "CASEBASE_EDITOR_PASSWORD_HASH", "CASEBASE_ADDRESS"):
        monkeypatch.delenv(key, raising=False)
    from streamlit import config

    from knowledge.auth import THROTTLE

    THROTTLE.reset()
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an embedded store in tmp_path, hash embedder, no LLM, no server."""
    return Settings(
        store=tmp_path / "store",
        collection="test",
        embedder="hash",
        llm="none",
        chroma_host=None,
        interviews_dir=tmp_path / "interviews",
        lock_timeout=30,
    )


@pytest.fixture
def hash_embeddings() -> HashEmbeddings:
    return HashEmbeddings()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running the CLIs as subprocesses against the test store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBASE_", "CHROMA_"))}
    env.update(
        CASEBASE_STORE=str(settings.store),
        CASEBASE_COLLECTION=settings.collection,
        CASEBASE_EMBEDDER="hash",
        CASEBASE_LLM="none",
        PYTHONPATH=str(ROOT),
    )
    return env


def interview_text(
    name: str = "Anna Holm",
    role: str = "bibliotekar",
    org: str = "Vejby Bibliotek",
    case: str = "Læsecaféen",
    qa: dict[str, list[str]] | None = None,
) -> str:
    """A '5 hurtige'-shaped interview: intro, case, numbered questions with bullets."""
    qa = qa or {
        "Hvilke erfaringer har I fået ved at arbejde med partnerskaber?": [
            "Vi har fået et større netværk i kommunen.",
            "Frivillige har bidraget med nye kompetencer.",
        ],
        "Hvad er de største udfordringer?": [
            "Det tager lang tid at afstemme forventninger med partneren.",
        ],
    }
    lines = [
        f"{name}, {role} på {org} har svaret på de 5 hurtige.",
        "",
        "CASEN",
        "",
        f"Projektet '{case}' samlede frivillige og biblioteket om fælles læsning.",
        "",
    ]
    for i, (q, answers) in enumerate(qa.items(), 1):
        lines += [f"{i}) {q}", ""] + [f" • {a}" for a in answers] + [""]
    return "\n".join(lines)


@pytest.fixture
def write_interview(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write_interview("a.txt", text=None, folder=None, **interview_text kwargs) -> path."""

    def make(filename: str, text: str | None = None, folder: Path | None = None, **kw) -> Path:
        folder = folder or tmp_path / "interviews"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_text(text if text is not None else interview_text(**kw), encoding="utf-8")
        return path

    return make


# ---- knowledge fixtures (retrieval / answers / CLI) -----------------------------------
KNOWLEDGE_FIXTURES = ROOT / "tests" / "fixtures" / "knowledge"


@pytest.fixture
def knowledge_folder(tmp_path: Path) -> Path:
    """A copy of the knowledge test interviews (fictional, not the sample) in tmp_path."""
    import shutil

    dest = tmp_path / "kinterviews"
    shutil.copytree(KNOWLEDGE_FIXTURES, dest)
    return dest


@pytest.fixture
def casebase(settings: Settings, knowledge_folder: Path, hash_embeddings: HashEmbeddings):
    """A Casebase over the knowledge test interviews, hash embedder, no LLM."""
    from ingest.sync import sync_paths
    from knowledge.service import Casebase

    settings.interviews_dir = knowledge_folder
    sync_paths([knowledge_folder], settings, embeddings=hash_embeddings)
    return Casebase(settings, hash_embeddings)
# ---- end knowledge fixtures -----------------------------------------------------------


@pytest.fixture
def knowledge_cli(casebase, cli_env):
    """Run ``python -m knowledge ARGS`` in-process against the ``casebase`` store."""
    from click.testing import CliRunner

    from knowledge.__main__ import cli

    runner = CliRunner()

    def go(*args: str):
        return runner.invoke(cli, list(args), env=cli_env, catch_exceptions=False)

    return go
