"""``Casebase``: the one object the app and the CLI talk to.

It owns the store, the retrieval snapshot (rebuilt only when ``Store.version()``
changes, i.e. after a sync) and the optional chat model, and turns retrieval
hits into ``Source`` objects and answers. Nothing here knows about Streamlit.
"""
from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from dataclasses import replace
from typing import Any, Iterator

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from knowledge import answer as ans
from knowledge import blas
from knowledge import find as _find
from knowledge import matrix as _matrix
from knowledge.decide import decide_question
from knowledge.embeddings import model_id
from knowledge.lang import detect
from knowledge.llm import describe, make_chat_model
from knowledge.llm_answer import llm_stream, retrieval_queries
from knowledge.matrix import PER_CELL, Matrix
from knowledge.retrieve import Corpus, Hit, Result, RetrievalConfig, config_for, hit
from knowledge.retrieve import relevant as _relevant
from knowledge.retrieve import search as _search
from knowledge.settings import Settings, get_settings
from knowledge.snapshot_cache import load_or_build
from knowledge.store import ModelMismatch, Store
from knowledge.themes import ThemeBook
from knowledge.types import Answer, Source, Theme
from knowledge.whole_quotes import WholeQuotes

_log = logging.getLogger(__name__)
WEAK_SHOWN = 20  # weaker matches an answer offers (one per interview, the strongest); all are counted



