"""``python -m knowledge erase DOC_ID``: remove one interview from everything Casebase keeps.

Errors a user can fix (no such interview, a sync holding the store) print one line
``error: ...`` and exit 1, like the rest of the CLI.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from knowledge.cli_common import _emit, _run, json_opt, store_opt


@click.command(help="Erase the interview DOC_ID completely: its quotes, vectors, record, cached question vectors, "
                    "codings and rejections, the pseudonyms of people no other interview names, and Casebase's copy "
                    "of an uploaded file; then the store folder and the themes database are rewritten so no byte of "
                    "it is left. A file you keep in the interviews folder is not deleted (a resync would bring the "
                    "interview back). `python -m knowledge list` shows the doc_ids.")
@click.argument("doc_id")
@store_opt
@json_opt
def erase(doc_id: str, store: Path | None, as_json: bool) -> None:
    from knowledge.settings import settings_with

    def go():
        from knowledge.erase import erase_interview
        from knowledge.lock import SyncBusy
        from knowledge.themes import ThemeBookError

        try:
            report = erase_interview(settings_with(store=store), doc_id)
        except (SyncBusy, ThemeBookError, OSError) as exc:  # OSError: a file or the database cannot be written
            click.echo(f"error: {' '.join(str(exc).split())}", err=True)
            sys.exit(1)
        if as_json:
            _emit(report.to_dict())
            return
        click.echo(report.summary())
        if report.rewritten():
            click.echo(report.rewritten())
        for note in report.notices:
            click.echo(f"note: {note}", err=True)

    _run(go)
