"""Who was interviewed, in which role, at which organisation, about which case.

Intro sentences are read as candidates ("NAME, ROLE på ORG har svaret",
"NAME (ROLE, ORG)", "NAME, ROLE, ORG.", "NAME, der er ROLE i ORG", …) and
each candidate is scored with general heuristics: an organisation tends to
end in a word like Bibliotekerne, Kommune, Museum, Library or Council, a role
in a word like leder, konsulent, bibliotekar, manager or director, and a
person's name is neither. The best-scoring candidate wins, the earliest on a
tie. Rules are general conventions, never tuned to one document.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .model import Interview, Span
from .parse_lines import Line, make_span

_UP = "A-ZÀ-ÖØ-ÞÆØÅ"
_WORD = rf"[{_UP}][\w’'\-]+"
# a name: two to four capitalised words (particles allowed), maybe wrapped in *emphasis*
_NAME = re.compile(
    rf"(?<![\w’'\-])(?P<em>\*\*|__|\*|_)?(?P<name>{_WORD}(?:[ \t]+(?:(?:af|von|van|de|der|la|le)[ \t]+)?{_WORD}){{1,5}})"
    r"(?P=em)?"
)
# Word endings that make a phrase an organisation (Danish compounds included:
# "Musikskole", "Jobcenter", "Kulturhuset"); short ones must be whole words.
_ORG_ENDINGS = (
    "bibliotek", "biblioteket", "biblioteker", "bibliotekerne", "kommune", "kommunen", "skole", "skolen",
    "skolerne", "museum", "museet", "museer", "center", "centret", "centeret", "centre", "centrum",
    "forening", "foreningen", "library", "libraries", "school", "council", "makerspace", "huset",
    "house", "klub", "klubben", "club", "trust", "foundation", "fonden", "university", "universitet",
    "universitetet", "college", "gymnasium", "gymnasiet", "akademi", "akademiet", "academy", "regionen",
    "ministeriet", "ministry", "styrelsen", "forvaltning", "forvaltningen", "institut", "instituttet",
    "institute", "selskab", "selskabet", "society", "teater", "teatret", "theatre", "theater", "kirken",
    "church", "hospital", "hospitalet", "netværket", "network", "agency", "department", "afdeling",
    "afdelingen", "sekretariat", "sekretariatet", "børnehave", "børnehaven", "kulturhus", "borgerhus",
    "medborgerhus", "partnership", "authority", "county", "bibliotheken", "company", "fællesskab",
)
_ORG_WORDS = frozenset({"hus", "hub", "fc", "a/s", "aps", "ltd", "inc", "gmbh", "i/s", "ivs", "amba"})
# Word endings that make a phrase a role ("Kommunikationschef", "biblioteksleder", "Head of …").
_ROLE_ENDINGS = (
    "chef", "leder", "konsulent", "bibliotekar", "manager", "coordinator", "koordinator", "director",
    "direktør", "head", "lead", "leader", "officer", "formand", "forkvinde", "medarbejder", "underviser",
    "lærer", "teacher", "librarian", "educator", "curator", "kurator", "rådgiver", "adviser", "advisor",
    "specialist", "assistant", "assistent", "vejleder", "pædagog", "sekretær", "secretary", "chair",
    "chairman", "chairwoman", "chairperson", "president", "founder", "stifter", "ejer", "owner",
    "ansvarlig", "consultant", "administrator", "producer", "producent", "formidler", "researcher",
    "forsker", "professor", "lektor", "ambassadør", "ambassador", "frivillig", "volunteer", "organiser",
    "organizer", "planner", "analyst", "analytiker", "borgmester", "mayor", "rektor", "principal",
    "headteacher", "coach", "træner", "trainer", "instruktør", "instructor", "kunstner", "artist",
    "journalist", "redaktør", "editor", "tovholder", "initiativtager", "udvikler", "developer",
    "ceo", "cfo", "coo", "cto", "partnerskabsansvarlig", "museumsinspektør", "inspektør", "worker",
    "skoleleder", "strateg", "strategist", "fundraiser",
)
# Capitalised words that open sentences, never a person's name.
_NOT_FIRST_NAME = frozenset(
    "the this that these our we vi det den de der en et interview interviewet transskription samtale "
    "case casen projekt projektet project notes note fictional fiktivt fiktiv om about in i on med with "
    "spørgsmål question svar answer partnerskabet partnership".split()
)
_FUNCTION = frozenset(
    "about om the a an og and with med which who som der hvor where when da når to til for af of "
    "et en".split()
)
_STRONG_PREP = r"på|hos|ved|at|with"  # "ROLE at ORG": where someone works
_PREP = rf"{_STRONG_PREP}|i|af|fra|of|for|from|in"
_VERBS = (
    r"har|have|has|svarer|svarede|answered|answers|fortæller|fortalte|talks|talked|tells|told|"
    r"explains|forklarer|deler|shares|shared|blev|was|er|is|om|about|giver|gives|reflekterer|"
    r"reflects|ser|looks|kigger|sætter|writes|skriver|describes|beskriver|says|siger"
)
_CLAUSE_END = re.compile(rf"[.;:()\n]|\s(?:{_VERBS})\b|,\s+(?:{_VERBS})\b|\s[–—]\s")
_COPULA = re.compile(
    r"\s*,?\s*(?:(?:der|som|who)\s+)?(?:er|is|var|was|arbejder som|works as)\s+(?:(?:an?|en|et)\s+)?"
)
_PAREN = re.compile(r"\s*\((?P<role>[^,()\n]{2,80}),\s*(?P<org>[^()\n]{2,80})\)")
_INLINE_LABEL = re.compile(
    r"(?:^|(?<=[.!?)]))[ \t]*(?P<key>Case|Casen|Projekt|Projektet|Project|Organisation|Organization|"
    r"Rolle|Role)[ \t]*:[ \t]*[*_]{0,2}(?P<value>[^\n.;()]{2,120}?)[*_]{0,2}[ \t]*(?=[.;(\n]|$)",
    re.MULTILINE,
)
LABEL_FIELDS = {
    "navn": "interviewee", "name": "interviewee", "interviewee": "interviewee",
    "interviewperson": "interviewee", "informant": "interviewee", "rolle": "role", "role": "role",
    "titel": "role", "title": "role", "stilling": "role", "position": "role",
    "organisation": "organisation", "organization": "organisation", "arbejdsplads": "organisation",
    "institution": "organisation", "virksomhed": "organisation", "company": "organisation",
    "case": "case", "casen": "case", "projekt": "case", "projektet": "case", "project": "case",
}
_PROJECT = re.compile(
    r"\b(?:[Pp]rojekt(?:et)?|[Pp]roject|[Cc]asen?|[Ii]nitiativ(?:et)?|[Pp]rogram(?:met|me)?|"
    r"[Ff]estival(?:en)?|[Ss]amarbejdet|[Pp]artnership|[Pp]artnerskab(?:et)?)\s+"
    r"(?:kaldet\s+|called\s+|named\s+)?"
    r"[’'‘“\"«»]([^’'”\"»“\n]{2,80}?)[’'”\"»“]"
    # or the other way round: 'the "Reading Goals" partnership', '"Læsebro"-projektet'
    r"|[’'‘“\"«»]([^’'”\"»“\n]{2,80}?)[’'”\"»“]-?\s*(?:[Pp]artnership|[Pp]roject|[Pp]rogram(?:me)?|"
    r"[Ii]nitiative|[Pp]rojekt(?:et)?|[Pp]artnerskab(?:et)?|[Ii]nitiativ(?:et)?)\b"
)


def _words(phrase: str) -> list[str]:
    return re.findall(r"[\w/]+", phrase.lower())


def _ends_in(words: list[str], endings: tuple[str, ...], whole: frozenset[str] = frozenset()) -> bool:
    return any(w in whole or w.endswith(endings) for w in words)


def looks_like_org(phrase: str) -> bool:
    """Bibliotekerne, Kommune, Museum, Library, Council, Hus, A/S, … anywhere in the phrase."""
    return _ends_in(_words(phrase), _ORG_ENDINGS, _ORG_WORDS)


def looks_like_role(phrase: str) -> bool:
    """leder, chef, konsulent, bibliotekar, manager, coordinator, director, Head, …"""
    return _ends_in(_words(phrase), _ROLE_ENDINGS)


def is_person_name(phrase: str) -> bool:
    words = _words(phrase)
    return bool(words) and words[0] not in _NOT_FIRST_NAME and not looks_like_org(phrase) and not any(
        w in _ROLE_ENDINGS for w in words
    )


@dataclass
class _Candidate:
    start: int
    name: str
    role: str
    org: str
    score: float


def _score(role: str, org: str, split_prep: str = "") -> float:
    """How much a (role, organisation) pair reads like one; below 0 it does not."""
    if not role or (org and not re.match(rf"[{_UP}\d\"“”'‘’]", org)):
        return -1  # organisations are proper names; "about the …" is no organisation
    rw, ow = _words(role), _words(org)
    if not rw or rw[0] in _FUNCTION or (ow and ow[0] in _FUNCTION) or len(rw) > 8 or len(ow) > 10:
        return -1
    if looks_like_org(role) and not looks_like_role(role):
        return -1  # "Mette Holm, Åby Bibliotek, Åby Kommune": an organisation is no role
    score = 0.0
    score += 3 if looks_like_role(role) else 0
    if org:
        score += 3 if looks_like_org(org) else (-2 if looks_like_role(org) and not looks_like_org(org) else 0)
        score += 1
    else:
        score -= 2
    for phrase in (role, org):  # "Head of Outreach at Harbour Centre": split at "at", not "of"
        if re.search(rf"\s(?:{_STRONG_PREP})\s+[{_UP}]", phrase):
            score -= 2
    if split_prep.lower() == "of":
        score -= 1
    return score


# An intro may name the organisation and no role ("Ida Berg, Byens Bibliotek, har svaret",
# "Ida Berg fra Byens Bibliotek", "Jane Doe, Riverside Library, answered"): that reading
# scores below any with a role, so a role-and-organisation reading still wins.
_ORG_ONLY = 0.5
_FROM = re.compile(rf"[ \t]+(?:fra|from|hos|ved|på|at|of)[ \t]+(?=[{_UP}\d\"“'‘])")


def _org_only(org: str) -> float:
    """The score of a reading with an organisation and no role; below 0 when org is none."""
    words = _words(org)
    # a proper name and nothing after it: "Vestby Bibliotek fremlagde tal" says what someone did
    if not words or not re.fullmatch(_CAP_PHRASE, org) or words[0] in _FUNCTION:
        return -1
    return _ORG_ONLY if looks_like_org(org) and not looks_like_role(org) else -1


def _clause(region: str, pos: int) -> str:
    m = _CLAUSE_END.search(region, pos)
    return region[pos: m.start() if m else len(region)]


def _role_org_splits(clause: str, copula: bool) -> list[tuple[str, str, str]]:
    """(role, org, the preposition split at) readings of "ROLE at ORG, …" / "ROLE, ORG"."""
    fields = [f.strip(" *_") for f in clause.split(",")]
    fields = [f for f in fields if f]
    if not fields:
        return []
    out: list[tuple[str, str, str]] = []
    if len(fields) >= 2 and not copula:
        out.append((fields[0], fields[1], ","))
    for m in re.finditer(rf"\s+({_PREP})\s+", fields[0]):
        out.append((fields[0][: m.start()], fields[0][m.end():], m.group(1)))
    if len(fields) == 1 or not copula:
        out.append((fields[0], "", ""))  # a role and no organisation
    return [(_tidy(r), _tidy(o), p) for r, o, p in out]


def _name_at(region: str, m: re.Match) -> tuple[int, str, str] | None:
    """(start, name, role named before it) for a name match, or None when it is no person.

    Leading words that open a sentence ("Interview With …") are dropped, and a
    role word in front of the name ("Projektleder Mette Lund",
    "kulturkonsulent Mette Lund") is kept as the role.
    """
    start, words = m.start("name"), m.group("name").split()
    before = re.search(r"([\w’'\-]+)[ \t]+$", region[max(0, start - 60): start])
    role = before.group(1) if before and looks_like_role(before.group(1)) else ""
    dropped: list[str] = []
    while len(words) > 2 and (
        len(words) > 4 or words[0].lower() in _NOT_FIRST_NAME or any(looks_like_role(w) for w in words[:-2])
    ):
        dropped = [] if words[0].lower() in _NOT_FIRST_NAME else dropped + [words[0]]
        start = region.index(words[1], start + len(words[0]))
        words = words[1:]
    if dropped and looks_like_role(dropped[-1]):
        role = " ".join(dropped)  # "Community Engagement Manager Sarah Whitfield"
    name = region[start: m.end("name")]
    return (start, name, role) if is_person_name(name) else None


def intro_candidates(region: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for m in _NAME.finditer(region):
        found = _name_at(region, m)
        if found is None:
            continue
        start, name, pre_role = found
        pos = m.end()
        if paren := _PAREN.match(region, pos):
            role, org = _tidy(paren.group("role")), _tidy(paren.group("org"))
            out.append(_Candidate(start, name, role, org, _score(role, org) + 1))
            continue
        if frm := _FROM.match(region, pos):  # "Ida Berg fra Byens Bibliotek har svaret"
            org = _tidy(_clause(region, frm.end()).split(",")[0])
            if (score := _org_only(org)) >= 0:
                out.append(_Candidate(start, name, pre_role, org, score + (3 if pre_role else 0)))
            continue
        cop = _COPULA.match(region, pos)
        if cop and cop.end() > pos:
            pos = cop.end()
        elif region.startswith(",", pos):
            pos += 1
        else:
            continue
        clause = _clause(region, pos)
        if not cop and not pre_role and (score := _org_only(org := _tidy(clause.split(",")[0]))) >= 0:
            out.append(_Candidate(start, name, "", org, score))  # "Ida Berg, Byens Bibliotek, har svaret"
        if pre_role:  # "Projektleder Mette Lund, Odense Bibliotekerne, fortæller"
            org = _tidy(clause.split(",")[0])
            if looks_like_org(org):
                out.append(_Candidate(start, name, pre_role, org, _score(pre_role, org)))
        for role, org, prep in _role_org_splits(clause, copula=bool(cop)):
            score = _score(role, org, prep)
            if prep == "," and not (looks_like_role(role) or looks_like_org(org)):
                continue  # "Karen Lund, Bo Berg, Ida Holm": a list of names, no role
            out.append(_Candidate(start, name, role, org, score))
    return [c for c in out if c.score >= 0 and (c.org or c.score >= 1)]


def _tidy(phrase: str) -> str:
    """Strip emphasis, commas and a dangling conjunction ("Kulturhuset Nord og")."""
    phrase = phrase.strip(" ,*_")
    return re.sub(r"\s+(?:og|and|samt|&)$", "", phrase).strip(" ,*_")


def fill_people(
    iv: Interview, text: str, lines: list[Line], labels: dict[str, str],
    first_q: int | None, speakers: Counter, title_line: Line | None,
) -> None:
    region = text[: first_q] if first_q is not None else text[:4000]
    candidates = intro_candidates(region)
    best = max(candidates, key=lambda c: (c.score, -c.start), default=None)
    if best is not None:
        iv.interviewee, iv.role, iv.organisation = best.name, best.role, best.org
        iv.intro = intro_span(text, lines, best.start, title_line)
    for m in _INLINE_LABEL.finditer(region):
        labels.setdefault(LABEL_FIELDS[m.group("key").lower()], m.group("value").strip())
    iv.interviewee = labels.get("interviewee", iv.interviewee)
    iv.role = labels.get("role", iv.role)
    iv.organisation = labels.get("organisation", iv.organisation)
    if not iv.interviewee and speakers:
        askers = {ln.speaker for ln in lines if ln.kind == "question" and ln.speaker}
        name, count = next(((n, c) for n, c in speakers.most_common() if n not in askers), ("", 0))
        if count >= 2:
            iv.interviewee = name
    iv.case = labels.get("case", "") or find_case(
        text, region, lines, title_line, best.start if best else None, (iv.interviewee, iv.organisation)
    )
    for key, value in labels.items():
        if key not in ("interviewee", "role", "organisation", "case"):
            iv.extra[key] = value


# "the Open Bench project", "projektet Læsebro", "Læsebro-projektet": a name without quotes
_CAP = rf"[{_UP}][\w’'&\-]*"
_CAP_PHRASE = rf"{_CAP}(?:[ \t]+(?:(?:i|på|for|og|of|the|and|at|in|on)[ \t]+)?{_CAP}){{0,4}}"
_UNQUOTED_PROJECT = re.compile(
    rf"\b[Tt]he\s+(?P<en>{_CAP}(?:[ \t]+{_CAP}){{0,3}})\s+(?:project|programme|program|initiative|partnership)\b"
    rf"|\b[Pp]rojekt(?:et)?[ \t]+(?P<da>{_CAP_PHRASE})"
    rf"|(?P<hy>{_CAP})-(?:projektet|projekt|project|initiativet|partnerskabet)\b"
)
# what the interview is about, in its intro: 'om "Bøger hos købmanden"', "om Digital Hjælp, et
# samarbejde med …", "about Open Bench, a weekly …", "om Fredagsklubben."
_ABOUT_QUOTED = re.compile(r"\b(?:om|omkring|about|on)\s+[“\"«»‘']([^“”\"«»’'\n]{2,60})[”\"«»’']")
_ABOUT = re.compile(rf"\b(?:om|omkring|about)\s+(?P<name>{_CAP_PHRASE})(?=\s*(?:[.;(]|,\s+(?:et|en|a|an|der|som|which|that)\b|$))")
# a heading naming the case: "CASEN" (the name follows), "Case:", "CASEN: GEMT I GÅRDENE"
_CASE_HEADING = re.compile(
    r"(?i)^[#>*_\s]*(?:om\s+)?(?:the\s+)?(?:case|casen|projekt|projektet|project)[*_\s]*(?::[*_\s]*(?P<value>\S.*?)?)?[*_\s]*$"
)
_GENERIC_TITLE = frozenset(
    "interview interviewet samtale samtalen transskription transskriberet transcript notes noter note "
    "reflections refleksioner case casen projekt project om about med with et en a an the".split()
)
_TITLE_SEPARATORS = re.compile(r"\s*:\s+|\s+[–—-]\s+|\s+\|\s+")


def find_case(
    text: str, region: str, lines: list[Line], title_line: Line | None, intro_at: int | None,
    others: tuple[str, ...] = (),
) -> str:
    """The case's name from the text's own cues, best first: a quoted project name
    ('projekt "X"', 'the "X" partnership', 'om "X"'), an unquoted one ("the X project",
    "projektet X"), a "CASEN" / "Case:" heading, what the intro says the interview is
    about ("om Digital Hjælp, et samarbejde …"), a name in the title ("Open Bench: a
    makerspace and …" → "Open Bench"); else a short title. ``others``: the interviewee and
    organisation, which an intro is also "about" but which name no case."""
    if project := _PROJECT.search(region) or _PROJECT.search(text):
        return (project.group(1) or project.group(2)).strip()
    if about := _ABOUT_QUOTED.search(region):
        return about.group(1).strip()
    if name := _unquoted_project(region) or _under_case_heading(text, lines):
        return name
    for m in _ABOUT.finditer(region):
        name = re.sub(r"[ \t]+(?:i|på|for|og|of|the|and|at|in|on)$", "", m.group("name"))
        if name not in others and _words(name)[0] not in _NOT_FIRST_NAME:
            return name
    if title_line is not None and not (intro_at is not None and title_line.start <= intro_at < title_line.end):
        title = title_line.title or text[title_line.start:title_line.end]
        return short_title(title, text[title_line.end:])
    return ""


def _unquoted_project(region: str) -> str:
    for m in _UNQUOTED_PROJECT.finditer(region):
        name = (m.group("en") or m.group("da") or m.group("hy")).strip()
        name = re.sub(r"(?:[ \t]+(?:i|på|for|og|of|the|and|at|in|on))+$", "", name)
        words = _words(name)
        if len(name) >= 3 and words and words[0] not in _NOT_FIRST_NAME and not looks_like_org(name):
            return name
    return ""


def _under_case_heading(text: str, lines: list[Line]) -> str:
    for i, ln in enumerate(lines):
        m = None if ln.kind in ("blank", "rule") else _CASE_HEADING.match(text[ln.start:ln.end])
        if m is None:
            continue
        if value := (m.group("value") or "").strip(" *_."):
            return _natural_case(value, text)
        nxt = next((n for n in lines[i + 1:] if n.kind not in ("blank", "rule")), None)
        if nxt is None:
            return ""
        line = text[nxt.start:nxt.end].strip(" #*_>")
        if len(line) <= 80 and not line.endswith((".", "!", "?")):
            return short_title(line, "")
        # "Læsebussen er et samarbejde mellem …": the sentence's subject, when it is a name
        m = re.match(rf"({_CAP}(?:[ \t]+{_CAP}){{0,3}})[ \t]+(?:er|var|is|was|blev|became|startede|started)\b", line)
        if m and _words(m.group(1))[0] not in _NOT_FIRST_NAME:
            return m.group(1)
        return ""
    return ""


def _natural_case(value: str, text: str) -> str:
    """"GEMT I GÅRDENE" as the text writes it elsewhere ("Gemt i Gårdene"), when it does."""
    if not value.isupper():
        return value
    for m in re.finditer(re.escape(value), text, re.IGNORECASE):
        if not m.group(0).isupper():
            return m.group(0)
    return value


def short_title(title: str, rest: str) -> str:
    """A title's name part: "Open Bench: a makerspace and a library share a workshop" →
    "Open Bench", "Interview: Læsebussen" → "Læsebussen", "Samtale om Nabohjælp" →
    "Nabohjælp"; a part the text goes on to mention wins; else the title, kept short."""
    title = " ".join(title.strip(" #*_").split())
    bare = re.sub(r"\s*\([^()]*\)", "", title).strip()  # "(Harbourside Library and Kestrel)"
    parts = [p.strip(" *_\"“”'") for p in _TITLE_SEPARATORS.split(bare) if p.strip(" *_")]

    def generic(part: str) -> bool:
        words = _words(part)
        return not words or words[0] in _GENERIC_TITLE

    named = [p for p in parts if p[:1].isupper() and len(p.split()) <= 6 and not generic(p)]
    if len(parts) > 1 and named:
        return next((p for p in named if p.casefold() in rest.casefold()), named[0])
    m = re.search(rf"\b(?:om|about|on)\s+(?:projektet\s+|the\s+)?({_CAP}(?:\s+\S+){{0,5}})$", bare)
    if m and generic(bare):
        return m.group(1)
    if all(w in _GENERIC_TITLE for w in _words(title)):
        return ""  # "Interview", "Transskription": no name at all
    return title if len(title.split()) <= 10 or len(parts) == 1 else parts[0]


def intro_span(text: str, lines: list[Line], pos: int, title_line: Line | None) -> Span | None:
    """The paragraph (run of non-blank text lines) holding the intro sentence."""
    idx = next((i for i, ln in enumerate(lines) if ln.start <= pos < max(ln.end, ln.start + 1)), None)
    if idx is None or lines[idx].kind != "text" or lines[idx] is title_line:
        return None
    lo = hi = idx
    while lo > 0 and lines[lo - 1].kind == "text" and lines[lo - 1] is not title_line:
        lo -= 1
    while hi + 1 < len(lines) and lines[hi + 1].kind == "text" and not lines[hi + 1].speaker:
        hi += 1
    return make_span(text, lines[lo].start, lines[hi].end)
