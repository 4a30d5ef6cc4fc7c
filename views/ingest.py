"""Ingest: upload interview files or resync the interviews folder, then see what
happened to every file. The cached search index is refreshed right after."""
from __future__ import annotations

import streamlit as st

from ingest.loaders import SUPPORTED_EXTENSIONS
from knowledge.settings import Settings
from ui.auth import editor_unlock
from ui.page import open_page
from ui.render import show_error, show_stats
from ui.state import LAST_SYNC, AppError, format_when, last_report
from ui.syncing import finish_job, interview_files, job_kind, show_report, start_folder_sync, start_upload
from ui.text import escape_md

UPLOADER_GEN = "ingest-uploader-gen"  # bumping it gives a fresh, empty uploader after a sync


def main() -> None:
    st.title("Ingest", anchor=False)
    page = open_page("ingest-retry")
    if page is None:
        return
    show_stats(page.stats)

    if job_kind():
        # a sync or upload this session started is still running (or ended while the
        # page was left): follow it to its end, then show its report (a failure is
        # shown here, and the page goes on)
        run_job(page.settings)

    last = st.session_state.get(LAST_SYNC)
    if last:
        with st.container(border=True):
            st.subheader("Last sync", anchor=False)
            show_report(last)
    else:
        stored = last_report(page.svc)
        if stored:
            with st.expander(f"Last sync ({format_when(stored.get('at'))})", icon=":material/history:"):
                show_report({"report": stored, "seconds": 0.0, "rejected": []})

    # with an editor password configured, readers see what happened but change nothing
    if editor_unlock("ingest"):
        upload_section(page.settings)
        folder_section(page.settings)


def upload_section(settings: Settings) -> None:
    st.subheader("Upload interviews", anchor=False)
    kinds = sorted(e.lstrip(".") for e in SUPPORTED_EXTENSIONS)
    limit_mb = settings.max_file_bytes / (1024 * 1024)
    limit_chars = f"{settings.max_file_chars:,}"
    gen = st.session_state.setdefault(UPLOADER_GEN, 0)
    files = st.file_uploader(
        "Interview files",
        type=kinds,
        accept_multiple_files=True,
        key=f"uploader-{gen}",
        help=(
            f"{', '.join(kinds)}; up to {limit_mb:.0f} MB and {limit_chars} characters of text each. "
            "A file with the same name replaces the earlier version."
        ),
    )
    st.caption(
        f"Saved to {escape_md(str(settings.interviews_dir))} and indexed at once. "
        "Files that cannot be read are not kept, and the store stays as it was. "
        "Leaving this page does not interrupt an upload."
    )
    if not files:
        return
    label = f"Add {len(files)} file{'s' if len(files) != 1 else ''} to the case base"
    if st.button(label, type="primary", icon=":material/upload:", key="upload-go"):
        start_upload([(f.name, f.getvalue()) for f in files], settings)
        run_job(settings)


def folder_section(settings: Settings) -> None:
    st.subheader("Resync the interviews folder", anchor=False)
    folder = settings.interviews_dir
    files = interview_files(folder)
    st.caption(
        f"{escape_md(str(folder))} · {len(files)} file{'s' if len(files) != 1 else ''}. "
        "New and changed files are indexed, unchanged ones skipped, deleted ones removed from the store."
    )
    left, right = st.columns([0.5, 0.5])
    if left.button("Resync folder", icon=":material/sync:", key="resync", width="stretch"):
        run_folder_sync(settings, rebuild=False)
    with right.popover("Rebuild from scratch", icon=":material/restart_alt:", width="stretch"):
        st.caption(
            "Drops the store and embeds every interview again. Needed after changing the embedding model; "
            "takes longer than a resync."
        )
        # dropping the store is not undone by anything but the long re-embedding: ask first
        sure = st.checkbox("Yes, drop the store and embed every interview again", key="rebuild-confirm")
        if st.button("Rebuild now", type="primary", key="rebuild", disabled=not sure):
            st.session_state.pop("rebuild-confirm", None)
            run_folder_sync(settings, rebuild=True)


def run_folder_sync(settings: Settings, *, rebuild: bool) -> None:
    start_folder_sync(settings, rebuild=rebuild)
    run_job(settings)


def run_job(settings: Settings) -> None:
    """Follow this session's sync or upload to its end, then show the page afresh."""
    kind = job_kind()
    try:
        outcome = finish_job(settings)
    except AppError as err:
        show_error(err)
        return
    if kind == "upload":
        st.session_state[UPLOADER_GEN] = st.session_state.get(UPLOADER_GEN, 0) + 1  # a fresh, empty uploader
        if outcome is not None and outcome.saved:
            st.toast(f"Added {len(outcome.saved)} file(s)", icon=":material/check_circle:")
    st.rerun()


main()
