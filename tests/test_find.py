"""Quote finder search modes (knowledge/find.py, Casebase.find): words in any inflection,
exact phrases, auto mode, totals, filters, and the spans the UI highlights."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.find import MODES, plan
from knowledge.lexical import _stemmer
from ui.text import MATCH_CLOSE, MATCH_OPEN, highlight_markdown, match_snippet

VEJBY = """Anna Holm, bibliotekar på Vejby Bibliotek, har svaret på de 5 hurtige.

CASEN

Projektet 'Læsecaféen' samlede borgere om fælles læsning.

1) Hvad har de frivillige betydet for jer?

 • De frivillige kommer hver tirsdag og laver en kop kaffe til gæsterne.
 • Vi har lært meget om de frivilliges motivation.
 • Tavshedspligt er vigtigt for os, også i caféen.

2) Hvad er svært?

 • Kaffe og en kop te er ikke nok til at holde på folk.
 • Ufrivillig ventetid irriterer borgerne.
"""

NORDBY = """Bo Berg, leder på Nordby Kulturhus, har svaret på de 5 hurtige.

CASEN

Projektet 'Musik i biblioteket' samlede musikskolen og kulturhuset.

1) Hvordan startede samarbejdet?

 • En frivillig fra musikskolen tog kontakt til os.
 • Vi mødtes over en kop kaffe på rådhuset.
 • Der stod en kopimaskine i gangen, men ingen kop.
"""

RIVERSIDE = """# The Riverside Seed Library

Interview with **Priya Raman**, Branch Librarian at Riverside Public Library.

## What did the volunteers do?

Volunteers labelled every seed packet by hand. One volunteer ran the stall on Saturdays.

## What was hardest?

