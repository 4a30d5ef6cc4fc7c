"""What a theme export holds: the themes with their codings, and the interviews' texts.
The CLI's ``export`` and the app's export buttons both build on this."""
from __future__ import annotations


def export_set(svc, specs: list[str], proposed: bool):
    """(themes, codings) to export: the saved themes (or those named / defined by
    ``specs``) with their accepted codings, and with ``proposed`` the matrix's unreviewed
    quotes. The app's export buttons use the same function."""
    saved = svc.saved_themes()
    themes = svc.resolve_themes(specs) if specs else saved
    known = {t.name for t in saved}  # an ad-hoc theme has no codings, only proposals
    codings = [c for t in themes if t.name in known for c in svc.themes.codings(t.name, "accepted")]
    if proposed:
        codings += [c for c in svc.matrix(themes).codings() if c.status == "proposed"]
    return themes, codings


def not_yet_searchable(svc) -> list[str]:
    """The interviews an ingest is still writing vectors for: the matrix proposed nothing
    from them yet, so an export with proposals must not pass them off as uncoded."""
    return svc.corpus().waiting_interviews()


def pending_notice(n: int) -> str:
    """What an export with proposals says about them ("" for none)."""
    if not n:
        return ""
    many = n != 1
    return (f"{n} interview{'s' if many else ''} {'were' if many else 'was'} not yet searchable by meaning "
            "(ingest in progress): no quotes are proposed from "
            f"{'them' if many else 'it'} yet, which is not 'no match found'. Export again when the ingest is done.")


def documents(svc) -> dict[str, dict]:
    """Every interview's text and who was interviewed (the QDA project's sources and cases),
    and whether meaning search could see it yet (``not_yet_searchable``)."""
    corpus = svc.corpus()
    waiting = set(corpus.waiting_interviews())
    speakers: dict[str, list[str]] = {}  # who speaks in each interview: pseudonymised exports name them all
    for doc_id, speaker in zip(corpus.columns["doc_id"], corpus.columns["speaker"]):
        if speaker and speaker not in speakers.setdefault(doc_id, []):
            speakers[doc_id].append(speaker)
    out = {}
    for rec in svc.interviews():
        body = svc.store.document_body(rec["doc_id"]) or {}
        out[rec["doc_id"]] = {"text": body.get("text", ""), "interviewee": rec.get("interviewee", ""), "role": rec.get("role", ""),
                              "organisation": rec.get("organisation", ""), "case": rec.get("case", ""),
                              "source_path": rec.get("source_path", ""), "speakers": speakers.get(rec["doc_id"], []),
                              "not_yet_searchable": rec["doc_id"] in waiting}
    return out
