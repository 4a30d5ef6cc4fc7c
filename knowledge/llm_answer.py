"""LLM mode of an answer, and the queries a question is retrieved with: what the service
asks a configured chat model (LangChain), kept apart so ``service`` stays the
orchestration. Without a model, only the follow-up rule of ``retrieval_queries`` runs."""
from __future__ import annotations

from typing import Iterator

from langchain_core.language_models.chat_models import BaseChatModel

from knowledge import answer as ans
from knowledge.lang import name as lang_name
from knowledge.llm import complete
from knowledge.query import is_follow_up
from knowledge.types import Answer, Source


def llm_stream(
    model: BaseChatModel, question: str, language: str, sources: list[Source], weak: list[Source], interviews: int,
    silent: list[str], n_weaker: int,
) -> Iterator[str | Answer]:
    """Stream a chat model's answer over numbered ``sources``, then the final ``Answer``;
    any failure, or a reply without one verifiable citation, falls back to the extractive
    answer with the reason in its notice."""
    flagged: list[str] = []
    pieces: list[str] = []
    try:
        for piece in ans.stream_llm(model, question, lang_name(language), sources, flagged):
            pieces.append(piece)
            yield piece
    except Exception as exc:  # unreachable, timeout, refused connection, bad reply: fall back
        why = f"{type(exc).__name__}: {str(exc)[:120]}"
        fb = ans.fallback_answer(question, language, sources, False, why, interviews, weak, silent, n_weaker)
        yield ("\n\n" if pieces else "") + fb.answer
        fb.flagged = flagged
        yield fb
        return
    text = ans.tidy("".join(pieces))
    if not text:  # nothing survived validation: the reply was garbage or all invented
        fb = ans.fallback_answer(question, language, sources, False, "its answer had no verifiable citations", interviews,
                                 weak, silent, n_weaker)
        fb.flagged = flagged
        yield fb.answer
        yield fb
        return
    cited = {int(n) for n in ans.CITE.findall(text)}
    used = [s for s in sources if s.n in cited] or sources
    yield Answer(question, language, "llm", text, used, False, ans.flag_notice(language, len(flagged)), flagged, weak, interviews,
                 silent, n_weaker)

def retrieval_queries(
    question: str, history: list[dict] | None, model: BaseChatModel | None, language: str
) -> tuple[str, tuple[str, ...]]:
    """The query to retrieve with (follow-ups made standalone) and extra queries
    (an LLM translation into the other language, when a model is configured)."""
    query = question
    prior = [h.get("content", "") for h in (history or []) if h.get("role") == "user" and h.get("content")]
    if prior and model is not None:
        convo = "\n".join(f"{h.get('role')}: {str(h.get('content', ''))[:500]}" for h in (history or [])[-6:])
        try:
            query = complete(model, "condense", history=convo, question=question) or question
        except Exception:
            query = question
    elif prior and is_follow_up(question):
        # without a model: an elliptical follow-up ("and the barriers?") borrows the previous question's words
        query = f"{prior[-1]} {question}"
    extra: tuple[str, ...] = ()
    if model is not None:
        target = lang_name("da" if language == "en" else "en")
        try:
            extra = (complete(model, "translate", target=target, question=query)[:500],)
        except Exception:
            extra = ()
    return query, extra
