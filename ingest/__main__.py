"""python -m ingest: sync interview files into the Casebase store."""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import click

from ingest.report import SyncProgress, SyncReport, describe_progress
from ingest.sync import SyncBusy, sync_paths
from knowledge.embeddings import EmbedderUnavailable
from knowledge.settings import settings_with
from knowledge.store import Store, StoreError


def _summary(report: SyncReport) -> str:
    lines = [
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, failed {len(report.failed)}, skipped {len(report.skipped)}",
        f"store: {report.documents} interviews, {report.chunks} chunks "
        f"({report.embedded} chunks embedded, {report.reused} reused, {report.seconds:.1f}s)",
    ]
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        lines += [f"  {label}: {doc_id}" for doc_id in ids]
    lines += [f"  FAILED: {f['error']}" for f in report.failed]
    lines += [f"  skipped: {s['path']}: {s['reason']}" for s in report.skipped]
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--store", "store", type=click.Path(path_type=Path), help="Store folder (default: CASEBASE_STORE or .casebase/store).")
@click.option("--rebuild", is_flag=True, help="Drop the store and embed everything again (e.g. after changing the embedder).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the report, nothing else.")
@click.option("--if-empty", is_flag=True, help="Only sync when the store holds no interviews yet (used by `make run`).")
def main(paths: tuple[Path, ...], store: Path | None, rebuild: bool, as_json: bool, if_empty: bool) -> None:
    """Sync interview files (txt, md, docx, pdf, html) into the store.

    PATHS are files or folders (default: data/interviews/). Unchanged files are
    not read again, changed files replace their old chunks, and files gone from a
    synced folder are removed. Only a folder's own files are read: links leading
    out of it, FIFOs and devices are reported as skipped. Exit 0 when all went in,
    1 when some failed.
    """
    show_bar = not as_json and sys.stderr.isatty()
    shown = {"at": 0.0, "width": 0}

    def progress(p: SyncProgress) -> None:
        now = time.monotonic()
        if not show_bar or (now - shown["at"] < 0.2 and p.phase != "done"):
            return
        shown["at"] = now
        width = max(20, shutil.get_terminal_size().columns - 1)
        line = describe_progress(p)[:width]
        sys.stderr.write("\r" + line.ljust(int(shown["width"])))
        sys.stderr.flush()
        shown["width"] = len(line)

    try:
        settings = settings_with(store=store)
        if if_empty and not rebuild:
            count = len(Store(settings).documents())
            if count:
                click.echo(f"The store already holds {count} interviews; not syncing ({settings.describe_store()}).", err=True)
                return
        report = sync_paths(list(paths) or [settings.interviews_dir], settings, rebuild=rebuild, progress=progress)
    # ValueError: an invalid CASEBASE_* setting (pydantic's ValidationError is one)
    except (StoreError, SyncBusy, EmbedderUnavailable, ValueError) as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    finally:
        if shown["width"]:
            sys.stderr.write("\r" + " " * int(shown["width"]) + "\r")
            sys.stderr.flush()

    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(_summary(report))
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main(prog_name="python -m ingest")
