"""Dialogue transcripts: every quote is one speaker's own words, credited to them.

Each convention is a small inline transcript (all fictional). For every one:
no chunk holds a speaker label or a timestamp, each answer is credited to the
person who said it, its question is the interviewer turn it answers, nothing
the interviewer or an editor wrote is credited to an interviewee, and every
chunk is a verbatim slice of the text.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunk import chunk_interview
from ingest.model import Chunk, Interview
from ingest.parse import parse_interview
from ingest.parse_people import short_title
from ingest.pipeline import read_interview

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "interviews"

_TIMESTAMP = re.compile(r"\d{1,2}:\d{2}")
_LABEL_AT_START = re.compile(r"^[*_\[(]*(?:[A-ZÆØÅ][\w.]*(?: [A-ZÆØÅ][\w.]*){0,2})[*_]*\s*[:(\[]")


def parse(text: str, meta: dict | None = None) -> Interview:
    return parse_interview(text, doc_id="t.txt", source_path="/tmp/t.txt", content_hash="e" * 64, meta=meta)


def chunks_of(iv: Interview, interviewer_turns: list[str] = (), named: bool = True) -> list[Chunk]:
    """Chunk iv and check what must hold for every transcript."""
    chunks = chunk_interview(iv)
    assert chunks
    for c in chunks:
        assert iv.text[c.start:c.end] == c.text
        assert not _TIMESTAMP.search(c.text), c.text
        if c.kind in ("answer", "turn"):
            assert not _LABEL_AT_START.match(c.text), c.text
            assert c.speaker or not named, c.text
        else:
            assert c.speaker == "", c.text  # an editor's intro or case description: no one said it
        for said in interviewer_turns:  # the interviewer's words are questions, never quotes
            assert said not in c.text
    return chunks


def answers(chunks: list[Chunk]) -> list[tuple[str, str, str]]:
    """(speaker, question, quote) of every answer."""
    return [(c.speaker, c.question, c.text) for c in chunks if c.kind == "answer"]


# --- I:/R: with [hh:mm:ss] timestamps, Danish ------------------------------------------

I_R_DANISH = """Læsebussen

Interview med Sara Kjær, bibliotekschef på Åby Bibliotek, om projektet "Læsebussen". Fiktivt.

[00:00:05] I: Hvordan startede Læsebussen?
[00:00:09] R: Det startede med en gammel bogbus. [00:00:15] Vi fik den billigt af kommunen.
[00:01:10] I: Mm.
[00:01:11] R: Og så malede eleverne den.

[00:02:00] I: Hvad var svært?
[00:02:04] R: Chaufføren. Vi havde ingen.
(griner)
[00:02:30] R: Nu har vi to frivillige.
[00:03:00] I: Tak for snakken.
"""


def test_i_r_turns_with_leading_timestamps() -> None:
    iv = parse(I_R_DANISH)
    assert (iv.interviewee, iv.role, iv.organisation, iv.case) == (
        "Sara Kjær", "bibliotekschef", "Åby Bibliotek", "Læsebussen",
    )
    assert iv.structure == "qa" and iv.warnings == []
    chunks = chunks_of(iv, ["Mm.", "Tak for snakken."])
    q1, q2 = "Hvordan startede Læsebussen?", "Hvad var svært?"
    assert answers(chunks) == [
        # a timestamp inside a turn splits it: no quote carries one
        ("Sara Kjær", q1, "Det startede med en gammel bogbus."),
        ("Sara Kjær", q1, "Vi fik den billigt af kommunen."),
        # "I: Mm." is the interviewer listening: the answer still answers question 1
        ("Sara Kjær", q1, "Og så malede eleverne den."),
        ("Sara Kjær", q2, "Chaufføren. Vi havde ingen."),
        ("Sara Kjær", q2, "Nu har vi to frivillige."),  # "(griner)" is a note, no one's words
    ]
    assert [q.number for q in iv.qa] == [1, 2]  # the closing thanks is no unanswered question
    intro = next(c for c in chunks if c.kind == "intro")
    assert intro.text.startswith("Interview med Sara Kjær") and intro.speaker == ""


# --- Interviewer:/Q:/A:, timestamps in parentheses after the label, English -------------

Q_A_ENGLISH = """Interviewer: Sofie Brandt

