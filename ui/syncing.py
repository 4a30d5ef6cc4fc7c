"""Running a sync from the UI (the sample on first start, a resync, an upload) with a
progress bar, and showing its report. The sync itself is ingest's, run in a worker
thread (ingest.sync.Job) that outlives the script run which started it; this only
follows it and refreshes the cached index afterwards."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from knowledge.settings import Settings
from ui.state import LAST_SYNC, explain, refresh_after_sync
from ui.text import escape_md


def interview_files(folder: Path) -> list[Path]:
    """The files a folder sync would read (no READMEs, sidecars, hidden files, links
    leading out of the folder, FIFOs)."""
    from ingest.sync import discover

    if not folder.is_dir():
        return []
    return [t.path for t in discover([folder]).targets]


UI_LOCK_TIMEOUT = 5.0  # seconds: a page must not hang for lock_timeout while a CLI ingest runs
JOB = "ingest-job"  # session_state: the sync or upload this session started, until its outcome is shown


def _for_ui(settings: Settings) -> Settings:
    return settings.model_copy(update={"lock_timeout": min(settings.lock_timeout, UI_LOCK_TIMEOUT)})


def progress_text(label: str, p: Any) -> str:
    from ingest.sync import describe_progress

    return f"{label} {describe_progress(p)}"


def _fraction(p: Any) -> float:
    if p.phase in ("starting", "checking", "reading"):  # reading: a text-first pass, its own count in the text
        return 0.0
    if p.phase in ("removing", "done") or not p.files_total:
        return 1.0
    return min(max(p.files_done / p.files_total, 0.0), 1.0)


# -- syncs and uploads run as jobs: leaving the page never cuts one short -------------------
def start_upload(files: list[tuple[str, bytes]], settings: Settings) -> None:
    """Save and index uploads in a worker thread (ingest.uploads.start_uploads)."""
    from ingest.uploads import start_uploads

    job = start_uploads(files, _for_ui(settings))
    st.session_state[JOB] = {"kind": "upload", "job": job, "label": "Saving and indexing uploads…"}


def start_folder_sync(settings: Settings, *, rebuild: bool = False, paths: list[Path] | None = None) -> None:
    from ingest.sync import start_sync

    job = start_sync(paths or [settings.interviews_dir], _for_ui(settings), rebuild=rebuild)
    label = "Rebuilding the store…" if rebuild else "Reading and indexing interviews…"
    st.session_state[JOB] = {"kind": "sync", "job": job, "label": label}


def job_kind() -> str | None:
    """"upload" or "sync" while this session has one whose outcome is not shown yet."""
    entry = st.session_state.get(JOB)
    return entry["kind"] if entry else None


def finish_job(settings: Settings) -> Any:
    """Show this session's job's progress until it ends, then record its outcome for the
    report (LAST_SYNC) and return it (a SyncReport or an UploadResult); AppError on failure.

    The job runs in its own thread: if this script run is stopped meanwhile (a rerun, a
    click, another page, a closed tab), Streamlit raises out of the progress update and
    only the waiting stops; the next run of the Ingest page picks the job up again."""
    entry = st.session_state.get(JOB)
    if not entry:
        return None
    job, label = entry["job"], entry["label"]
    bar = st.progress(0.0, text=escape_md(label))

    def draw(p: Any) -> None:
        bar.progress(_fraction(p), text=escape_md(progress_text(label, p)))

    try:
        outcome = job.follow(draw, poll=0.2)
    except Exception as exc:
        st.session_state.pop(JOB, None)
        bar.empty()
        raise explain(exc, settings) from exc
    st.session_state.pop(JOB, None)
    bar.empty()
    if entry["kind"] == "upload":
        report = outcome.report
        record = {
            "report": report.to_json() if report else None,
            "seconds": report.seconds if report else 0.0,
            "rejected": outcome.rejected,
            "uploaded": outcome.saved,
        }
    else:
        report = outcome
        record = {"report": report.to_json(), "seconds": report.seconds, "rejected": []}
    if report is not None:
        refresh_after_sync(settings)
    st.session_state[LAST_SYNC] = record
    return outcome


def sync_folder(settings: Settings, *, rebuild: bool = False, paths: list[Path] | None = None) -> Any:
    """Sync the interviews folder (or ``paths``) into the store; AppError on failure."""
    start_folder_sync(settings, rebuild=rebuild, paths=paths)
    return finish_job(settings)


def upload_and_sync(files: list[tuple[str, bytes]], settings: Settings) -> Any:
    start_upload(files, settings)
    return finish_job(settings)


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
    # links leading out of the folder, FIFOs and devices: never read, on purpose
    skipped = [s for s in report.get("skipped") or [] if Path(str(s.get("path", ""))).name not in rolled_back]

    if problems and not (counts["added"] or counts["updated"]):
        st.error(f"{len(problems)} file(s) could not be added. The store was left as it was.", icon=":material/error:")
    elif problems:
        st.warning(f"Done, but {len(problems)} file(s) could not be added.", icon=":material/warning:")
    else:
        note = f" {len(skipped)} file(s) were skipped (see below)." if skipped else ""
        st.success(_summary_line(counts, last.get("seconds") or 0.0, report) + note, icon=":material/check_circle:")

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
    if skipped:
        with st.expander(f"Skipped ({len(skipped)})", expanded=len(skipped) <= 10, icon=":material/block:"):
            for s in skipped:
                st.markdown(f"**{escape_md(str(s.get('path', '')) or '?')}**  \n{escape_md(s.get('reason', ''))}")


def _summary_line(counts: dict[str, int], seconds: float, report: dict[str, Any]) -> str:
    changed = counts["added"] + counts["updated"] + counts["removed"]
    total = f"The store now holds {report.get('documents', '?')} interviews, {report.get('chunks', '?')} quotes."
    if not changed:
        return f"Everything was already up to date. {total}"
    return (f"Synced in {seconds:.1f}s. " if seconds else "Synced. ") + total
