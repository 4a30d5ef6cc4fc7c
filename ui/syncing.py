"""Running a sync from the UI (the sample on first start, a resync, an upload) with a
progress bar, and showing its report. The sync itself is ingest's; this only
drives it and refreshes the cached index afterwards."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import streamlit as st

from knowledge.settings import Settings
from ui.state import LAST_SYNC, AppError, explain, refresh_after_sync
from ui.text import escape_md


def interview_files(folder: Path) -> list[Path]:
    """The files a folder sync would read (no READMEs, sidecars or hidden files)."""
    from ingest.sync import discover

    if not folder.is_dir():
        return []
    return [t.path for t in discover([folder])[0]]


UI_LOCK_TIMEOUT = 5.0  # seconds: a page must not hang for lock_timeout while a CLI ingest runs


def _for_ui(settings: Settings) -> Settings:
    return settings.model_copy(update={"lock_timeout": min(settings.lock_timeout, UI_LOCK_TIMEOUT)})


def progress_bar(label: str) -> tuple[Callable[[int, int, str], None], Any]:
    bar = st.progress(0.0, text=label)

    def update(done: int, total: int, name: str) -> None:
        frac = done / total if total else 1.0
        text = f"{label} {done}/{total}" + (f" · {name}" if name else "")
        bar.progress(min(max(frac, 0.0), 1.0), text=escape_md(text))

    return update, bar


def sync_folder(settings: Settings, *, rebuild: bool = False, paths: list[Path] | None = None) -> Any:
    """Sync the interviews folder (or ``paths``) into the store; AppError on failure."""
    from ingest.sync import sync_paths

    targets = paths or [settings.interviews_dir]
    update, bar = progress_bar("Reading and indexing interviews…")
    try:
        report = sync_paths(targets, _for_ui(settings), rebuild=rebuild, progress=update)
    except Exception as exc:
        bar.empty()
        raise explain(exc, settings) from exc
    bar.empty()
    refresh_after_sync(settings)
    st.session_state[LAST_SYNC] = {"report": report.to_json(), "seconds": report.seconds, "rejected": []}
    return report


def upload_and_sync(files: list[tuple[str, bytes]], settings: Settings) -> Any:
    from ingest.uploads import ingest_uploads

    update, bar = progress_bar("Saving and indexing uploads…")
    try:
        result = ingest_uploads(files, _for_ui(settings), progress=update)
    except AppError:
        bar.empty()
        raise
    except Exception as exc:
        bar.empty()
        raise explain(exc, settings) from exc
    bar.empty()
    if result.report is not None:
        refresh_after_sync(settings)
    st.session_state[LAST_SYNC] = {
        "report": result.report.to_json() if result.report else None,
        "seconds": result.report.seconds if result.report else 0.0,
        "rejected": result.rejected,
        "uploaded": result.saved,
    }
    return result


def show_report(last: dict[str, Any]) -> None:
    """The outcome of the last sync: counts, then every file by what happened to it."""
    report = last.get("report") or {}
    rejected = last.get("rejected") or []
    failed = list(report.get("failed") or [])
    # an upload the sync rejected is reported once, as rejected (it was rolled back)
    rolled_back = {r["name"] for r in rejected}
    failed = [f for f in failed if Path(str(f.get("path", ""))).name not in rolled_back]
    counts = {k: len(report.get(k) or []) for k in ("added", "updated", "unchanged", "removed")}
    problems = failed + [{"path": r["name"], "error": r["error"]} for r in rejected]

    if problems and not (counts["added"] or counts["updated"]):
        st.error(f"{len(problems)} file(s) could not be added. The store was left as it was.", icon=":material/error:")
    elif problems:
        st.warning(f"Done, but {len(problems)} file(s) could not be added.", icon=":material/warning:")
    else:
        st.success(_summary_line(counts, last.get("seconds") or 0.0, report), icon=":material/check_circle:")

    cols = st.columns(5)
    for col, (label, n) in zip(cols, [*counts.items(), ("failed", len(problems))]):
        col.metric(label.capitalize(), n)
    for label in ("added", "updated", "removed"):
        ids = report.get(label) or []
        if ids:
            with st.expander(f"{label.capitalize()} ({len(ids)})", expanded=len(ids) <= 10):
                st.text("\n".join(ids))
    if problems:
        with st.expander(f"Failed ({len(problems)})", expanded=True, icon=":material/error:"):
            for p in problems:
                st.markdown(f"**{escape_md(Path(str(p.get('path', ''))).name or '?')}**  \n{escape_md(p.get('error', ''))}")


def _summary_line(counts: dict[str, int], seconds: float, report: dict[str, Any]) -> str:
    changed = counts["added"] + counts["updated"] + counts["removed"]
    total = f"The store now holds {report.get('documents', '?')} interviews, {report.get('chunks', '?')} quotes."
    if not changed:
        return f"Everything was already up to date. {total}"
    return (f"Synced in {seconds:.1f}s. " if seconds else "Synced. ") + total
