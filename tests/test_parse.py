"""Text → Interview: the seed interview and other shapes, written inline."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load_file
from ingest.model import Interview
from ingest.parse import detect_language, parse_interview

SEED = Path(__file__).resolve().parent.parent / "data" / "interviews" / "herning-bibliotekerne-sansefortaellingen.txt"


def parse(text: str, meta: dict | None = None) -> Interview:
    iv = parse_interview(text, doc_id="doc.txt", source_path="/tmp/doc.txt", content_hash="f" * 64, meta=meta)
    assert_spans(iv)
    return iv


def assert_spans(iv: Interview) -> None:
    """The invariant: every span is a stripped, verbatim slice of iv.text."""
    spans = [iv.intro] if iv.intro else []
    spans += iv.case_description + iv.paragraphs
    for qa in iv.qa:
        spans += qa.answers + ([qa.question_span] if qa.question_span else [])
    for span in spans:
        assert iv.text[span.start:span.end] == span.text
        assert span.text and span.text == span.text.strip()
        assert span.text[0] not in "•●▪"


# --- the seed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Interview:
    return parse(load_file(SEED))


def test_seed_people_and_case(seed: Interview) -> None:
    assert seed.interviewee == "Mikael Graaberg"
    assert seed.role == "Kommunikationschef"
    assert seed.organisation == "Herning Bibliotekerne"
    assert "Sansefortællingen" in seed.case
    assert seed.language == "da"
    assert seed.structure == "qa" and seed.warnings == []


def test_seed_questions_and_bullets(seed: Interview) -> None:
    assert [q.number for q in seed.qa] == [1, 2, 3, 4, 5]
    assert seed.qa[1].question == "Hvad er de største udfordringer ved at arbejde med partnerskaber?"
    assert [len(q.answers) for q in seed.qa] == [4, 2, 2, 2, 3]
    assert seed.qa[1].answers[1].text == "Ting tager tid! Husk at eksterne partnere arbejder anderledes end dig selv."
    assert all(q.section == "“5 HURTIGE” TIL PARTNERSKABET" for q in seed.qa)


def test_seed_glued_heading_is_split(seed: Interview) -> None:
    assert [s.title for s in seed.sections] == ["PARTNERSKABET – ET KORT OPRIDS", "“5 HURTIGE” TIL PARTNERSKABET"]
    assert seed.intro is not None
    assert seed.intro.text.endswith("har svaret på de “5 hurtige”.")
    assert "PARTNERSKABET" not in seed.intro.text
    assert len(seed.case_description) == 3
    assert seed.case_description[0].text.startswith("Skabelse af projekt ’Sansefortællingen’")


# --- other shapes -------------------------------------------------------------------

PROSE_MD = """# Læsebro – skole og bibliotek

Vi har talt med Mette Dahl, som er skolebibliotekar på Søndermarkskolen, om samarbejdet med biblioteket.

**Hvorfor startede I samarbejdet?**

Eleverne læste for lidt i fritiden, og det kunne vi ikke løse alene.
Biblioteket havde bøgerne og formidlerne.

Samtidig ville biblioteket gerne nå flere børn.

**Hvad var svært?**

Skemaerne passede ikke sammen, og det tog tid at finde en fælles rytme.
"""


def test_prose_answers_are_paragraphs() -> None:
    iv = parse(PROSE_MD)
    assert (iv.interviewee, iv.role, iv.organisation) == ("Mette Dahl", "skolebibliotekar", "Søndermarkskolen")
    assert iv.case == "Læsebro"  # the title's name part, not the whole title
    assert [q.question for q in iv.qa] == ["Hvorfor startede I samarbejdet?", "Hvad var svært?"]
    first = [a.text for a in iv.qa[0].answers]
    assert first == [
        "Eleverne læste for lidt i fritiden, og det kunne vi ikke løse alene.\nBiblioteket havde bøgerne og formidlerne.",
        "Samtidig ville biblioteket gerne nå flere børn.",
    ]
    assert iv.intro is not None and iv.intro.text.startswith("Vi har talt med Mette Dahl")


LABELLED = """Navn: Ole Friis
Rolle: Centerleder
Organisation: Kulturcenter Nord
Case: Fælles scene

Q1: Hvad var formålet med partnerskabet?
Svar: At dele en scene mellem tre foreninger.

