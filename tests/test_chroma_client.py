"""A fresh Chroma client (knowledge.chroma_client.make_client(fresh=True)) after another
process wrote the embedded store: chromadb 1.5.9's shared system per path then fails to
read the new embeddings. These pin what the store relies on: a fresh client reads them,
the clients opened after it share its system, and a client already open keeps working."""
from __future__ import annotations

import subprocess
import sys

from knowledge.chroma_client import make_client
from knowledge.settings import Settings

_WRITER = """
import sys, chromadb
from chromadb.config import Settings
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False, allow_reset=True))
col = client.get_collection("fresh-test")
col.add(ids=[str(i) for i in range(2, 200)], embeddings=[[float(i), 1.0] for i in range(2, 200)], documents=["d"] * 198)
"""


def _write_from_another_process(settings: Settings) -> None:
    subprocess.run([sys.executable, "-c", _WRITER, str(settings.store)], check=True, timeout=120)


def test_a_fresh_client_reads_what_another_process_wrote(settings):
    old = make_client(settings)
    col = old.get_or_create_collection("fresh-test", embedding_function=None, metadata={"hnsw:space": "cosine"})
    col.add(ids=["1"], embeddings=[[1.0, 0.0]], documents=["one"])
    assert len(col.get(include=["embeddings"])["ids"]) == 1  # the old system has loaded its segment

    _write_from_another_process(settings)

    fresh = make_client(settings, fresh=True)
    got = fresh.get_collection("fresh-test").get(include=["embeddings"])
    assert len(got["ids"]) == 199 and len(got["embeddings"]) == 199
    # a plain client opened afterwards shares the fresh system, so it reads them too
    later = make_client(settings).get_collection("fresh-test").get(include=["embeddings"])
    assert len(later["ids"]) == 199
    # and whoever still holds the old client is not broken by the swap
    assert col.count() == 199