""" + " ".join(["The allotment society met in the old hall on the first Monday of each month."] * 8) + (
    " In the end the bookmobile carried the seeds to the outlying villages."
)


@pytest.fixture
def finder(settings, tmp_path: Path, hash_embeddings):
    """A Casebase over three small interviews whose words the tests count."""
    from ingest.sync import sync_paths
    from knowledge.service import Casebase

    folder = tmp_path / "finder"
    folder.mkdir()
    (folder / "vejby.txt").write_text(VEJBY, encoding="utf-8")
    (folder / "nordby.txt").write_text(NORDBY, encoding="utf-8")
    (folder / "riverside.md").write_text(RIVERSIDE, encoding="utf-8")
    settings.interviews_dir = folder
    report = sync_paths([folder], settings, embeddings=hash_embeddings)
    assert not report.failed, report.failed
    return Casebase(settings, hash_embeddings)


def _stems(word: str) -> set[str]:
    w = word.lower()
    return {_stemmer("da").stemWord(w), _stemmer("en").stemWord(w)}


def _same_word(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return any(_stemmer(lang).stemWord(a) == _stemmer(lang).stemWord(b) for lang in ("da", "en"))


def _marked(found) -> list[list[str]]:
    return [[s.quote[a:b] for a, b in marks] for s, marks in zip(found.sources, found.highlights)]


def _verbatim(cb, source) -> None:
    body = cb.interview(source.doc_id)
    assert body["text"][source.start:source.end] == source.quote


# -- words ------------------------------------------------------------------------------
def test_words_mode_finds_every_inflection_and_only_whole_words(finder):
    found = finder.find("frivillig", mode="words", k=20)
    assert found.mode == "words"
    marked = {w for words in _marked(found) for w in words}
    # "frivillige" and "frivilliges" (Vejby) and "frivillig" (Nordby); not "Ufrivillig"
    assert marked == {"frivillige", "frivilliges", "frivillig"}
    assert found.total == 3 == len(found.sources)
    assert not any("Ufrivillig" in s.quote for s in found.sources)
    for s, words in zip(found.sources, _marked(found)):
        assert words and all(_same_word(w, "frivillig") for w in words)
        _verbatim(finder, s)


def test_words_mode_english_inflections(finder):
    found = finder.find("volunteer", k=20)
    assert found.mode == "words"
    assert found.total == 1  # one paragraph holds both "Volunteers" and "volunteer"
    assert sorted(_marked(found)[0]) == ["Volunteers", "volunteer"]


def test_every_hit_contains_every_word(finder):
    found = finder.find("kop kaffe", mode="words", k=20)
    # both orders, both interviews: "en kop kaffe" (Vejby, Nordby) and "Kaffe og en kop te"
    assert found.total == 3
    for words in _marked(found):
        assert any(_same_word(w, "kop") for w in words) and any(_same_word(w, "kaffe") for w in words)
    assert {s.doc_id for s in found.sources} == {"vejby.txt", "nordby.txt"}


def test_a_word_said_once_counts_one(finder):
    found = finder.find("tavshedspligt", k=10)
    assert (found.mode, found.total, len(found.sources)) == ("words", 1, 1)
    assert _marked(found) == [["Tavshedspligt"]]
    assert found.count_line() == '1 quote contains "tavshedspligt"'
    assert finder.find("frivillig").count_line() == '3 quotes contain "frivillig"'


def test_words_that_no_quote_has_give_nothing(finder):
    found = finder.find("zzzxq", k=10)
    assert (found.mode, found.total, found.sources, found.highlights) == ("words", 0, [], [])
    # the second word must occur too, not just one of them
    assert finder.find("frivillig zzzxq").total == 0


def test_total_is_not_capped_by_k(finder):
    found = finder.find("frivillig", k=1)
    assert len(found.sources) == 1 and found.total == 3
    assert found.sources[0].n == 1


def test_ranking_is_stable_and_by_interview_on_ties(finder):
    a = finder.find("kop kaffe", mode="words", k=20)
    b = finder.find("kop kaffe", mode="words", k=20)
    assert [s.chunk_id for s in a.sources] == [s.chunk_id for s in b.sources]
    assert [s.n for s in a.sources] == [1, 2, 3]
    scores = [s.score for s in a.sources]
    assert scores == sorted(scores, reverse=True)


# -- phrase -----------------------------------------------------------------------------
def test_phrase_mode_matches_the_exact_phrase_only(finder):
    found = finder.find('"kop kaffe"', k=20)
    assert found.mode == "phrase" and found.total == 2
    assert all(words == ["kop kaffe"] for words in _marked(found))
    assert "Kaffe og en kop te" not in " ".join(s.quote for s in found.sources)
    # the words in another order are not the phrase
    assert finder.find("kaffe kop", mode="phrase").total == 0
    # case and whitespace do not matter; whole words do
    assert finder.find('"KOP   Kaffe"').total == 2
    assert finder.find('"kop kaff"').total == 0
    # "en kopimaskine" and "ingen kop" have the words, but not the phrase as whole words
    assert finder.find('"en kop"', k=20).total == 3
    assert "kopimaskine" not in " ".join(s.quote for s in finder.find('"en kop"', k=20).sources)


def test_phrase_mode_single_word_is_exact(finder):
    # in quotes, one word is taken as it is: no other inflections
    found = finder.find('"frivillige"', k=20)
    assert found.mode == "phrase" and found.total == 1
    assert _marked(found) == [["frivillige"]]


# -- auto and meaning -------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, mode",
    [
        ("frivillige", "words"),
        ("frivillige borgere", "words"),
        ('"kop kaffe"', "phrase"),
        ("\u201ckop kaffe\u201d", "phrase"),
        ('"frivillige"', "phrase"),
        ("hvad betyder de frivillige", "meaning"),
        ("what did the volunteers do", "meaning"),
        ("?!", "meaning"),
    ],
)
def test_auto_mode_picks(query, mode):
    assert plan(query).mode == mode
    assert plan(query, "auto").mode == mode


def test_explicit_modes_win_over_auto():
    assert plan("hvad betyder de frivillige", "words").words == ("hvad", "betyder", "de", "frivillige")
    assert plan('"kop kaffe"', "words").words == ("kop", "kaffe")
    assert plan("kop kaffe", "phrase").text == "kop kaffe"
    assert plan("frivillige", "meaning").mode == "meaning"
    assert set(MODES) == {"auto", "words", "phrase", "meaning"}
    with pytest.raises(ValueError):
        plan("x", "fuzzy")


def test_auto_mode_through_the_facade(finder):
    assert finder.find("frivillige").mode == "words"
    assert finder.find('"kop kaffe"').mode == "phrase"
    assert finder.find("hvad har de frivillige betydet for jer").mode == "meaning"


def test_meaning_mode_is_todays_search(finder):
    q = "hvad har de frivillige betydet for biblioteket"
    found = finder.find(q, mode="meaning", k=5)
    want = finder.search(q, k=5)
    assert found.mode == "meaning" and [s.chunk_id for s in found.sources] == [s.chunk_id for s in want]
    assert found.total == len(want) and found.highlights == [[] for _ in want]


# -- filters ----------------------------------------------------------------------------
def test_filters_apply_to_hits_and_total(finder):
    found = finder.find("frivillig", filters={"doc_id": "nordby.txt"}, k=20)
    assert found.total == 1 and [s.doc_id for s in found.sources] == ["nordby.txt"]
    found = finder.find('"kop kaffe"', filters={"organisation": ["Vejby Bibliotek"]}, k=20)
    assert found.total == 1 and {s.organisation for s in found.sources} == {"Vejby Bibliotek"}
    assert finder.find("frivillig", filters={"interviewee": "Nobody"}).total == 0
    with pytest.raises(ValueError):
        finder.find("frivillig", filters={"colour": "red"})


# -- highlights -------------------------------------------------------------------------
def test_highlights_point_at_the_words_in_a_trimmed_long_quote(finder):
    # the paragraph is longer than a quote: the quote is trimmed around the match, verbatim
    found = finder.find("bookmobile", k=5)
    assert found.total == 1
    s, marks = found.sources[0], found.highlights[0]
    assert [s.quote[a:b] for a, b in marks] == ["bookmobile"]
    _verbatim(finder, s)
    assert len(s.quote) < len(RIVERSIDE)


def test_highlights_are_words_of_the_quote(finder):
    for query in ("frivillig", "kop kaffe", "volunteers", "tavshedspligt"):
        found = finder.find(query, k=20)
        for s, marks in zip(found.sources, found.highlights):
            for a, b in marks:
                word = s.quote[a:b]
                assert re.fullmatch(r"[^\W_]+", word), word
                assert (a == 0 or not s.quote[a - 1].isalnum()) and (b == len(s.quote) or not s.quote[b].isalnum())
                assert any(_same_word(word, q) for q in query.split())


def test_json_shape(finder):
    out = finder.find("frivillig", k=2).to_dict()
    assert set(out) == {"query", "mode", "total", "hits", "not_yet_searchable"}
    assert out["mode"] == "words" and out["total"] == 3 and len(out["hits"]) == 2
    for hit in out["hits"]:
        assert all(_same_word(hit["quote"][a:b], "frivillig") for a, b in hit["highlights"])


# -- the UI's highlighting helpers ------------------------------------------------------
def test_card_markdown_bolds_the_matches_and_stays_escaped():
    quote = "De *frivillige* [kom](x) og frivilliges $5"
    marks = [(m.start(), m.end()) for m in re.finditer(r"frivillig\w*", quote)]
    md = highlight_markdown("Før. ", quote, "", marks)
    assert md.startswith("Før\\. :orange-background[")
    assert md.count("**frivillige**") == 1 and md.count("**frivilliges**") == 1
    # the interview's own markup stays escaped
    assert "\\*" in md and "\\[kom\\]\\(x\\)" in md and "\\$5" in md
    # no marks: what it was before
    assert highlight_markdown("", quote, "") == highlight_markdown("", quote, "", ())
    assert "**" not in highlight_markdown("", quote, "")


def test_card_marks_never_span_a_line_break():
    md = highlight_markdown("", "en kop\nkaffe tak", "", [(3, 12)])
    assert md == ":orange-background[en **kop**]  \n:orange-background[**kaffe** tak]"


def test_table_snippet_marks_the_words():
    quote = " ".join(["lang indledning"] * 20) + " og så kom de frivillige igen, de frivillige."
    marks = [(m.start(), m.end()) for m in re.finditer("frivillige", quote)]
    snip = match_snippet(quote, marks, width=80)
    assert snip.startswith("…") and f"{MATCH_OPEN}frivillige{MATCH_CLOSE}" in snip
    assert snip.count(MATCH_OPEN) == 2
    assert len(snip) < 120
    assert match_snippet("kort citat", []) == "kort citat"