Spørgsmål 2: Hvilke ressourcer lagde I i det?
- Lokaler og teknik.
- To medarbejdere en dag om ugen.
"""


def test_q1_and_sporgsmal_labels_with_label_lines() -> None:
    iv = parse(LABELLED)
    assert (iv.interviewee, iv.role, iv.organisation, iv.case) == (
        "Ole Friis", "Centerleder", "Kulturcenter Nord", "Fælles scene",
    )
    assert [(q.number, q.question) for q in iv.qa] == [
        (1, "Hvad var formålet med partnerskabet?"),
        (2, "Hvilke ressourcer lagde I i det?"),
    ]
    assert [a.text for a in iv.qa[0].answers] == ["At dele en scene mellem tre foreninger."]
    assert [a.text for a in iv.qa[1].answers] == ["Lokaler og teknik.", "To medarbejdere en dag om ugen."]
    assert iv.case_description == []


UNNUMBERED = """Samtale med en frivillig koordinator om naboskab.

Hvordan kom I i gang?

Vi startede med et kaffemøde i opgangen. Der kom tolv beboere.

Hvad har I lært?

At det tager tid at skabe tillid. Man skal komme igen og igen.
Og man skal lytte mere end man taler.
"""


def test_unnumbered_questions_are_lines_ending_in_question_mark() -> None:
    iv = parse(UNNUMBERED)
    assert [q.question for q in iv.qa] == ["Hvordan kom I i gang?", "Hvad har I lært?"]
    assert [q.number for q in iv.qa] == [1, 2]
    assert iv.qa[1].answers[0].text.endswith("lytte mere end man taler.")
    assert [s.text for s in iv.case_description] == ["Samtale med en frivillig koordinator om naboskab."]


ENGLISH = """Interview with Grace Lin (Head of Outreach, Harbour Science Centre)

The partnership project "Science on Wheels" brings a mobile lab to rural schools.

1. What were the main obstacles?
- Transport costs were higher than planned.
- Schools booked late, so we could not plan routes.

2. How did you measure success?
We counted visits and asked teachers three questions:
1) Did pupils ask more questions afterwards?
2) Would you book again?
3) What should change?
"""


def test_english_interview_with_numbered_sub_bullets() -> None:
    iv = parse(ENGLISH)
    assert (iv.interviewee, iv.role, iv.organisation) == ("Grace Lin", "Head of Outreach", "Harbour Science Centre")
    assert iv.case == "Science on Wheels"
    assert iv.language == "en"
    assert [q.question for q in iv.qa] == ["What were the main obstacles?", "How did you measure success?"]
    assert len(iv.qa[0].answers) == 2
    # the numbered lines inside answer 2 form a consecutive list: answer bullets, not questions
    assert [a.text for a in iv.qa[1].answers][1:] == [
        "Did pupils ask more questions afterwards?", "Would you book again?", "What should change?",
    ]


TRANSCRIPT = """Interviewer: Hvad fik jer til at starte?
Karen: Vi manglede frivillige, og boligforeningen manglede kontakt til beboerne.
Interviewer: Hvad har været svært?
Karen: Tavshedspligten. Vi måtte ikke få navne på beboerne.
Karen: Og så tog det lang tid at lære hinandens sprog.
"""


def test_transcript_speaker_labels() -> None:
    iv = parse(TRANSCRIPT)
    assert [q.question for q in iv.qa] == ["Hvad fik jer til at starte?", "Hvad har været svært?"]
    assert [a.text for a in iv.qa[1].answers] == [
        "Tavshedspligten. Vi måtte ikke få navne på beboerne.",
        "Og så tog det lang tid at lære hinandens sprog.",
    ]
    assert iv.interviewee == "Karen"  # the answering speaker, when nothing better is said


def test_interviewer_label_names_or_asks() -> None:
    iv = parse("Interviewer: Sofie Brandt\n\nInterviewer: Fortæl om jeres netværk.\nDet er stort.\n")
    assert iv.extra == {"interviewer": "Sofie Brandt"}
    assert [q.question for q in iv.qa] == ["Fortæl om jeres netværk."]
    assert [a.text for a in iv.qa[0].answers] == ["Det er stort."]


def test_no_structure_falls_back_to_paragraphs_with_a_warning() -> None:
    text = "Vi mødtes første gang i 2019.\n\nSiden har vi lavet tre projekter sammen.\n\nDet har givet os et stort netværk.\n"
    iv = parse(text)
    assert iv.structure == "paragraphs"
    assert iv.qa == []
    assert [p.text for p in iv.paragraphs] == [
        "Vi mødtes første gang i 2019.",
        "Siden har vi lavet tre projekter sammen.",
        "Det har givet os et stort netværk.",
    ]
    assert any("no question/answer structure" in w for w in iv.warnings)


def test_question_without_answer_is_warned() -> None:
    iv = parse("1) Hvad er formålet?\n• At lære.\n\n2) Hvad er udfordringen?\n\n3) Hvad nu?\n• Videre.\n")
    assert [len(q.answers) for q in iv.qa] == [1, 0, 1]
    assert "question 2 has no answer" in iv.warnings


def test_meta_overrides_win_and_extras_are_kept() -> None:
    iv = parse(LABELLED, meta={"interviewee": "Ole B. Friis", "case": "Scenen", "language": "en", "region": "Nord"})
    assert (iv.interviewee, iv.case, iv.language) == ("Ole B. Friis", "Scenen", "en")
    assert iv.role == "Centerleder"
    assert iv.extra == {"region": "Nord"}


def test_missing_people_are_warned_not_invented() -> None:
    iv = parse("1) Hvad er formålet?\n• At lære af hinanden.\n")
    assert iv.interviewee == "" and iv.organisation == ""
    assert any("no interviewee" in w for w in iv.warnings)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Det var en god dag, og vi lærte meget af hinanden på biblioteket.", "da"),
        ("It was a good day and we learned a lot from each other at the library.", "en"),
        ("12345 ---", ""),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   \n\n  ", "?", "•", "1)", "# \n**\n---\n", "A\n?\n"])
def test_degenerate_texts_do_not_crash(text: str) -> None:
    parse(text)  # which also checks the span invariant


# --- people, organisations and clean questions (shapes found by the eval corpus) ----

MD_BOLD_NAME = """# Open Shelves: a library and a swimming club