Q (00:00:12): How did the repair café start?
A (00:00:15): With a broken lamp and a retired electrician who wanted something to do.

Q (00:01:02): Who pays for it?
A (00:01:06): The library pays for the room. We pay for the tea.
A (00:01:30): Spare parts come from donations.
"""


def test_q_a_turns_with_timestamps_after_the_label() -> None:
    iv = parse(Q_A_ENGLISH, meta={"interviewee": "Ann Lee", "organisation": "Millbrook Library", "case": "Repair Café"})
    chunks = chunks_of(iv, ["How did the repair café start?", "Who pays for it?"])
    assert answers(chunks) == [
        ("Ann Lee", "How did the repair café start?", "With a broken lamp and a retired electrician who wanted something to do."),
        ("Ann Lee", "Who pays for it?", "The library pays for the room. We pay for the tea."),
        ("Ann Lee", "Who pays for it?", "Spare parts come from donations."),
    ]
    assert iv.extra["interviewer"] == "Sofie Brandt"
    assert [p.name for p in iv.speakers if p.interviewer] == ["Sofie Brandt"]


def test_generic_answer_label_without_a_known_name_credits_no_invented_person() -> None:
    iv = parse("Q: What did you learn?\nA: To ask early.\nQ: And next time?\nA: Ask earlier.\n")
    chunks = chunks_of(iv, ["What did you learn?", "And next time?"], named=False)
    assert [(c.speaker, c.question, c.text) for c in chunks] == [
        ("", "What did you learn?", "To ask early."), ("", "And next time?", "Ask earlier."),
    ]
    assert iv.interviewee == ""  # "A" is no name: unknown, and said so in a warning
    assert any("no interviewee" in w for w in iv.warnings)


# --- Name: labels, bare timestamps, Danish; the sample's sidecar names "Jonas" -----------

NAME_LABELS = """Interview med Jonas Vestergaard, daglig leder i Frivilligcenter Sydhavn, om Nabohjælp-projektet.

00:00 Interviewer: Hvordan begyndte samarbejdet?
00:04 Jonas: Med en klage fra boligforeningen.

Vi havde frivillige, men ingen adgang til beboerne.
00:41 Interviewer: Og hvad var svært?
00:45 Jonas: Tavshedspligten.
"""


def test_name_labels_resolve_to_the_full_name_from_the_intro() -> None:
    iv = parse(NAME_LABELS)
    assert (iv.interviewee, iv.organisation, iv.case) == ("Jonas Vestergaard", "Frivilligcenter Sydhavn", "Nabohjælp")
    chunks = chunks_of(iv, ["Hvordan begyndte samarbejdet?", "Og hvad var svært?"])
    assert answers(chunks) == [
        ("Jonas Vestergaard", "Hvordan begyndte samarbejdet?", "Med en klage fra boligforeningen."),
        # a turn's next paragraph is still his
        ("Jonas Vestergaard", "Hvordan begyndte samarbejdet?", "Vi havde frivillige, men ingen adgang til beboerne."),
        ("Jonas Vestergaard", "Og hvad var svært?", "Tavshedspligten."),
    ]


def test_first_name_label_resolves_through_metadata() -> None:
    text = "Interviewer: Hvad lærte I?\nJonas: At lytte.\nInterviewer: Og så?\nJonas: At vente.\n"
    iv = parse(text, meta={"interviewee": "Jonas Vestergaard", "role": "Daglig leder"})
    chunks = chunks_of(iv)
    assert {(c.speaker, c.role) for c in chunks} == {("Jonas Vestergaard", "Daglig leder")}


def test_the_bundled_transcript_never_quotes_a_label() -> None:
    iv = read_interview(SAMPLES / "frivilligcenter-transskription.txt", "frivilligcenter-transskription.txt")
    chunks = chunks_of(iv)
    assert all("Jonas:" not in c.text and "Interviewer:" not in c.text for c in chunks)
    said = [c for c in chunks if c.kind == "answer"]
    assert len(said) == 11 and {c.speaker for c in said} == {"Jonas Vestergaard"}
    assert said[0].question == "Kan du starte med at fortælle, hvordan samarbejdet med boligforeningen opstod?"
    assert said[0].text.startswith("Det begyndte faktisk med en klage.")
    case = [c for c in chunks if c.kind == "case"]
    assert len(case) == 1 and case[0].speaker == ""


# --- bold names, timestamps after the label, English -------------------------------------

BOLD = """**Q:** [00:12:31] What made you start?

