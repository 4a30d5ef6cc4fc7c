"""Who said it, in a dialogue transcript: each answering turn's label resolved to the
person the file names (a legend "M = Mette Holm", an intro, the front matter), or kept as
the speaker's own label. The turns themselves are ``parse_turns``'."""
from __future__ import annotations

import re

from .model import Interview, Person
from .parse_people import _NAME, _name_at, intro_candidates
from .parse_turns import _UP, ASKER_WORDS, Transcript, _generic, _is_label, _names_match, _norm, _resolve, _split_names


def preamble_names(text: str, first: int) -> list[tuple[str, str, str]]:
    """(name, role, organisation) of the people the preamble introduces, best reading first,
    then any other person named there (role and organisation unknown)."""
    region = text[:first]
    out: dict[str, tuple[str, str, str]] = {}
    for c in sorted(intro_candidates(region), key=lambda c: (-c.score, c.start)):
        out.setdefault(c.name.strip("*_ "), (c.name.strip("*_ "), c.role, c.org))
    for m in _NAME.finditer(region):
        found = _name_at(region, m)
        if found is not None:
            name = found[1].strip("*_ ")
            out.setdefault(name, (name, found[2], ""))
    return list(out.values())


# a key to the labels in the preamble: "I = interviewer, R = Lene Bach", "MH: Mette Holm"
_LEGEND = re.compile(rf"(?<![\w=])([{_UP}][\w.]{{0,11}})[ \t]*[=:][ \t]*([{_UP}][\w’'\-]+(?:[ \t]+[{_UP}][\w’'\-]+){{1,3}})")


def _legend(text: str, first: int) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _LEGEND.finditer(text, 0, first) if _is_label(m.group(1))}


def credit_turns(iv: Interview, tr: Transcript, meta: dict) -> None:
    """Name every turn's speaker, list the speakers, and settle the interviewee.

    Runs after the user's metadata is applied, so a sidecar's full name
    ("interviewee: Jonas Vestergaard") names the turns labelled "Jonas".
    """
    intro = preamble_names(iv.text, tr.first)
    main = _split_names(iv.interviewee)
    interviewer = str(meta.get("interviewer") or tr.interviewer or iv.extra.get("interviewer", "")).strip()
    full_labels = [t.label for t in tr.turns if len(t.label.split()) > 1 and not _generic(t.label)]
    known = main + [n for n, _, _ in intro] + ([interviewer] if interviewer else []) + full_labels
    info = {n: (r, o) for n, r, o in intro}
    legend = _legend(iv.text, tr.first)
    people: dict[str, Person] = {}  # by label
    for turn in tr.turns:
        if turn.label in people:
            people[turn.label].turns += 1
            continue
        if turn.label in legend and not (turn.asker and interviewer):
            name = _resolve(legend[turn.label], known) or legend[turn.label]
            role, org = info.get(name, ("", ""))
            people[turn.label] = Person(name, turn.label, turn.asker, role, org, 1)
            continue
        if turn.asker:
            if _norm(turn.label) in ASKER_WORDS:  # "I", "Q", "Interviewer": whoever the file names, if anyone
                name = interviewer
            elif interviewer and _names_match(turn.label, interviewer):
                name = interviewer
            else:
                name = _resolve(turn.label, known) or turn.label.strip()
        elif _generic(turn.label):
            name = main[0] if len(main) == 1 else ""  # "R" with no name known: unnamed, not "R"
        else:
            name = _resolve(turn.label, known) or turn.label.strip()
        role, org = info.get(name, ("", ""))
        people[turn.label] = Person(name, turn.label, turn.asker, role, org, 1)
    answering = list(dict.fromkeys(p.name for p in people.values() if not p.interviewer and p.name))
    named = [n for n in answering if not _generic(n)]
    if "interviewee" not in meta and len(named) > 1:
        first = [n for n in main[:1] if n in named] or named[:1]
        iv.interviewee = ", ".join(first + [n for n in named if n not in first])
    elif not iv.interviewee and named:
        iv.interviewee = named[0]
    # the main interviewee's role and organisation are the interview's (a sidecar's included)
    lead = main[0] if main else (named[0] if named else "")
    lead_person = next((p for p in people.values() if p.name == lead and not p.interviewer), None)
    if lead_person is not None:
        if not iv.role and not iv.organisation:
            iv.role, iv.organisation = lead_person.role, lead_person.organisation
        for p in people.values():
            if p.name == lead and not p.interviewer:
                p.role, p.organisation = iv.role, iv.organisation
    merged: dict[tuple[str, bool], Person] = {}
    for p in people.values():
        key = (p.name or p.label, p.interviewer)
        if key in merged:
            merged[key].turns += p.turns
        else:
            merged[key] = Person(p.name, p.label, p.interviewer, p.role, p.organisation, p.turns)
    iv.speakers = list(merged.values())
    if interviewer and "interviewer" not in iv.extra:
        iv.extra["interviewer"] = interviewer
    by_label = {label: p.name for label, p in people.items()}
    for qa in iv.qa:
        for a in qa.answers:
            a.speaker = by_label.get(a.speaker, a.speaker)