*Written for testing.* A conversation with **Priya Nandakumar**, Youth Services Coordinator at Millbrook City Libraries, about the "Splash & Read" partnership with Millbrook Otters Swim Club.

## Why did you team up?

Parents waited an hour by the pool every week, so we brought books to the stands.

## **Q2:** What was hard?

Wet books. We switched to a cheap paperback collection.

### 3. *What would you do differently?*

Sign a written agreement before the first season.
"""


def test_markdown_intro_with_bold_name_and_org_that_looks_like_a_name() -> None:
    iv = parse(MD_BOLD_NAME)
    assert (iv.interviewee, iv.role, iv.organisation) == (
        "Priya Nandakumar", "Youth Services Coordinator", "Millbrook City Libraries",
    )
    assert iv.case == "Splash & Read"
    assert [q.question for q in iv.qa] == [
        "Why did you team up?", "What was hard?", "What would you do differently?",
    ]
    assert [q.number for q in iv.qa] == [1, 2, 3]
    for q in iv.qa:  # the span is verbatim and covers exactly the clean question
        assert q.question_span is not None and q.question_span.text == q.question
    assert iv.intro is not None and "Priya Nandakumar" in iv.intro.text


@pytest.mark.parametrize(
    ("line", "question"),
    [
        ("## How did it begin?", "How did it begin?"),
        ("##How did it begin?", "How did it begin?"),
        ("## How did it begin? ##", "How did it begin?"),
        ("> ## How did it begin?", "How did it begin?"),
        ("**Q1:** How did it begin?", "How did it begin?"),
        ("**Q1**: How did it begin?", "How did it begin?"),
        ("## Q1. **How did it begin?**", "How did it begin?"),
        ("Q1: **How did it begin?**", "How did it begin?"),
        ("**Spørgsmål 1:** Hvordan begyndte det?", "Hvordan begyndte det?"),
        ("### 2) *How did it begin?*", "How did it begin?"),
        ("## Question 4: How did it begin?", "How did it begin?"),
        ("1. **How did *you* begin?**", "How did you begin?"),
    ],
)
def test_question_text_is_clean_of_markup(line: str, question: str) -> None:
    iv = parse(f"{line}\n\nThat is a long story.\n")
    assert [q.question for q in iv.qa] == [question]
    span = iv.qa[0].question_span
    assert span is not None and not span.text.startswith(("#", "*", "Q1", ">"))
    assert [a.text for a in iv.qa[0].answers] == ["That is a long story."]


def test_bold_transcript_labels() -> None:
    iv = parse("**Interviewer:** Hvad var svært?\n**Mona:** Økonomien.\n**Mona:** Og tiden.\n")
    assert [q.question for q in iv.qa] == ["Hvad var svært?"]
    assert [a.text for a in iv.qa[0].answers] == ["Økonomien.", "Og tiden."]
    assert iv.interviewee == "Mona"


SPM_SVAR = """Samtale med Rasmus Holt Jeppesen, kulturkonsulent, Silkeborg Kommune. Projekt: Byens Scener. (Skrevet til test.)