**Mette:** [00:12:40] We had no room for the club.

**Q:** What was hard?

**Mette (00:14:02):** Insurance.
**Mette:** *[pause]*
**Mette:** And the keys.
"""


def test_bold_labels_and_timestamps_after_them() -> None:
    iv = parse(BOLD)
    chunks = chunks_of(iv, ["What made you start?", "What was hard?"])
    assert answers(chunks) == [
        ("Mette", "What made you start?", "We had no room for the club."),
        ("Mette", "What was hard?", "Insurance."),
        ("Mette", "What was hard?", "And the keys."),
    ]
    assert iv.interviewee == "Mette"  # the only name there is


def test_interviewer_named_in_metadata_and_a_whole_bold_turn() -> None:
    # Sofie asks without question marks; the sidecar says she is the interviewer
    text = "Sofie: Fortæl om starten.\n**Mona: Vi startede i en kælder.**\nSofie: Og økonomien.\nMona: Den var stram.\n"
    iv = parse(text, meta={"interviewer": "Sofie Brandt", "interviewee": "Mona Lind"})
    chunks = chunks_of(iv, ["Fortæl om starten.", "Og økonomien."])
    assert answers(chunks) == [
        ("Mona Lind", "Fortæl om starten.", "Vi startede i en kælder."),  # the closing "**" is no one's word
        ("Mona Lind", "Og økonomien.", "Den var stram."),
    ]
    assert [(p.name, p.interviewer) for p in iv.speakers] == [("Sofie Brandt", True), ("Mona Lind", False)]


def test_a_label_alone_on_its_line() -> None:
    text = "**Interviewer:**\nHow did it start?\n\n**Ann Lee:**\nWith a complaint.\n\n**Interviewer:**\nAnd then?\n\n**Ann Lee:**\nA café.\n"
    chunks = chunks_of(parse(text))
    assert answers(chunks) == [("Ann Lee", "How did it start?", "With a complaint."), ("Ann Lee", "And then?", "A café.")]


def test_export_style_name_and_time_line_without_colon() -> None:
    text = "Ann Lee  00:03\nShall I just start?\nInterviewer  00:05\nYes: how did it start?\nAnn Lee  00:07\nWith a complaint.\n"
    iv = parse(text)
    chunks = chunks_of(iv, ["Yes: how did it start?"])
    assert [(c.kind, c.speaker, c.question, c.text) for c in chunks] == [
        ("turn", "Ann Lee", "", "Shall I just start?"),  # said before any question
        ("answer", "Ann Lee", "Yes: how did it start?", "With a complaint."),
    ]


# --- two interviewees, English ---------------------------------------------------------------

TWO = """Storytime at the Pool: a library and a swimming club

A conversation with Mette Holm, Children's Librarian at Millbrook Library, and Karsten Dahl, Chair of Millbrook Otters Swim Club. Fictional.

Interviewer: How did you meet?

Mette: At a parents' evening. Karsten was handing out flyers.

Karsten: And Mette took a whole stack for the library.

Interviewer: What was hard?

Karsten: Wet books.