class Casebase:
    def __init__(
        self,
        settings: Settings | None = None,
        embeddings: Embeddings | None = None,
        chat_model: BaseChatModel | None = None,
        config: RetrievalConfig | None = None,
    ) -> None:
        blas.single_thread()  # a question's vector products: knowledge/blas.py
        self.settings = settings or get_settings()
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._chat_built = chat_model is not None
        self._config = config
        self._store: Store | None = None
        self._corpus: Corpus | None = None
        # reentrant: corpus() opens the store while holding it
        self._lock = threading.RLock()
        self._themes: ThemeBook | None = None
        self._anchored: Any = None  # the store version the codings were last re-anchored at
        self._token: tuple[int, int, int] | None = None  # Store.change_token() when the snapshot was last checked
        self._whole: WholeQuotes | None = None  # see _whole_quotes
        self._listing: tuple[weakref.ref[Corpus], list[dict]] | None = None  # see interviews

    # -- plumbing ------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        store = self._store
        if store is None:
            # one Store per facade even when several Streamlit sessions start at once, and
            # kept only once its model check passed: a mismatch must fail every time
            with self._lock:
                if self._store is None:
                    self._store = self._open(self._embeddings)
                store = self._store
        return store

    def _open(self, embeddings: Embeddings | None) -> Store:
        """A Store with its own collection handles, checked against the embedder. Every
        (re)open checks: another process may have rebuilt the store with another model.
        Only this facade's object is replaced; other facades (sessions) keep theirs."""
        opened = Store(self.settings, embeddings)
        opened.check_model()
        return opened

    @property
    def chat_model(self) -> BaseChatModel | None:
        if not self._chat_built:
            self._chat_model = make_chat_model(self.settings)
            self._chat_built = True
        return self._chat_model

    @property
    def config(self) -> RetrievalConfig:
        """The retrieval configuration: given, or the measured default for this embedder."""
        if self._config is None:
            self._config = config_for(model_id(self.store.embeddings))
        return self._config

    def corpus(self) -> Corpus:
        """The retrieval snapshot for the store's current version (built once per sync)."""
        # the database unchanged since the version was last read: so is the version (read
        # first: a write after it moves the token the next call sees)
        token = self.store.change_token()
        with self._lock:
            current = self._corpus
            if token is not None and current is not None and not current.partial and token == self._token:
                return current
        try:
            version = self.store.version()
        except ModelMismatch:
            raise
        except Exception:
            # A rebuild elsewhere dropped and recreated the collections, so this facade's
            # handles point at nothing ("Collection ... does not exist"): reopen, which
            # also runs the model check, so a rebuild with another embedder is reported
            # as such, not as an unreachable store.
            with self._lock:
                stale, self._store, self._corpus = self._store, None, None
                self._store = self._open(stale.embeddings if stale is not None else self._embeddings)
            version = self.store.version()
        with self._lock:
            if self._corpus is None or self._corpus.version != version or self._corpus.partial:
                if self._corpus is not None:
                    # a sync through another Store object leaves this one's Chroma collection
                    # handle unable to read embeddings ("Error finding id", chromadb 1.5.9):
                    # reopen (with the model check) before reading the new version
                    self._store = self._open(self.store.embeddings)
                self._corpus = load_or_build(self.store, self.store.embeddings)
                if self._corpus.store is not None:
                    # the read may have reopened the store on a fresh Chroma system (a sync by
                    # another process): this facade's handle becomes that new object (same
                    # path and embedder as the one whose model check passed)
                    self._store = self._corpus.store
            self._reanchor_codings(self._corpus)
            # only once the codings follow this version: the fast path above skips them
            self._token = token if self._anchored == self._corpus.version else None
            return self._corpus

    def refresh(self) -> None:
        """Forget cached state (after a sync in another process, or a settings change)."""
        with self._lock:
            self._corpus = None
            self._store = None
            self._token = None

    # -- retrieval -------------------------------------------------------------------------
    def retrieve(
        self, query: str, k: int = 10, filters: dict | None = None, extra_queries: tuple[str, ...] = ()
    ) -> tuple[Result, list[Source]]:
        """The top ``k`` chunks by ranking score, each with its relevance (the quote finder)."""
        corpus = self.corpus()
        result = _search(corpus, query, k=k, filters=filters, cfg=self.config, store=self.store, extra_queries=extra_queries)
        terms = _terms(query, extra_queries)
        return result, [_source(i + 1, h, terms) for i, h in enumerate(result.hits)]

    def relevant(
        self, query: str, filters: dict | None = None, extra_queries: tuple[str, ...] = ()
    ) -> tuple[Result, list[Source]]:
        """Every quote, in every searched interview, at least a weak match, most relevant first."""
        corpus = self.corpus()
        result = _relevant(corpus, query, filters=filters, cfg=self.config, store=self.store, extra_queries=extra_queries)
        terms = _terms(query, extra_queries)
        return result, [_source(i + 1, h, terms) for i, h in enumerate(result.hits)]

    def search(self, query: str, k: int = 10, filters: dict | None = None) -> list[Source]:
        """The best ``k`` quotes for ``query`` by meaning, each with its relevance (``weak``
        when below the answer threshold). Finding is not deciding: it is never empty while
        the searched interviews have quotes; whether they *answer* is the chat's call."""
        if not re.search(r"\w", query):
            return []  # nothing asked: no meaning to search for
        result, sources = self.retrieve(query, k=k, filters=filters)
        bar = result.model.threshold
        return [replace(s, weak=s.relevance < bar) for s in sources]

    def find(self, query: str, mode: str = "auto", k: int = 10, filters: dict | None = None) -> _find.FindResult:
        """The quote finder: quotes containing every word of ``query`` in any inflection
        (``mode="words"``) or its exact phrase (``"phrase"``), the number of such quotes in
        all, and per source the spans of its quote that matched; ``"meaning"`` is ``search``;
        ``"auto"``: a "quoted" query is a phrase, one or two words are words, else meaning."""
        plan = _find.plan(query, mode)
        if plan.mode == "meaning":
            sources = self.search(plan.text, k=k, filters=filters)
            waiting = tuple(self.corpus().waiting_interviews(filters))
            return replace(_find.result(query, plan, len(sources), sources, [[] for _ in sources]), not_yet_searchable=waiting)
        corpus = self.corpus()
        found = _find.find(corpus, plan, filters=filters, k=k)
        sources, marks = [], []
        for n, m in enumerate(found.matches, 1):
            meta, text = corpus.meta(m.row), corpus.texts[m.row]
            source = _source(n, Hit(m.row, corpus.ids[m.row], text, meta, m.score, m.score), m.terms)
            source, spans = _find.quoted(source, text, int(meta.get("start", 0)), m.spans)
            sources.append(source)
            marks.append(spans)
        return _find.result(query, plan, found.total, sources, marks)

    # -- answers ---------------------------------------------------------------------------
    def ask(
        self, question: str, k: int | None = None, filters: dict | None = None, mode: str = "extractive", history: list[dict] | None = None
    ) -> Answer:
        final = None
        for piece in self.ask_stream(question, k=k, filters=filters, mode=mode, history=history):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def ask_stream(
        self, question: str, k: int | None = None, filters: dict | None = None, mode: str = "extractive", history: list[dict] | None = None
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final ``Answer`` (``st.write_stream``
        shows the strings; the caller keeps the Answer for the sources). The answer quotes
        every interview with a relevant quote (its best first); ``k`` caps the quotes."""
        if mode not in ("extractive", "llm"):
            raise ValueError(f"mode must be 'extractive' or 'llm', not {mode!r}")
        corpus = self.corpus()
        waiting = corpus.waiting_interviews(filters)
        for piece in self._ask_stream(corpus, question, k, filters, mode, history):
            if isinstance(piece, Answer) and waiting:
                # an ingest is writing vectors: say which interviews this answer could not see
                note = ans.waiting_notice(piece.language, len(waiting))
                piece = replace(piece, not_yet_searchable=waiting, notice=f"{piece.notice} {note}".strip())
            yield piece

    def _ask_stream(
        self, corpus: Corpus, question: str, k: int | None, filters: dict | None, mode: str, history: list[dict] | None
    ) -> Iterator[str | Answer]:
        language = detect(question)
        model = self.chat_model if mode == "llm" else None
        notice = ""
        if mode == "llm" and model is None:
            notice = ans.FALLBACK_NOTICE.get(language, ans.FALLBACK_NOTICE["en"]).format(why="no LLM configured (CASEBASE_LLM)")
        query, extra = retrieval_queries(question, history, model, language)
        if query.strip() != question.strip():
            # the user should see what was actually searched for
            follow = ans.FOLLOW_UP_NOTICE.get(language, ans.FOLLOW_UP_NOTICE["en"]).format(query=query)
            notice = f"{notice} {follow}".strip()
        scored, decision = decide_question(corpus, query, filters, self.config, self.store, extra, per_doc=3)
        n_docs = corpus.interviews_in(scored.mask)
        if decision.refused:
            text = ans.REFUSAL.get(language, ans.REFUSAL["en"])
            yield text
            yield Answer(question, language, mode if model else "extractive", text, [], True, notice, interviews=n_docs,
                         silent=list(decision.silent))
            return
        terms = _terms(query, extra)
        chosen = [_source(0, hit(corpus, r, scored), terms) for r in decision.rows(k)]
        # an interview's weaker match is offered apart and not cited (no number), strongest first
        # (the strongest WEAK_SHOWN: a case base of 1,000 interviews would otherwise offer ~1,000;
        # the lead still counts them all)
        weak_rows = sorted(decision.weaker.values(), key=lambda r: -float(scored.rel[r]))[:WEAK_SHOWN]
        weak = [_source(0, hit(corpus, r, scored), terms) for r in weak_rows]
        n_weaker = len(decision.weaker)
        # interviews the ``k`` cap left out were not seen as silent: they count as answering
        silent = list(decision.silent)
        if model is None:
            sources = ans.number_by_appearance(chosen)
            text = ans.extractive(question, language, sources, False, n_docs, n_weaker, len(silent))
            yield text
            yield Answer(question, language, "extractive", text, sources, False, notice, weak=weak, interviews=n_docs,
                         silent=silent, weaker=n_weaker)
            return
        sources = [replace(s, n=i) for i, s in enumerate(chosen, 1)]  # the model cites them in this order
        yield from llm_stream(model, question, language, sources, weak, n_docs, silent, n_weaker)

    # -- browsing --------------------------------------------------------------------------
    def interviews(self) -> list[dict]:
        """Every interview readers see, with its manifest metadata and quote count. Kept
        per snapshot: reading the manifest is a Chroma ``get`` of every record (0.14 s at
        1,000 interviews, a third of a theme matrix on a loaded snapshot), and a sync that
        changes a record moves the store's version, hence the snapshot."""
        corpus = self.corpus()
        kept = self._listing
        if kept is not None and kept[0]() is corpus:
            return [dict(d) for d in kept[1]]
        out = self._list_interviews(corpus)
        # by weak reference: the list must not keep a replaced snapshot (every quote and
        # vector) in memory until the next call
        self._listing = (weakref.ref(corpus), out)
        return [dict(d) for d in out]

    def _list_interviews(self, corpus: Corpus) -> list[dict]:
        counts: dict[str, int] = {}
        for d in corpus.columns["doc_id"]:
            counts[d] = counts.get(d, 0) + 1
        out = []
        for rec in self.store.documents().values():
            if not rec.visible_hash:
                continue  # first ingest still under way, its text not written yet
            meta = {k: v for k, v in rec.metadata.items() if k not in ("pending_hash", "text_hash")}
            out.append({**meta, "doc_id": rec.doc_id, "source_path": rec.source_path, "n_chunks": counts.get(rec.doc_id, 0)})
        return sorted(out, key=lambda d: d["doc_id"])

    def interview(self, doc_id: str) -> dict | None:
        body = self.store.document_body(doc_id)
        if body is None:
            return None
        corpus = self.corpus()
        rows = sorted((int(i) for i in corpus.rows_of(doc_id)), key=lambda i: int(corpus.ints["start"][i]))
        chunks = [{"chunk_id": corpus.ids[i], "quote": corpus.texts[i], **corpus.meta(i)} for i in rows]
        return {**body, "doc_id": doc_id, "n_chunks": len(chunks), "chunks": chunks}

    def facets(self) -> dict[str, list[str]]:
        corpus = self.corpus()
        keys = {"organisations": "organisation", "interviewees": "interviewee", "cases": "case", "doc_ids": "doc_id"}
        return {out: sorted({v for v in corpus.columns[col] if v}) for out, col in keys.items()}

    def stats(self) -> dict[str, Any]:
        corpus = self.corpus()
        meta = self.store.meta()
        synced = meta.get("synced_at")
        n_docs = len(set(corpus.columns["doc_id"]))
        return {
            "documents": n_docs,
            # interviews meaning search and chat can answer from (fewer while an ingest writes vectors)
            "searchable": n_docs - len(corpus.waiting_interviews()),
            "chunks": len(corpus),
            "last_sync": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(synced))) if synced else None,
            "last_sync_ts": float(synced) if synced else None,
            "version": corpus.version,
            "embedder": model_id(self.store.embeddings),
            "llm": describe(self.settings) if self._chat_model is None else type(self._chat_model).__name__,
            "store": self.settings.describe_store(),
        }

    # -- themes and codings ------------------------------------------------------------------
    @property
    def themes(self) -> ThemeBook:
        """The researcher's themes and codings (``Settings.themes_path``), opened on first use."""
        if self._themes is None:
            with self._lock:
                if self._themes is None:
                    self._themes = ThemeBook(self.settings.themes_path)
        return self._themes

    @property
    def has_themes(self) -> bool:
        """Has anyone made a theme? Reading never creates the themes file: only a change does."""
        return self._themes is not None or self.settings.themes_path.exists()

    def saved_themes(self) -> list[Theme]:
        return self.themes.list() if self.has_themes else []

    def source_of(self, chunk_id: str) -> Source | None:
        """The whole chunk as a quote with its citation (None: no such chunk now)."""
        corpus = self.corpus()
        row = corpus.row_of.get(chunk_id)
        return None if row is None else _row_source(corpus, row, 1)

    def _reanchor_codings(self, corpus: Corpus) -> None:
        """Follow the codings to where their quotes are now, once per store version (a sync
        may have changed or removed their interviews). Never fails the caller: the themes
        are an add-on to answering questions."""
        if self._anchored == corpus.version or corpus.partial:
            return
        try:
            # no file yet: nobody made a theme, so nothing to anchor (and nothing to create)
            if not self.has_themes:
                self._anchored = corpus.version
                return
            if self.themes.has_codings():

                def text(doc_id: str) -> str | None:
                    body = self.store.document_body(doc_id)
                    return None if body is None else body.get("text")

                def chunk_at(doc_id: str, start: int, end: int) -> str | None:
                    rows = corpus.rows_of(doc_id)
                    overlap = [(min(end, int(corpus.ints["end"][r])) - max(start, int(corpus.ints["start"][r])), int(r)) for r in rows]
                    best = max(overlap, default=(0, -1))
                    return corpus.ids[best[1]] if best[0] > 0 else None

                self.themes.reanchor(text, chunk_at)
            self._anchored = corpus.version
        except Exception:  # retried at the next corpus() call
            _log.warning("re-anchoring the codings failed", exc_info=True)

    def matrix(self, themes: list[Theme], filters: dict | None = None, per_cell: int = PER_CELL) -> Matrix:
        """The theme matrix: every interview the filters select, and per theme its accepted
        quotes first, then the quotes relevance proposes (rejected ones never again)."""
        corpus = self.corpus()
        book = self.themes if self.has_themes else None

        def decided(name: str):
            if book is None or book.get(name) is None:
                return [], None
            accepted = [c for c in book.codings(name, "accepted") if c.anchor != "lost"]
            return accepted, book.rejection_test(name)

        whole = self._whole_quotes(corpus)
        _matrix.prefetch(corpus, themes, self.store)
        try:
            return _matrix.build(corpus, themes, whole.get, filters, self.config, self.store,
                                 per_cell, decided, self.interviews())
        finally:
            whole.save()

    def _whole_quotes(self, corpus: Corpus) -> WholeQuotes:
        """This snapshot's whole-chunk quotes (knowledge/whole_quotes.py), forgotten with it."""
        with self._lock:
            if self._whole is None or self._whole.corpus is not corpus:
                self._whole = WholeQuotes(corpus, lambda row, bounds: _row_source(corpus, row, bounds=bounds))
            return self._whole

    def resolve_themes(self, specs: list[str]) -> list[Theme]:
        """Themes from the command line or a form: ``NAME=QUESTION`` (the same NAME again adds
        a question), the name of a saved theme, or a question (its own name)."""
        out: dict[str, Theme] = {}
        saved = {t.name.casefold(): t for t in self.saved_themes()}
        for spec in specs:
            name, sep, question = spec.partition("=")
            name, question = name.strip(), question.strip()
            if sep and name and question:
                out.setdefault(name, Theme(name, [])).questions.append(question)
            elif spec.strip().casefold() in saved:
                t = saved[spec.strip().casefold()]
                out[t.name] = t
            elif spec.strip():
                out.setdefault(spec.strip(), Theme(spec.strip(), [spec.strip()]))
            else:
                raise ValueError(f"'{spec}' is not a theme: give NAME=QUESTION, a saved theme's name or a question")
        return list(out.values())


