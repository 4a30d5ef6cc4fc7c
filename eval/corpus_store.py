"""A throwaway store of an evaluation corpus, ingested by the real pipeline."""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import click

from eval.labels import CORPUS_DIRS
from knowledge.corpus import Corpus, load_corpus
from knowledge.embeddings import make_embeddings
from knowledge.settings import Settings


def ingest_corpus(embedder: str, dirs: list[Path] = CORPUS_DIRS) -> Corpus:
    """Ingest ``dirs`` into a temporary store (removed at exit) and snapshot it."""
    from ingest.sync import sync_paths
    from knowledge.store import Store

    tmp = tempfile.mkdtemp(prefix="casebase-eval-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    settings = Settings(store=Path(tmp), collection="casebase-eval", embedder=embedder, llm="none", chroma_host=None)
    emb = make_embeddings(embedder)
    report = sync_paths(dirs, settings, embeddings=emb)
    if report.failed:
        click.echo(f"warning: files that failed to ingest: {report.failed}", err=True)
    return load_corpus(Store(settings, emb), emb)