Spørgsmål 1: Hvem tog initiativet?
Svar: Det gjorde foreningerne. De manglede en scene om vinteren.

Spørgsmål 2: Hvad kostede det?
Svar: Mest tid. Kommunen betalte lyd og lys.
"""


def test_name_role_org_sentence_without_verb_and_inline_case_label() -> None:
    iv = parse(SPM_SVAR)
    assert (iv.interviewee, iv.role, iv.organisation, iv.case) == (
        "Rasmus Holt Jeppesen", "kulturkonsulent", "Silkeborg Kommune", "Byens Scener",
    )
    assert [(q.number, q.question) for q in iv.qa] == [(1, "Hvem tog initiativet?"), (2, "Hvad kostede det?")]
    assert [a.text for a in iv.qa[0].answers] == ["Det gjorde foreningerne. De manglede en scene om vinteren."]
    assert iv.warnings == []


ESSAY = """Reflections from a theatre educator

Amara Osei, Director of Outreach, Riverside Theatre of Young People. (Written for testing.)

Schools and theatres share an audience but rarely a calendar. Our first season together nearly failed.

What saved it was a shared planning day every August.
"""


def test_multi_word_role_and_org_containing_of() -> None:
    iv = parse(ESSAY)
    assert (iv.interviewee, iv.role, iv.organisation) == (
        "Amara Osei", "Director of Outreach", "Riverside Theatre of Young People",
    )
    assert iv.structure == "paragraphs"


@pytest.mark.parametrize(
    ("intro", "people"),
    [
        ("Vi har talt med Anna Berg, Head of Libraries at Fjordby Council, om samarbejdet.",
         ("Anna Berg", "Head of Libraries", "Fjordby Council")),
        ("Ole Hansen er leder af Kulturhuset Nord og fortæller om festivalen.",
         ("Ole Hansen", "leder", "Kulturhuset Nord")),
        ("Sundhedskonsulent Birgitte Holm, Fjordby Kommune, har svaret.",
         ("Birgitte Holm", "Sundhedskonsulent", "Fjordby Kommune")),
        ("Vi talte med kulturkonsulent Peter Munk, Aabenraa Kommune, om festivalen.",
         ("Peter Munk", "kulturkonsulent", "Aabenraa Kommune")),
        ("An Interview With Sarah Quinn, Outreach Librarian at Kingsford Library.",
         ("Sarah Quinn", "Outreach Librarian", "Kingsford Library")),
        ("Hanne Krogh, koordinator, Fablab Vest ApS.", ("Hanne Krogh", "koordinator", "Fablab Vest ApS")),
        ("Interview med Jens Ravn, daglig leder i Foreningen Læs Mere, om initiativet.",
         ("Jens Ravn", "daglig leder", "Foreningen Læs Mere")),
        ("Tina Poulsen, bibliotekar, fortæller om læseklubben.", ("Tina Poulsen", "bibliotekar", "")),
        # an organisation is no interviewee, and a list of names is no role
        ("Brackley Town Libraries, about the new partnership with Brackley Rovers FC.", ("", "", "")),
        ("Karen Lund, Bo Berg, Ida Holm.", ("", "", "")),
    ],
)
def test_intro_shapes(intro: str, people: tuple[str, str, str]) -> None:
    iv = parse(intro + "\n\n1) Hvad lærte I?\n- Meget.\n")
    assert (iv.interviewee, iv.role, iv.organisation) == people


def test_person_organisation_and_role_heuristics() -> None:
    from ingest.parse_people import is_person_name, looks_like_org, looks_like_role

    for org in ("Herning Bibliotekerne", "Odense Kommune", "Nørre Skole", "Musikskolen", "Kulturhuset",
                "Science Museum", "Jobcenter Vejle", "Frivilligforeningen", "Town Libraries",
                "City Council", "Fablab Makerspace", "Maker Hub", "Byg A/S", "Nord ApS"):
        assert looks_like_org(org) and not is_person_name(org), org
    for role in ("Kommunikationschef", "biblioteksleder", "kulturkonsulent", "skolebibliotekar",
                 "Partnerships Manager", "Programme Coordinator", "Director", "Head of Learning"):
        assert looks_like_role(role) and not looks_like_org(role), role
    for name in ("Mette Lund Sørensen", "Tom Adeyemi", "Birgitte Lund-Madsen"):
        assert is_person_name(name) and not looks_like_org(name), name


# --- questions are questions (numbers without a space, unnumbered ones among numbered) ----

SAMPLES = SEED.parent


@pytest.mark.parametrize("mark", ["4)", "4.", "4 )", "4:", "4: ", "4 ) "])
def test_question_number_without_a_space_is_a_question(mark: str) -> None:
    text = (
        "Lars Ravn, leder af Vesthavn Bibliotek, har svaret på de 5 hurtige.\n\n"
        "3) Hvad tog længst tid?\n• At finde et lokale.\n"
        f"{mark}Hvilke organisatoriske barrierer oplevede I?\n• Ingen ville eje projektet.\n"
    )
    iv = parse(text)
    assert [(q.number, q.question) for q in iv.qa] == [
        (3, "Hvad tog længst tid?"), (4, "Hvilke organisatoriske barrierer oplevede I?"),
    ]
    assert [a.text for a in iv.qa[0].answers] == ["At finde et lokale."]
    assert [a.text for a in iv.qa[1].answers] == ["Ingen ville eje projektet."]


@pytest.mark.parametrize(
    "line",
    [
        "3.5 mio. kr. kom fra fonden, resten fra kommunen.",
        "12.30 mødtes vi med lærerne hver fredag.",
        "1.000 kr. pr. klasse var prisen?",
        "4.juni åbnede vi for alle.",
        "4.Juni åbnede vi for alle.",  # a capital, but no question: no number, no question
        "12:30 Hvem kom først?",
    ],
)
def test_numbers_dates_and_times_at_a_line_start_stay_in_the_answer(line: str) -> None:
    text = f"1. Hvordan gik det?\nDet gik godt.\n{line}\n\n2. Hvad nu?\nVi fortsætter.\n"
    iv = parse(text)
    assert [q.number for q in iv.qa] == [1, 2]
    assert "".join(a.text for a in iv.qa[0].answers).endswith(line)


FIVE_QUICK = """Karin Vestergaard, bibliotekar på Nordhavn Bibliotek, har svaret på de 5 hurtige.

