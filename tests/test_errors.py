"""Errors are told apart by their type: Chroma's and the connection's failures become
Casebase's StoreError at the store's boundary, and the app explains each kind it knows."""
from __future__ import annotations

import httpx
import pytest
from chromadb.errors import InternalError

from knowledge.chroma_client import StoreError, StoreUnreachable, _GuardedCollection
from knowledge.embeddings import EmbedderUnavailable
from knowledge.lock import SyncBusy
from knowledge.settings import Settings
from knowledge.store import ModelMismatch
from ui.state import explain


class _Collection:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.name = "chunks"

    def query(self, **_kw):
        raise self.exc


def _refused() -> ValueError:
    """What chromadb raises for a server that is down: a ValueError from an httpx.ConnectError."""
    try:
        try:
            raise httpx.ConnectError("[Errno 111] Connection refused")
        except httpx.ConnectError:
            raise ValueError("Could not connect to a Chroma server. Are you sure it is running?")  # noqa: B904 (as chromadb raises it)
    except ValueError as exc:
        return exc


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ConnectionResetError(), _refused()])
def test_connection_failures_become_store_unreachable(settings: Settings, exc: BaseException) -> None:
    guarded = _GuardedCollection(_Collection(exc), settings)
    with pytest.raises(StoreUnreachable) as info:
        guarded.query()
    assert str(settings.store) in str(info.value)
    assert guarded.name == "chunks"  # attributes pass through


def test_chroma_failures_become_store_errors_and_others_pass(settings: Settings) -> None:
    with pytest.raises(StoreError) as info:
        _GuardedCollection(_Collection(InternalError("disk I/O error")), settings).query()
    assert not isinstance(info.value, StoreUnreachable) and "disk I/O error" in str(info.value)
    # a plain ValueError saying the same words is a bug of ours, not a store that is down
    with pytest.raises(ValueError, match="Could not connect"):
        _GuardedCollection(_Collection(ValueError("Could not connect")), settings).query()


def test_the_app_explains_each_error_by_its_type(settings: Settings) -> None:
    assert explain(StoreUnreachable("down"), settings).title == "The case base store cannot be reached"
    assert explain(ModelMismatch("other model"), settings).title == "The store was built with another embedding model"
    assert explain(EmbedderUnavailable("no model"), settings).title == "The embedding model cannot be loaded"
    assert explain(SyncBusy("locked"), settings).title == "Another ingest is running"

    class EmbedderUnavailableLookalike(Exception):
        pass

    SyncBusyLookalike = type("SyncBusy", (RuntimeError,), {})  # the same name, not the type
    assert explain(SyncBusyLookalike("x"), settings).title == "Something went wrong"
    assert explain(EmbedderUnavailableLookalike("x"), settings).title == "Something went wrong"
    assert explain(InternalError("raw chroma error, not mapped"), settings).title == "Something went wrong"
