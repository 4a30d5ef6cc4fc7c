"""``python -m knowledge ask | search | list | hash-password``: the question-answering CLI.

Errors a user can fix (no store, wrong embedder, bad filter) print one line and
exit 1; usage errors exit 2 (click's convention).
"""
from __future__ import annotations

from pathlib import Path

import click

from knowledge.cli_auth import hash_password
from knowledge.cli_common import _emit, _filters, _run, _service, filter_opt, json_opt, k_opt, store_opt
from knowledge.cli_erase import erase
from knowledge.cli_matrix import export, matrix
from knowledge.cli_themes import themes


@click.group(help="Ask questions of the interviews in the Casebase store.")
def cli() -> None:
    pass


@cli.command(help="Answer QUESTION (Danish or English) with cited verbatim quotes.")
@click.argument("question")
@store_opt
@k_opt
@click.option("--mode", type=click.Choice(["extractive", "llm"]), default="extractive", show_default=True)
@filter_opt
@json_opt
def ask(question: str, store: Path | None, k: int | None, mode: str, filters: tuple[str, ...], as_json: bool) -> None:
    flt = _filters(filters)

    def go():
        svc = _service(store)
        if as_json:
            _emit(svc.ask(question, k=k, filters=flt, mode=mode).to_dict())
            return
        final = None
        for piece in svc.ask_stream(question, k=k, filters=flt, mode=mode):
            if isinstance(piece, str):
                click.echo(piece, nl=False)
            else:
                final = piece
        click.echo()
        if final and final.notice:
            click.echo(f"\nnote: {final.notice}", err=True)
        if final and final.sources:
            click.echo("\nSources:")
            for s in final.sources:
                click.echo(f"[{s.n}] ({s.relevance:.2f}) {s.citation()}")
        if final and final.weak:
            click.echo("\nWeaker matches (may not answer the question):")
            for s in final.weak:
                click.echo(f"- ({s.relevance:.2f}) {s.citation()}")

    _run(go)


MODE_HELP = (
    "auto: a \"quoted phrase\" is a phrase, one or two words are words, anything longer is meaning. "
    "words: quotes containing every word, in any inflection (Danish and English stemming). "
    "phrase: quotes containing the exact phrase (case-insensitive, whole words). "
    "meaning: semantic search, in Danish or English."
)


@cli.command(help="Find verbatim quotes for QUERY, without composing an answer: by its words, an exact phrase, or its meaning (see --mode).")
@click.argument("query")
@store_opt
@k_opt
@click.option("--mode", type=click.Choice(["auto", "words", "phrase", "meaning"]), default="auto", show_default=True, help=MODE_HELP)
@filter_opt
@json_opt
def search(query: str, store: Path | None, k: int | None, mode: str, filters: tuple[str, ...], as_json: bool) -> None:
    flt = _filters(filters)

    def go():
        found = _service(store).find(query, mode=mode, k=k or 10, filters=flt)
        if as_json:
            _emit(found.to_dict())
            return
        hits = found.sources
        if found.mode != "meaning":
            more = f" (showing {len(hits)}; --k for more)" if found.total > len(hits) else ""
            click.echo(found.count_line() + more)
        elif not hits:
            click.echo("The store has no quotes to search (or none the filters leave).")
        if found.not_yet_searchable:
            n = len(found.not_yet_searchable)
            click.echo(f"note: {n} interview{' was' if n == 1 else 's were'} not yet searchable by meaning "
                       "(ingest in progress); word and phrase search already find their quotes.", err=True)
        for h in hits:
            # a meaning search ranks; how well each quote matches is its relevance, weak ones said so
            rate = f"{h.relevance:.2f}{' weak' if h.weak else ''}" if found.mode == "meaning" else f"{h.score:.3f}"
            click.echo(f"[{h.n}] ({rate}) {h.citation()}")

    _run(go)


@cli.command("list", help="List the interviews in the store with their metadata.")
@store_opt
@json_opt
def list_(store: Path | None, as_json: bool) -> None:
    def go():
        items = _service(store).interviews()
        if as_json:
            _emit({"interviews": items})
            return
        if not items:
            click.echo("The store has no interviews yet. Add some with: python -m ingest PATH")
        for it in items:
            who = ", ".join(p for p in (it.get("interviewee"), it.get("role"), it.get("organisation")) if p)
            click.echo(f"{it['doc_id']}  {who}  [{it.get('case', '')}]  {it['n_chunks']} chunks")

    _run(go)


cli.add_command(themes)
cli.add_command(matrix)
cli.add_command(export)
cli.add_command(hash_password)
cli.add_command(erase)

if __name__ == "__main__":
    cli(prog_name="python -m knowledge")