1) Hvad har I lært af samarbejdet?
• At vi skal lytte mere.
• At ting tager tid.
2) Hvad var svært?
• Økonomien.
Hvilke barrierer mødte I i jeres egen organisation?
• Ledelsen skiftede to gange.
• Ingen havde tid i kalenderen.
4) Hvad ville du gøre anderledes?
• Skrive en aftale fra start.
Og hvad med de frivillige?
• De blev hængende.
5) Hvad kan andre lære?
• Start småt.
"""


def test_unnumbered_question_among_answer_bullets_is_a_question() -> None:
    iv = parse(FIVE_QUICK)
    assert [(q.number, q.question) for q in iv.qa] == [
        (1, "Hvad har I lært af samarbejdet?"),
        (2, "Hvad var svært?"),
        (3, "Hvilke barrierer mødte I i jeres egen organisation?"),  # the number the file skipped
        (4, "Hvad ville du gøre anderledes?"),
        (0, "Og hvad med de frivillige?"),  # 5 is taken: the file gave it no number
        (5, "Hvad kan andre lære?"),
    ]
    assert [a.text for a in iv.qa[1].answers] == ["Økonomien."]
    assert [a.text for a in iv.qa[2].answers] == ["Ledelsen skiftede to gange.", "Ingen havde tid i kalenderen."]
    assert [a.text for a in iv.qa[4].answers] == ["De blev hængende."]


NUMBERED_PROSE = """Ole Sand, leder af Søby Kulturhus, har svaret.

