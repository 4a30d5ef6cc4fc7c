"""``python -m knowledge themes ...``: define themes and code quotes into them.

Errors a user can fix (unknown theme, unknown chunk id, a name already taken, an
unusable themes database) print one line ``error: ...`` and exit 1, like the rest
of the CLI.
"""
from __future__ import annotations

from pathlib import Path

import click

from knowledge.cli_common import _emit, _go, _service, json_opt, store_opt  # noqa: F401  (_go, _emit re-exported)


def _fresh(svc) -> None:
    """Bring the codings' anchors up to date with the store (only when there are any:
    managing themes needs no store)."""
    if svc.themes.has_codings():
        svc.corpus()


def _source(svc, chunk_id: str):
    source = svc.source_of(chunk_id)
    if source is None:
        raise ValueError(f"no quote with chunk id '{chunk_id}' in {svc.settings.describe_store()} "
                         "(ids change when a file is re-ingested; find it again with `python -m knowledge search --json`)")
    return source


@click.group(help="Themes: named questions whose quotes you accept (code) or reject.")
def themes() -> None:
    pass


@themes.command(help="Add theme NAME with one or more questions or search phrases (Danish or English); "
                     "without --question, NAME itself is the search phrase (as in the app).")
@click.argument("name")
@click.option("--question", "-q", "questions", multiple=True, help="A question or search phrase; repeatable.")
@click.option("--color", default=None, help="#RRGGBB (default: the next colour of the palette).")
@store_opt
def add(name: str, questions: tuple[str, ...], color: str | None, store: Path | None) -> None:
    def go():
        t = _service(store).themes.add(name, [q for q in questions if q.strip()] or [name], color)
        click.echo(f"Added theme '{t.name}' ({t.color}) with {len(t.questions)} question(s).")

    _go(go)


@themes.command("list", help="List the themes with their questions and how many quotes are accepted, rejected and lost.")
@store_opt
@json_opt
def list_(store: Path | None, as_json: bool) -> None:
    def go():
        svc = _service(store)
        _fresh(svc)
        counts = svc.themes.counts()
        items = [{**t.to_dict(), **counts.get(t.name, {"accepted": 0, "rejected": 0, "lost": 0})} for t in svc.themes.list()]
        if as_json:
            _emit({"themes": items})
            return
        if not items:
            click.echo("No themes yet. Add one with: python -m knowledge themes add NAME --question Q")
        for it in items:
            lost = f", {it['lost']} lost" if it["lost"] else ""
            click.echo(f"{it['name']}  {it['color']}  {it['accepted']} accepted, {it['rejected']} rejected{lost}")
            for q in it["questions"]:
                click.echo(f"  - {q}")

    _go(go)


@themes.command(help="Remove theme NAME and every decision made for it.")
@click.argument("name")
@store_opt
def remove(name: str, store: Path | None) -> None:
    def go():
        n = _service(store).themes.remove(name)
        click.echo(f"Removed theme '{name}' and its {n} coding(s).")

    _go(go)


@themes.command(help="Rename theme OLD to NEW (its codings stay).")
@click.argument("old")
@click.argument("new")
@store_opt
def rename(old: str, new: str, store: Path | None) -> None:
    def go():
        t = _service(store).themes.rename(old, new)
        click.echo(f"Renamed theme '{old}' to '{t.name}'.")

    _go(go)


def _decide(name: str, chunk_id: str, found_by: str, store: Path | None, reject: bool) -> None:
    def go():
        svc = _service(store)
        svc.themes.require(name)  # an unknown theme fails before the store is opened
        source = _source(svc, chunk_id)
        before = {(c.source.doc_id, c.source.start, c.source.end): c.status for c in svc.themes.codings(name)}
        coding = (svc.themes.reject if reject else svc.themes.code)(name, source, found_by)
        was = before.get((source.doc_id, source.start, source.end))
        changed = f" (it was {was} before)" if was and was != coding.status else ""
        click.echo(f"{'Rejected for' if reject else 'Coded into'} '{coding.theme}'{changed}: {source.citation()}")

    _go(go)


found_by_opt = click.option("--found-by", default="", help="The question that found the quote (kept for evaluation).")


@themes.command(help="Accept the quote CHUNK_ID (from search --json) into theme NAME.")
@click.argument("name")
@click.argument("chunk_id")
@found_by_opt
@store_opt
def code(name: str, chunk_id: str, found_by: str, store: Path | None) -> None:
    _decide(name, chunk_id, found_by, store, reject=False)


@themes.command(help="Reject the quote CHUNK_ID for theme NAME: it is never proposed for it again.")
@click.argument("name")
@click.argument("chunk_id")
@found_by_opt
@store_opt
def reject(name: str, chunk_id: str, found_by: str, store: Path | None) -> None:
    _decide(name, chunk_id, found_by, store, reject=True)


@themes.command(help="Forget the decisions on CHUNK_ID for theme NAME (accepted or rejected).")
@click.argument("name")
@click.argument("chunk_id")
@store_opt
def unmark(name: str, chunk_id: str, store: Path | None) -> None:
    def go():
        n = _service(store).themes.unmark(name, chunk_id)
        click.echo(f"Forgot {n} decision(s) on {chunk_id} for '{name}'.")

    _go(go)


@themes.command(help="Show the accepted quotes of theme NAME (default: every theme) with their citations; lost ones are flagged.")
@click.argument("name", required=False)
@store_opt
@json_opt
def codings(name: str | None, store: Path | None, as_json: bool) -> None:
    def go():
        svc = _service(store)
        if name is not None:
            svc.themes.require(name)  # an unknown theme fails before the store is opened
        _fresh(svc)
        found = svc.themes.codings(name, "accepted")
        if as_json:
            _emit({"codings": [c.to_dict() for c in found]})
            return
        if not found:
            click.echo("No accepted quotes yet." if name is None else f"No accepted quotes in '{name}' yet.")
        theme = None
        for c in found:
            if c.theme != theme:
                theme = c.theme
                click.echo(f"\n{theme}:")
            flag = {"lost": " [LOST: the text is no longer in the file]", "moved": " [moved: the file changed]"}.get(c.anchor, "")
            click.echo(f"- {c.source.citation()}{flag}")

    _go(go)
