"""The boundary to Chroma: a client for the embedded store or a server, and the errors a
Casebase caller sees instead of Chroma's and httpx's (``StoreError`` and its kinds).

``knowledge.store`` (the collections) and ``knowledge.compact`` (rewriting the store
folder) both open clients here, so neither imports the other for it.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from knowledge.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


class StoreError(RuntimeError):
    """The store cannot be used; the message says what to check."""


class ModelMismatch(StoreError):
    """The store was built with another embedding model."""


class StoreUnreachable(StoreError):
    """The store cannot be opened (embedded) or reached (server); Chroma's and httpx's
    connection failures become this at the boundary."""


def make_client(settings: Settings, fresh: bool = False) -> ClientAPI:
    """A Chroma client. ``fresh`` drops this process's cached view of an embedded store:
    Chroma caches one system per path, and its in-memory vector segment does not see
    writes made by another process (a CLI sync while the app runs). Writers always
    start fresh; readers start fresh when the store's version moved."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if settings.server_mode:
            return chromadb.HttpClient(
                host=str(settings.chroma_host), port=settings.chroma_port, settings=chroma_settings
            )
        settings.store.mkdir(parents=True, exist_ok=True)
        if fresh:
            return _client_on_new_system(str(settings.store), chroma_settings)
        return chromadb.PersistentClient(path=str(settings.store), settings=chroma_settings)
    except Exception as exc:  # chromadb raises a zoo of types for "can't reach / can't open"
        raise StoreUnreachable(_unreachable(settings, exc)) from exc


def _client_on_new_system(path: str, chroma_settings: Any) -> ClientAPI:
    """A client of the embedded store at ``path`` on a new Chroma system.

    chromadb keeps one shared system per path for the whole process, and that system's
    vector segment does not see what another process wrote since it loaded: reading
    embeddings then fails ("Error finding id", chromadb 1.5.9), also for every new
    ``PersistentClient`` of the path. ``Client.from_system`` (public API) registers the
    given system as the path's shared one, so the clients opened after this one share
    the new system; clients already open keep the old one (tests/test_chroma_client.py
    pins both). Clearing chromadb's whole cache (``clear_system_cache``) would also
    replace every other path's system and its reference counts."""
    from chromadb.api import ServerAPI
    from chromadb.api.client import Client
    from chromadb.config import System
    from chromadb.telemetry.product import ProductTelemetryClient

    chroma_settings.persist_directory = path
    chroma_settings.is_persistent = True
    system = System(chroma_settings)
    # what chromadb does for a new shared system (SharedSystemClient), before it starts;
    # System.instance resolves these abstract types to the implementations its settings name
    system.instance(ProductTelemetryClient)  # type: ignore[type-abstract]
    system.instance(ServerAPI)  # type: ignore[type-abstract]
    system.start()
    return Client.from_system(system)


def _unreachable(settings: Settings, exc: BaseException) -> str:
    if settings.server_mode:
        return (
            f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
            f"({type(exc).__name__}: {exc}). Check that `chroma run` is up and CHROMA_HOST/CHROMA_PORT are right."
        )
    return f"Cannot open the store at {settings.store} ({type(exc).__name__}: {exc}). Check the path, its write permission and free disk space; what was stored before is intact."


def _is_connection_error(exc: BaseException) -> bool:
    """A failure to reach the store: the transport (httpx, sockets) or Chroma's own error
    for it (chromadb turns a refused connection into a ValueError raised from an
    httpx.ConnectError, so the cause is what tells)."""
    import httpx

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (httpx.TransportError, ConnectionError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_chroma_error(exc: BaseException) -> bool:
    from chromadb.errors import ChromaError

    return isinstance(exc, ChromaError)


def as_store_error(exc: BaseException, settings: Settings) -> StoreError | None:
    """The Casebase error for a failure of Chroma or of the way to it; None for any other."""
    if isinstance(exc, StoreError):
        return exc
    if _is_connection_error(exc):
        return StoreUnreachable(_unreachable(settings, exc))
    if _is_chroma_error(exc):  # Chroma's own failures (disk, internal) are the store's
        if settings.server_mode:
            return StoreError(f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} failed "
                              f"({type(exc).__name__}: {exc}).")
        return StoreError(_unreachable(settings, exc))  # embedded: a disk, permission or space problem
    return None


@contextmanager
def chroma_errors(settings: Settings) -> Iterator[None]:
    """Raise Chroma's and the connection's failures inside as StoreErrors; others as they are."""
    try:
        yield
    except Exception as exc:
        mapped = as_store_error(exc, settings)
        if mapped is None or mapped is exc:
            raise
        raise mapped from exc


class _GuardedCollection:
    """A Chroma collection whose connection failures surface as StoreError.

    A server that stops mid-session otherwise shows up as a bare httpx error deep
    inside a query; every caller (CLI, app, sync) already knows how to explain a
    StoreError."""

    def __init__(self, collection: Any, settings: Settings) -> None:
        self._collection = collection
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def guarded(*args: Any, **kwargs: Any) -> Any:
            with chroma_errors(self._settings):
                return attr(*args, **kwargs)

        return guarded


def optional_collection(client: Any, settings: Settings, name: str, create: bool = False) -> _GuardedCollection | None:
    """A collection most stores never need (``__text``, ``__bodies``): opened, or made when
    ``create``; None when it does not exist and ``create`` is off, so a reader of a store
    that never had one pays nothing for it."""
    try:
        coll = (client.get_or_create_collection(name, embedding_function=None) if create
                else client.get_collection(name, embedding_function=None))
    except Exception:
        if create:
            raise
        return None
    return _GuardedCollection(coll, settings)