def _terms(query: str, extra: tuple[str, ...] = ()) -> set[str]:
    """The words of the question, for choosing which sentences of a long passage to quote."""
    return {w.lower().strip("?.,!") for w in " ".join((query, *extra)).split()}


def _row_source(corpus: Corpus, row: int, n: int = 0, bounds: tuple[int, int] | None = None) -> Source:
    """A chunk of the snapshot as a whole quote with its citation (themes, codings);
    ``bounds``: the quote's offsets in the chunk when already known (knowledge/whole_quotes.py)."""
    return _source(n, Hit(row, corpus.ids[row], corpus.texts[row], corpus.meta(row), 0.0, 0.0), set(), bounds)


def _source(n: int, hit: Hit, terms: set[str], bounds: tuple[int, int] | None = None) -> Source:
    m = hit.metadata
    a, b = bounds if bounds is not None else ans.trim_quote(hit.text, terms)
    start = int(m.get("start", 0))
    return Source(
        n=n,
        doc_id=str(m.get("doc_id", "")),
        chunk_id=hit.chunk_id,
        quote=hit.text[a:b],
        interviewee=str(m.get("interviewee", "")),
        speaker=str(m.get("speaker", "")),
        role=str(m.get("role", "")),
        organisation=str(m.get("organisation", "")),
        case=str(m.get("case", "")),
        question=str(m.get("question", "")),
        source_path=str(m.get("source_path", "")),
        start=start + a,
        end=start + b,
        score=round(hit.score, 4),
        relevance=round(hit.relevance, 3),
        question_no=int(m.get("question_no", 0) or 0),
        kind=str(m.get("kind", "answer")),
        language=str(m.get("language", "")),
    )
