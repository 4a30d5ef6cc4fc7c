"""Chat-model backends (LangChain) and the prompt templates in ``prompts/``.

``CASEBASE_LLM`` picks the backend: ``none`` (extractive answers only),
``openai:MODEL`` (any OpenAI-compatible endpoint, e.g. a local llama.cpp or
vLLM server via ``CASEBASE_LLM_BASE_URL``) or ``ollama:MODEL`` (needs the
optional ``langchain-ollama`` package, imported only when selected).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from knowledge.settings import PROJECT_DIR, Settings

PROMPTS_DIR = PROJECT_DIR / "prompts"
_HUMAN_MARK = "=== human ==="


class LLMUnavailable(RuntimeError):
    """The configured chat model cannot be built; the message says how to fix it."""


def llm_enabled(settings: Settings) -> bool:
    """False when ``CASEBASE_LLM`` is unset, ``none`` or ``off``: extractive answers only."""
    return (settings.llm or "").strip().lower() not in ("", "none", "off")


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model named by ``settings.llm``, or None for extractive-only mode.
    No network traffic happens here: an unreachable server shows up at the first call."""
    if not llm_enabled(settings):
        return None
    spec = settings.llm.strip()
    kind, _, name = spec.partition(":")
    kind = kind.lower()
    if not name:
        raise LLMUnavailable(f"CASEBASE_LLM='{spec}' needs a model name, e.g. '{kind}:MODEL'.")
    if kind == "openai":
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        return ChatOpenAI(
            model=name,
            base_url=settings.llm_base_url,
            # local OpenAI-compatible servers accept any key; the client insists on one
            api_key=SecretStr(settings.llm_api_key or "not-needed"),
            timeout=settings.llm_timeout,
            max_retries=0,  # a dead server should fall back fast, not retry for minutes
            temperature=0,
        )
    if kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise LLMUnavailable(
                "CASEBASE_LLM selects Ollama, but the package 'langchain-ollama' is not installed. "
                "Install it with: pip install langchain-ollama"
            ) from exc
        kwargs = {"base_url": settings.llm_base_url} if settings.llm_base_url else {}
        return ChatOllama(model=name, temperature=0, client_kwargs={"timeout": settings.llm_timeout}, **kwargs)
    raise LLMUnavailable(f"Unknown CASEBASE_LLM '{spec}'. Choose none, openai:MODEL or ollama:MODEL.")


def describe(settings: Settings) -> str:
    if not llm_enabled(settings):
        return "none (extractive answers)"
    return settings.llm.strip() + (f" at {settings.llm_base_url}" if settings.llm_base_url else "")


@lru_cache(maxsize=16)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> ChatPromptTemplate:
    """``prompts/NAME.md`` as a chat prompt: the system part, then a line
    ``=== human ===``, then the human part. Placeholders are ``{name}``."""
    path = directory / f"{name}.md"
    if not path.exists():
        path = directory / f"{name}.txt"
    raw = path.read_text(encoding="utf-8")
    system, sep, human = raw.partition(_HUMAN_MARK)
    if not sep:
        raise ValueError(f"{path} has no '{_HUMAN_MARK}' line separating system and human parts")
    return ChatPromptTemplate.from_messages([("system", system.strip()), ("human", human.strip())])


def complete(model: BaseChatModel, prompt: str, **values: str) -> str:
    """One non-streaming call of a prompt template; the reply's text."""
    msg = (load_prompt(prompt) | model).invoke(values)
    return _text(msg.content).strip()


def _text(content) -> str:
    if isinstance(content, str):
        return content
    # some backends return a list of content blocks
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content or [])
