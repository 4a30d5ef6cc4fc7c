"""``python -m knowledge matrix | export``: the theme matrix, and the coded quotes out
to a QDA tool (REFI-QDA), a spreadsheet or a report.

A THEME on the command line is ``NAME=QUESTION`` (the same NAME again adds a wording),
the name of a saved theme (``themes add``), or a question (its own name).
"""
from __future__ import annotations

from pathlib import Path

import click

from knowledge.cli_common import _emit, _filters, _go, _service, json_opt, store_opt
from knowledge.theme_export import documents, export_set, pending_notice

FILTER_HELP = "Only interviews with KEY=VALUE (organisation, interviewee, case, doc_id, language); repeatable."
THEME_HELP = "NAME=QUESTION, a saved theme's name, or a question. Repeat NAME=... to give a theme several wordings."


def _write(path: Path, data: bytes | str) -> None:
    from knowledge.exports import csv_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(data) if isinstance(data, str) and path.suffix.lower() == ".csv" else
                     data.encode("utf-8") if isinstance(data, str) else data)


@click.command(help="The theme matrix: for each interview (rows) and THEME (columns), its most relevant quotes, or nothing.")
@click.argument("themes", nargs=-1, required=True, metavar="THEME [THEME ...]")
@store_opt
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help=FILTER_HELP)
@click.option("--per-cell", type=click.IntRange(1, 10), default=2, show_default=True, help="At most this many quotes per cell.")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the matrix's quotes here, one per row with its citation.")
@click.option("--xlsx", "xlsx_out", type=click.Path(path_type=Path, dir_okay=False), help="Also write an Excel workbook: the grid, and one quote per row.")
@json_opt
def matrix(themes: tuple[str, ...], store: Path | None, filters: tuple[str, ...], per_cell: int,
           csv_out: Path | None, xlsx_out: Path | None, as_json: bool) -> None:
    flt = _filters(filters)

    def go():
        svc = _service(store)
        m = svc.matrix(svc.resolve_themes(list(themes)), filters=flt, per_cell=per_cell)
        _exports(m, csv_out, xlsx_out)
        if as_json:
            _emit(m.to_dict())
            return
        _print(m)

    _go(go)


def _exports(m, csv_out: Path | None, xlsx_out: Path | None) -> None:
    from knowledge.exports import QUOTE_COLUMNS, coding_row, quotes_csv, write_xlsx

    if csv_out:
        _write(csv_out, quotes_csv(m.codings()))
        click.echo(f"wrote {csv_out}", err=True)
    if xlsx_out:
        cols, grid = m.table()
        write_xlsx(xlsx_out, {"Matrix": (grid, cols), "Quotes": ([coding_row(c) for c in m.codings()], QUOTE_COLUMNS)})
        click.echo(f"wrote {xlsx_out}", err=True)
    if csv_out or xlsx_out:
        notice = pending_notice(len(m.not_yet_searchable()))
        if notice:
            click.echo(notice, err=True)


def _print(m) -> None:
    """One block per theme: the interviews that speak to it with their best quote, then
    those with only a weaker match or no match found (the question a matrix answers at a glance)."""
    from knowledge.matrix import NOT_YET

    n = len(m.rows)
    if not n:
        click.echo("The store has no interviews yet (or none match the filters). Add some with: python -m ingest PATH")
        return
    waiting = m.not_yet_searchable()
    if waiting:
        click.echo(f"An ingest is still writing vectors: {len(waiting)} of {n} interviews are not yet searchable by meaning, "
                   f"their cells without a quote are unknown ({NOT_YET}). Run the matrix again when it is done.")
    for t in m.themes:
        speaking = [r for r in m.rows if r.cells.get(t.name)]
        click.echo(f"\n## {t.name}  ({len(speaking)} of {n} interviews)")
        if t.questions != [t.name]:
            click.echo("   asked as: " + " | ".join(t.questions))
        for r in speaking:
            who = ", ".join(p for p in (r.interviewee, r.organisation) if p) or r.doc_id
            for c in r.cells[t.name]:
                mark = "coded" if c.status == "accepted" else f"{c.source.relevance:.2f}"
                quote = c.source.quote if len(c.source.quote) <= 160 else c.source.quote[:159] + "\u2026"
                click.echo(f"   [{mark}] {who}: \u201c{quote}\u201d  ({c.source.chunk_id})")
        silent = m.silent(t.name)
        none = m.unmatched(t.name)
        pending = m.pending(t.name)
        if pending:
            click.echo(f"   {NOT_YET}: " + "; ".join(r.interviewee or r.doc_id for r in pending))
        if none:
            # what was seen, not a claim about the interview: "says nothing" is never known
            click.echo("   no match found: " + "; ".join(r.interviewee or r.doc_id for r in none))
        maybe = [(r, r.possible[t.name][0]) for r in silent if r.possible.get(t.name)]
        if maybe:
            click.echo("   weaker matches there, to review (not counted as answers):")
            for r, c in maybe:
                quote = c.source.quote if len(c.source.quote) <= 120 else c.source.quote[:119] + "\u2026"
                click.echo(f"     ({c.source.relevance:.2f}) {r.interviewee or r.doc_id}: \u201c{quote}\u201d  ({c.source.chunk_id})")


