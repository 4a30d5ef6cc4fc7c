"""One sentence splitter for Danish and English: abbreviations, numbers and
dates never end a sentence, real ends do, and every span is an exact slice."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowledge.sentences as sentences
from ingest.chunk import split_span
from ingest.model import Span
from knowledge.answer import trim_quote
from knowledge.sentences import sentence_spans

# every abbreviation the issue names, as written in running text
ABBREVIATIONS = [
    "bl.a.", "f.eks.", "ca.", "dvs.", "jf.", "mht.", "osv.", "evt.", "inkl.", "nr.", "pga.",
    "ift.", "mv.", "e.g.", "i.e.", "etc.", "Mr.", "Dr.",
]


def split(text: str, **kwargs) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, **kwargs)]


@pytest.mark.parametrize("abbr", ABBREVIATIONS)
@pytest.mark.parametrize("after", ["samarbejdet", "økonomien", "Aarhus Kommune", "3 borgere", "»Læsebussen«"])
def test_an_abbreviation_never_ends_a_danish_sentence(abbr: str, after: str) -> None:
    first = f"Vi talte {abbr} {after} med skolen om læsning."
    second = "Det gik godt."
    assert split(f"{first} {second}") == [first, second]
    assert split(f"{second} {first}") == [second, first]


@pytest.mark.parametrize(
    "text",
    [
        "Vi har bl.a. samarbejdet med skolen, f.eks. om læsebussen.",
        "Det koster ca. 3.000 kr. om året, inkl. moms og fragt.",
        "Det var d. 5. maj kl. 14.30, at vi mødtes første gang.",
        "Mødet blev aflyst pga. sygdom, jf. aftalen mht. økonomien, dvs. at vi venter.",
        "Vi har bøger, film osv. og evt. også spil, ift. budgettet, nr. 3 på listen mv. i år.",
        "Den 5. maj 2023 var 3.000 borgere på biblioteket.",
        "We tried several formats, e.g. reading clubs, i.e. small groups, talks etc. and more.",
        "We met Mr. Smith and Dr. Jones from the health centre.",
        "Kulturministeriet og H.C. Andersen-huset var med.",
    ],
)
def test_numbers_dates_and_abbreviations_stay_in_one_sentence(text: str) -> None:
    assert split(text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Det tog tid. Vi lærte meget! Hvorfor? Fordi vi prøvede.", ["Det tog tid.", "Vi lærte meget!", "Hvorfor?", "Fordi vi prøvede."]),
        ("Det var i 2019. Så kom corona.", ["Det var i 2019.", "Så kom corona."]),
        ("Det var i 2019. 2020 blev bedre.", ["Det var i 2019.", "2020 blev bedre."]),
        ("I said no. Then we left.", ["I said no.", "Then we left."]),
        ("Det steg med 5 pct. Det er meget.", ["Det steg med 5 pct.", "Det er meget."]),
        ("Han sagde: »Det er godt.« Så gik han.", ["Han sagde: »Det er godt.«", "Så gik han."]),
        ("She said “it works.” Then she left.", ["She said “it works.”", "Then she left."]),
        ("It took two years. Then it worked... Mostly.", ["It took two years.", "Then it worked...", "Mostly."]),
        ("Neither did I. We left early.", ["Neither did I.", "We left early."]),
        ("Det koster 3.000 kr. Det er billigt.", ["Det koster 3.000 kr.", "Det er billigt."]),
        ("En linje uden punktum\nog en ny linje.", ["En linje uden punktum", "og en ny linje."]),
    ],
)
def test_real_sentence_ends_are_found(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_spans_are_offsets_into_the_original_text() -> None:
    text = "  Indledning.\n\n  Vi har bl.a.   en bus.  Den kører!\t\n"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["Indledning.", "Vi har bl.a.   en bus.", "Den kører!"]
    # a range inside a larger text: offsets stay those of the larger text
    start = text.index("Vi har")
    assert sentence_spans(text, start, text.index("Den")) == [spans[1]]


_TOKENS = st.sampled_from(
    ["bl.a.", "f.eks.", "ca.", "d.", "5.", "3.000", "kr.", "Mr.", "e.g.", "etc.", "Det", "vi", "ø", "Å",
     ".", "!", "?", "…", "...", "»", "«", "“", "”", '"', "'", "(", ")", "-", "•", "1)", "∯", "ȸ", "&ᓴ&"]
)
_SEP = st.sampled_from([" ", " ", "  ", "\n", "\t", "", "\u00a0", " \n "])
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.tuples(st.one_of(_TOKENS, st.text(min_size=1, max_size=8)), _SEP), max_size=80).map(
        lambda parts: "".join(t + s for t, s in parts)
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, language=st.sampled_from([None, "da", "en"]))
def test_spans_are_exact_ordered_and_cover_the_text(text: str, language: str | None) -> None:
    spans = sentence_spans(text, language=language)
    prev = 0
    for a, b in spans:
        assert prev <= a < b <= len(text)
        piece = text[a:b]
        assert piece == piece.strip()
        prev = b
    covered = "".join(text[a:b] for a, b in spans)
    assert "".join(covered.split()) == "".join(text.split())


@settings(max_examples=100, deadline=None)
@given(text=_TEXT, cut=st.tuples(st.integers(0, 400), st.integers(0, 400)))
def test_a_range_is_split_within_its_bounds(text: str, cut: tuple[int, int]) -> None:
    start, end = sorted(min(c, len(text)) for c in cut)
    spans = sentence_spans(text, start, end)
    assert all(start <= a < b <= end for a, b in spans)
    assert "".join("".join(text[a:b] for a, b in spans).split()) == "".join(text[start:end].split())


def test_long_lines_go_to_pysbd_in_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """pysbd slows down faster than linearly with its input: a long line is
    segmented a window at a time, and the result is the same as in one go."""
    sentence = "Vi har bl.a. samarbejdet med skolen d. 5. maj kl. 14.30 om ca. 3.000 bøger. "
    text = sentence * 200  # one line, 15,000 characters
    sizes: list[int] = []
    real = sentences._processor

    def spy(language: str):
        run = real(language)

        def counted(piece: str) -> list[str]:
            sizes.append(len(piece))
            return run(piece)

        return counted

    sentences._piece_cuts.cache_clear()
    monkeypatch.setattr(sentences, "_processor", spy)
    spans = sentence_spans(text)
    assert max(sizes) <= sentences._WINDOW
    assert sum(sizes) < 2 * len(text)
    assert [text[a:b] for a, b in spans] == [sentence.strip()] * 200
    sentences._piece_cuts.cache_clear()


def test_a_long_line_without_any_sentence_end_is_one_unit() -> None:
    text = "ord " * 5000
    assert sentence_spans(text) == [(0, len(text) - 1)]


def test_a_sentence_longer_than_the_limit_is_cut_after_a_clause() -> None:
    text = "Vi havde mange møder, " * 10 + "og til sidst gik det."
    pieces = split_span(text, Span(text, 0, len(text)), 100)
    assert all(len(text[a:b]) <= 100 for a, b in pieces)
    assert all(text[a:b].endswith(",") for a, b in pieces[:-1])
    assert " ".join(text[a:b] for a, b in pieces) == text


def _long_answer() -> str:
    parts = [
        f"I det {i}. år havde vi bl.a. {'mange ' * (i % 7)}møder med skolen om læsning, "
        f"f.eks. om bogbussen, og det kostede ca. {i}.000 kr. om året inkl. kørsel."
        for i in range(1, 40)
    ]
    return " ".join(parts)


def test_split_span_never_ends_a_chunk_at_an_abbreviation() -> None:
    text = "1) Hvad lærte I?\n" + _long_answer() + "\n"
    start = text.index("I det")
    end = len(text) - 1
    assert max(b - a for a, b in sentence_spans(text, start, end)) < 300
    for max_chars in (300, 450, 600):
        pieces = split_span(text, Span(text[start:end], start, end), max_chars)
        assert len(pieces) > 1
        for a, b in pieces:
            quote = text[a:b]
            assert len(quote) <= max_chars
            assert quote.startswith("I det") and quote.endswith("kørsel."), quote
        assert " ".join(text[a:b] for a, b in pieces) == text[start:end]


def test_trim_quote_windows_never_end_at_an_abbreviation() -> None:
    text = _long_answer()
    for term in ("bogbussen", "skolen", "17", "kørsel"):
        a, b = trim_quote(text, {term}, max_chars=420)
        quote = text[a:b]
        assert quote.startswith("I det") and quote.endswith("kørsel."), quote