1. Hvad var svært?

Vi havde ingen penge, og ingen ville tage ansvaret.
Hvem skulle ellers gøre det?
Så vi gjorde det selv.

Vi tog opgaven. Hvem skulle ellers gøre det? Ingen meldte sig.

Hvordan fik I så råd til det?

Vi søgte en lokal fond.

3. Hvad nu?

Vi fortsætter med to nye skoler.
"""


def test_question_typed_without_number_vs_interviewees_own_question() -> None:
    iv = parse(NUMBERED_PROSE)
    assert [(q.number, q.question) for q in iv.qa] == [
        (1, "Hvad var svært?"), (2, "Hvordan fik I så råd til det?"), (3, "Hvad nu?"),
    ]
    # the interviewee's own questions, inside a paragraph or directly under a line of it, are answer
    assert [a.text for a in iv.qa[0].answers] == [
        "Vi havde ingen penge, og ingen ville tage ansvaret.\nHvem skulle ellers gøre det?",
        "Så vi gjorde det selv.",
        "Vi tog opgaven. Hvem skulle ellers gøre det? Ingen meldte sig.",
    ]
    assert [a.text for a in iv.qa[1].answers] == ["Vi søgte en lokal fond."]


@pytest.mark.parametrize(
    "line",
    [
        "Hvem skulle ellers gøre det?",  # in a file whose questions are bold, a plain line is no question
        "Det var dyrt. Hvem skulle betale?",  # a statement and a question: someone talking
        "Skulle vi bare give op, spurgte vi os selv?",  # no question word, a verb opens it: still asks
    ],
)
def test_own_line_question_in_a_bold_question_file_stays_in_the_answer(line: str) -> None:
    text = (
        "**Hvad var svært?**\n\nVi havde ingen penge.\n\n"
        f"{line}\n\nSå vi gjorde det selv.\n\n**Hvad nu?**\n\nVi fortsætter.\n"
    )
    iv = parse(text)
    assert [q.question for q in iv.qa] == ["Hvad var svært?", "Hvad nu?"]
    assert [a.text for a in iv.qa[0].answers] == ["Vi havde ingen penge.", line, "Så vi gjorde det selv."]


def test_unnumbered_question_needs_answer_lines_after_it() -> None:
    text = "1. Hvad var svært?\n• Tiden.\n2. Hvad nu?\n• Videre.\n\nHvem ved?\n"
    iv = parse(text)
    assert [q.question for q in iv.qa] == ["Hvad var svært?", "Hvad nu?"]
    assert [a.text for a in iv.qa[1].answers] == ["Videre.", "Hvem ved?"]


# --- the interviewer's and the editor's words are never the interviewee's ------------------

LEAD_IN = """Mette Holm, bibliotekar på Åby Bibliotek, har svaret.

Interviewer: Det lyder dyrt.
Hvordan fik I råd?
Vi søgte en fond.

Interviewer: Fortæl om jeres frivillige.
Vi har tolv. Hvem skulle ellers gøre det?

(Interviewet er forkortet af redaktionen.)