Mette: Finding a time between lessons.
"""


def test_two_interviewees_each_credited_with_their_own_words() -> None:
    iv = parse(TWO)
    assert iv.interviewee == "Mette Holm, Karsten Dahl"
    assert iv.case == "Storytime at the Pool"
    chunks = chunks_of(iv, ["How did you meet?", "What was hard?"])
    assert answers(chunks) == [
        ("Mette Holm", "How did you meet?", "At a parents' evening. Karsten was handing out flyers."),
        ("Karsten Dahl", "How did you meet?", "And Mette took a whole stack for the library."),
        ("Karsten Dahl", "What was hard?", "Wet books."),
        ("Mette Holm", "What was hard?", "Finding a time between lessons."),
    ]
    # who said it: each speaker with their own role and organisation; the interview keeps both
    by = {c.speaker: (c.role, c.organisation, c.interviewee) for c in chunks if c.kind == "answer"}
    assert by["Mette Holm"] == ("Children's Librarian", "Millbrook Library", "Mette Holm, Karsten Dahl")
    assert by["Karsten Dahl"] == ("Chair", "Millbrook Otters Swim Club", "Mette Holm, Karsten Dahl")
    karsten = next(c for c in chunks if c.speaker == "Karsten Dahl")
    assert karsten.embed_text.startswith("Karsten Dahl, Chair, Millbrook Otters Swim Club | Storytime at the Pool")
    assert karsten.metadata()["speaker"] == "Karsten Dahl"
    assert [(p.label, p.name, p.interviewer) for p in iv.speakers] == [
        ("Interviewer", "", True), ("Mette", "Mette Holm", False), ("Karsten", "Karsten Dahl", False),
    ]


def test_initials_with_a_legend_and_an_interviewer_found_by_question_marks() -> None:
    text = (
        "Samtale med Mette Holm og Karsten Dahl. MH = Mette Holm, KD = Karsten Dahl.\n\n"
        "SB: Hvordan mødtes I?\nMH: Til et borgermøde.\nKD: Og over en kop kaffe.\n"
        "SB: Hvad har I lært?\nMH: At tale sammen hver måned.\n"
    )
    iv = parse(text)
    chunks = chunks_of(iv, ["Hvordan mødtes I?", "Hvad har I lært?"])
    assert [s for s, _, _ in answers(chunks)] == ["Mette Holm", "Karsten Dahl", "Mette Holm"]
    assert [p.label for p in iv.speakers if p.interviewer] == ["SB"]


# --- sections, multi-paragraph turns, a question asked in two turns --------------------

SECTIONS = """Interviewer: Lad os starte med begyndelsen. Hvem tog initiativet?

Birgit: Det gjorde skolen.

Vi ringede til biblioteket i 2021.

## Del 2: Økonomi