@click.command(help="Export the saved themes' coded quotes: a REFI-QDA project (.qdpx) for ATLAS.ti, MAXQDA, NVivo or "
                    "QualCoder, the codebook alone (.qdc), CSV, Excel, or a Markdown report. Give one or more outputs.")
@click.option("--qdpx", type=click.Path(path_type=Path, dir_okay=False), help="REFI-QDA project: interviews, cases, themes as codes, coded quotes.")
@click.option("--qdc", type=click.Path(path_type=Path, dir_okay=False), help="REFI-QDA codebook: the themes alone.")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path, dir_okay=False), help="One quote per row with its citation.")
@click.option("--xlsx", "xlsx_out", type=click.Path(path_type=Path, dir_okay=False), help="The same as an Excel workbook.")
@click.option("--markdown", type=click.Path(path_type=Path, dir_okay=False), help="A report: per theme, its quotes by interview.")
@click.option("--theme", "theme_specs", multiple=True, metavar="THEME", help="Only these themes (saved names), or ad-hoc ones: " + THEME_HELP)
@click.option("--proposed", is_flag=True, help="Also the matrix's quotes nobody has reviewed yet, marked as proposed.")
@click.option("--pseudonymise", is_flag=True, help="Every person the metadata names becomes a stable code (P01, P02, ...) in "
              "every output: metadata, citations, quotes, interview texts; interview files become I01, ... The key "
              "(code -> name) is written apart, see --key.")
@click.option("--pseudonymise-organisations", "pseudo_orgs", is_flag=True,
              help="Organisations too (O01, ...); implies --pseudonymise.")
@click.option("--key", "key_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Where a pseudonymised export writes its key (default: OUT.key.csv beside the first output).")
@store_opt
def export(qdpx: Path | None, qdc: Path | None, csv_out: Path | None, xlsx_out: Path | None, markdown: Path | None,
           theme_specs: tuple[str, ...], proposed: bool, pseudonymise: bool, pseudo_orgs: bool, key_out: Path | None,
           store: Path | None) -> None:
    outputs = [p for p in (qdpx, qdc, csv_out, xlsx_out, markdown) if p]
    if not outputs:
        raise click.UsageError("give at least one of --qdpx, --qdc, --csv, --xlsx, --markdown")
    pseudonymise = pseudonymise or pseudo_orgs
    if key_out and not pseudonymise:
        raise click.UsageError("--key is the key of a pseudonymised export: give --pseudonymise too")
    key_path = (key_out or outputs[0].with_name(outputs[0].stem + ".key.csv")) if pseudonymise else None
    if key_path is not None and key_path.resolve() in {p.resolve() for p in outputs}:
        raise click.UsageError(f"the key {key_path} would overwrite an output: give --key another path")

    def go():
        from knowledge import pseudonymise as pseudo
        from knowledge import refi
        from knowledge.exports import markdown_report, quotes_csv, quotes_xlsx

        svc = _service(store)
        themes, codings = export_set(svc, list(theme_specs), proposed)
        if not themes:
            raise ValueError("no themes to export: save one with `python -m knowledge themes add NAME --question Q`, or give --theme")
        docs = documents(svc)
        notice = pending_notice(sum(bool(d.get("not_yet_searchable")) for d in docs.values())) if proposed else ""
        if key_path is not None:
            themes, codings, docs, p = pseudo.export_set(svc.settings.themes_path, themes, codings, docs, pseudo_orgs)
        if qdc:
            refi.write_qdc(qdc, themes)
        if qdpx:
            refi.write_qdpx(qdpx, themes, codings, docs, proposed=proposed)
        if csv_out:
            _write(csv_out, quotes_csv(codings))
        if xlsx_out:
            _write(xlsx_out, quotes_xlsx(codings))
        if markdown:
            _write(markdown, markdown_report(themes, codings, notice=notice))
        if key_path is not None:
            _write(key_path, pseudo.key_csv(p))
            click.echo(f"pseudonymised; the key (code -> name) is in {key_path}: keep it apart from the export", err=True)
        coded = sum(c.status == "accepted" for c in codings)
        lost = sum(c.anchor == "lost" for c in codings)
        click.echo(f"exported {len(themes)} theme(s), {coded} coded quote(s)"
                   + (f", {len(codings) - coded} proposed" if proposed else "")
                   + (f"; {lost} whose text is gone from its file (listed, not placed)" if lost else "")
                   + " to " + ", ".join(str(p) for p in (qdpx, qdc, csv_out, xlsx_out, markdown) if p))
        if notice:
            click.echo(notice, err=True)

    _go(go)