Interviewer: Og til sidst?
Vi fik støtte (fra kommunen) til det hele.
Red.: Støtten var på 40.000 kr.
"""


def test_question_with_a_lead_in_and_editor_notes() -> None:
    iv = parse(LEAD_IN)
    assert [q.question for q in iv.qa] == [
        "Det lyder dyrt. Hvordan fik I råd?", "Fortæl om jeres frivillige.", "Og til sidst?",
    ]
    assert [[a.text for a in q.answers] for q in iv.qa] == [
        ["Vi søgte en fond."],
        ["Vi har tolv. Hvem skulle ellers gøre det?"],  # no lone question line: the answer
        ["Vi fik støtte (fra kommunen) til det hele."],
    ]
    assert [s.text for s in iv.case_description] == [
        "(Interviewet er forkortet af redaktionen.)", "Red.: Støtten var på 40.000 kr.",
    ]


def test_editor_signed_lines_are_no_speaker() -> None:
    text = "1. Hvad var svært?\nTiden.\nRed.: Se også side 4.\n\n2. Hvad nu?\nVidere.\nRed.: Tallene er fra 2023.\n"
    iv = parse(text)
    assert iv.interviewee == ""  # the editor signing twice is no one interviewed
    assert [[a.text for a in q.answers] for q in iv.qa] == [["Tiden."], ["Videre."]]


# --- intros that name no role ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("intro", "people"),
    [
        ("Ida Brandt, Byens Bibliotek har svaret på de 5 hurtige.", ("Ida Brandt", "", "Byens Bibliotek")),
        ("Ida Brandt, Byens Bibliotek, har svaret på de 5 hurtige.", ("Ida Brandt", "", "Byens Bibliotek")),
        ("Ida Brandt fra Byens Bibliotek har svaret på 5 hurtige om læseklubben.",
         ("Ida Brandt", "", "Byens Bibliotek")),
        ("Jane Doe, Riverside Library, answered five quick questions.", ("Jane Doe", "", "Riverside Library")),
        ("Jane Doe from Riverside Library answered five quick questions.", ("Jane Doe", "", "Riverside Library")),
        ("Interview med Emil Holt fra Bakkeby Musikskole om partnerskabet.",
         ("Emil Holt", "", "Bakkeby Musikskole")),
        # two organisations: neither is a role
        ("Mette Skov, Åby Bibliotek, Åby Kommune, har svaret.", ("Mette Skov", "", "Åby Bibliotek")),
        # a role still wins over a person named with an organisation only
        ("Tina Poulsen, bibliotekar, fortæller om klubben, som hun driver med Ole Berg fra Byens Skole.",
         ("Tina Poulsen", "bibliotekar", "")),
        ("Projektleder Ida Brandt fra Byens Bibliotek har svaret.", ("Ida Brandt", "Projektleder", "Byens Bibliotek")),
        # a place is no organisation, and "fra X did something" is a story, no intro
        ("Vi mødte Ida Brandt fra Aarhus i toget.", ("", "", "")),
        ("Dengang fremlagde Jens Riis fra Byens Bibliotek fremlagde tal for os.", ("", "", "")),
    ],
)
def test_intro_without_a_role(intro: str, people: tuple[str, str, str]) -> None:
    iv = parse(intro + "\n\n1) Hvad lærte I?\n- Meget.\n")
    assert (iv.interviewee, iv.role, iv.organisation) == people
    if people[0]:
        assert iv.intro is not None and iv.intro.text == intro
        assert [a.speaker for a in iv.qa[0].answers] == [people[0]]


# --- the bundled sample --------------------------------------------------------------------


def sample_interviews() -> list[tuple[Path, Interview]]:
    return [
        (p, parse(load_file(p)))
        for p in sorted(SAMPLES.iterdir())
        if p.suffix in {".txt", ".md", ".docx", ".pdf", ".html"} and not p.name.startswith("README")
    ]


def test_every_sample_names_its_interviewee_and_credits_its_answers() -> None:
    parsed = sample_interviews()
    assert len(parsed) >= 8
    for path, iv in parsed:
        name = path.name
        assert iv.interviewee, name
        if not path.with_suffix(".meta.yaml").exists():  # a sidecar gives the rest
            assert iv.organisation, name
        questions = {q.question for q in iv.qa}
        for q in iv.qa:
            for a in q.answers:
                assert a.speaker, (name, a.text)
                assert a.text not in questions, (name, a.text)


def test_sample_shapes_number_without_space_and_intro_without_role() -> None:
    parsed = {p.name: iv for p, iv in sample_interviews()}
    pdf = parsed["sundhedspartnerskab-fjordby.pdf"]
    assert [q.number for q in pdf.qa] == [1, 2, 3, 4, 5, 6]
    assert pdf.qa[3].question == "Hvor lang tid gik der, før I kunne se effekt?"
    assert [a.text[:22] for a in pdf.qa[3].answers] == ["Det tog næsten to år. "]
    html = parsed["musikskole-kulturhus.html"]
    assert (html.interviewee, html.role, html.organisation) == ("Karim Haddad", "", "Bakkely Musikskole")