Interviewer: Hvad kostede det?
Interviewer: Altså i kroner?
Birgit: Næsten ingenting.
"""


def test_sections_paragraphs_and_a_question_in_two_turns() -> None:
    iv = parse(SECTIONS)
    chunks = chunks_of(iv)
    assert answers(chunks) == [
        ("Birgit", "Lad os starte med begyndelsen. Hvem tog initiativet?", "Det gjorde skolen."),
        ("Birgit", "Lad os starte med begyndelsen. Hvem tog initiativet?", "Vi ringede til biblioteket i 2021."),
        ("Birgit", "Hvad kostede det? Altså i kroner?", "Næsten ingenting."),
    ]
    assert [c.section for c in chunks] == ["", "", "Del 2: Økonomi"]


# --- what is no transcript -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # metadata label lines and numbered questions: a Q&A interview
        "Navn: Ole Friis\nRolle: Centerleder\nCase: Fælles scene\n\nQ1: Hvad var formålet?\nSvar: At dele en scene.\n\n"
        "Spørgsmål 2: Hvad lagde I i det?\n- Lokaler.\n",
        # a prose text with a labelled note
        "Vi mødtes i 2019.\n\nNote: Teksten er forkortet.\n\nSiden har vi lavet tre projekter.\n",
        # one speaker only
        "Interviewer: Sofie Brandt\n\nInterviewer: Fortæl om jeres netværk.\nDet er stort.\n",
    ],
)
def test_not_a_transcript(text: str) -> None:
    iv = parse(text)
    assert iv.speakers == []


def test_q_and_a_answers_are_the_interviewees_and_the_intro_no_ones() -> None:
    iv = read_interview(SAMPLES / "herning-bibliotekerne-sansefortaellingen.txt", "herning.txt")
    chunks = chunk_interview(iv)
    assert {c.speaker for c in chunks if c.kind == "answer"} == {"Mikael Graaberg"}
    assert {c.speaker for c in chunks if c.kind in ("intro", "case")} == {""}


# --- the bundled transcripts -----------------------------------------------------------------


def test_bundled_danish_transcript() -> None:
    name = "fortaellebaenken-plejecenter-transskription.txt"
    iv = read_interview(SAMPLES / name, name)
    assert (iv.interviewee, iv.role, iv.organisation, iv.case) == ("Lene Bach", "formidler", "Solbakke Bibliotek", "Fortællebænken")
    assert iv.warnings == [] and len(iv.qa) == 6
    chunks = chunks_of(iv, ["Mm.", "Tak for det."])
    assert {c.speaker for c in chunks if c.kind == "answer"} == {"Lene Bach"}
    assert "Nu kommer vi klokken halv to, når frokosten er overstået." in [c.text for c in chunks]


def test_bundled_english_transcript_with_two_interviewees() -> None:
    name = "shelf-help-library-health-centre-transcript.txt"
    iv = read_interview(SAMPLES / name, name)
    assert iv.interviewee == "Grace Obi, Tom Fenwick" and iv.case == "Shelf Help"
    assert iv.warnings == [] and len(iv.qa) == 5
    chunks = chunks_of(iv)
    said = answers(chunks)
    assert [s for s, _, _ in said].count("Grace Obi") == 5 and [s for s, _, _ in said].count("Tom Fenwick") == 5
    tom = next(c for c in chunks if c.text.startswith("Time, for my staff."))
    assert (tom.speaker, tom.role, tom.organisation, tom.question) == (
        "Tom Fenwick", "Practice Manager", "Hollybrook Health Centre", "What has been difficult?",
    )


# --- case names from the text's cues -------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "case"),
    [
        ("Open Bench: a makerspace and a public library share a workshop", "Open Bench"),
        ("Læsebro – skole og bibliotek", "Læsebro"),
        ("Interview: Læsebussen", "Læsebussen"),
        ("Samtale om Nabohjælp i Sydhavn", "Nabohjælp i Sydhavn"),
        ("The Riverside Seed Library", "The Riverside Seed Library"),
        ("Transskription", ""),
    ],
)
def test_short_title(title: str, case: str) -> None:
    assert short_title(title, "") == case


@pytest.mark.parametrize(
    ("intro", "case"),
    [
        ("Anna Berg, leder på Åby Bibliotek, fortæller om the Story Walk project.", "Story Walk"),
        ("Vi har talt med Anna Berg, leder på Åby Bibliotek, om projektet Læsebussen og meget mere.", "Læsebussen"),
        ("Anna Berg, leder på Åby Bibliotek.\n\nCASEN\n\nLæsebussen er et samarbejde med skolerne.", "Læsebussen"),
        ("Anna Berg, leder på Åby Bibliotek.\n\nCase:\nLæsebussen", "Læsebussen"),
        ("Anna Berg, leder på Åby Bibliotek. Casen: Læsebussen.", "Læsebussen"),
    ],
)
def test_case_name_cues(intro: str, case: str) -> None:
    assert parse(intro + "\n\n1) Hvad lærte I?\n- Meget.\n").case == case


def test_makerspace_sample_case_is_its_name_not_its_title() -> None:
    name = "makerspace-library-open-bench.docx"
    assert read_interview(SAMPLES / name, name).case == "Open Bench"


# --- the speaker field downstream ------------------------------------------------------------


def test_older_stores_without_speaker_still_load() -> None:
    from knowledge.corpus import Columns
    from knowledge.types import Source

    cols = Columns.of([{"doc_id": "a.txt", "interviewee": "Ann", "kind": "answer", "language": "en"}], ["Hi."])
    assert cols.str["speaker"] == [""]
    source = Source(1, "a.txt", "c", "Hi.", "Ann", "", "", "", "", "/a.txt", 0, 3, 1.0)
    assert source.speaker == ""
    assert "\u2014 Ann" in source.citation()  # an answer from an older store is its interviewee's


def test_source_credits_the_speaker_and_not_an_intro() -> None:
    from knowledge.types import Source

    said = Source(1, "a", "c", "Wet books.", "Mette Holm, Karsten Dahl", "Chair", "Otters", "", "", "", 0, 10, 1.0,
                  speaker="Karsten Dahl")
    assert "\u2014 Karsten Dahl, Chair, Otters" in said.citation()
    intro = Source(2, "a", "c", "A conversation with …", "Mette Holm", "", "", "", "", "", 0, 10, 1.0, kind="intro")
    assert "\u2014" not in intro.citation() and "interview: Mette Holm" in intro.citation()
