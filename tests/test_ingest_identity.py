"""Ingest speed-ups change nothing a reader can see: the chunks cut from the sample,
the eval corpus and a generated corpus, and the store a sync writes (ids, quotes,
metadata, vectors, manifest), are byte for byte what they were before
(tests/fixtures/ingest_digests.json, made with bench/identity.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.generate import generate
from bench.identity import chunks_digest, store_digest
from tests.conftest import ROOT

EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "ingest_digests.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "g60"
    generate(60, folder, seed=7)
    return folder


@pytest.mark.parametrize("name", ["data/interviews", "eval/corpus"])
def test_chunks_of_the_sample_and_eval_corpora_are_unchanged(name):
    assert list(chunks_digest(ROOT / name)) == EXPECTED["chunks"][name]


def test_chunks_of_a_generated_corpus_are_unchanged(generated):
    assert list(chunks_digest(generated)) == EXPECTED["chunks"]["generated-60-seed-7"]


def test_the_store_a_sync_writes_is_unchanged(generated):
    assert store_digest([ROOT / "data" / "interviews", ROOT / "eval" / "corpus"]) == EXPECTED["store"]["data/interviews+eval/corpus"]
    assert store_digest([generated]) == EXPECTED["store"]["generated-60-seed-7"]


def _plain_and_memoised(language: str):
    """pysbd as shipped, and pysbd with knowledge.sentences' memoised abbreviation pass."""
    import pysbd
    from pysbd.processor import Processor

    from knowledge.sentences import _processor

    _processor(language)  # installs the memoised pass
    lang = pysbd.Segmenter(language=language, clean=False).language_module
    plain_lang = type("Plain", (lang,), {"AbbreviationReplacer": lang.AbbreviationReplacer.__mro__[1]})
    assert lang.AbbreviationReplacer._casebase_memo and not hasattr(plain_lang.AbbreviationReplacer, "_casebase_memo")
    return (lambda t: Processor(t, plain_lang).process()), (lambda t: Processor(t, lang).process())


def _lines(folder: Path) -> list[str]:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.suffix in (".txt", ".md"):
            out += [ln for ln in p.read_text(encoding="utf-8").splitlines() if len(ln) > 40]
    return out


@pytest.mark.parametrize("language", ["da", "en"])
def test_memoised_pysbd_gives_pysbd_own_sentences(language, generated):
    plain, memo = _plain_and_memoised(language)
    lines = _lines(ROOT / "data" / "interviews") + _lines(ROOT / "eval" / "corpus") + _lines(generated)[:300]
    lines += [
        "Vi mødtes kl. 10 d. 5. maj, bl.a. med hr. Jensen og dr. Hansen, i alt ca. 3.000 kr. Det gik godt.",
        "Mr. Smith met Dr. Jones at 5 p.m. on Jan. 3, i.e. after the U.S. trip. They agreed. A new plan came.",
        "s. 12 og nr. 4, t.o.m. s. 20. Så I ved det. I kommer. f.eks. A. B. Hansen, P.S. tak. S. 3 T. u. i. a.",
    ]
    for line in lines:
        assert memo(line) == plain(line), line


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(
    "i s t a A I S T d. s. nr. kl. bl.a. f.eks. ca. Dr. hr. mr. 3. 12. maj. Det Han. og? ja! »Godt.« (se s. 4). U.S. e.g. "
    "p.m. Jan. den 5. om året. The He. med var del. to. on. da. Den "
    # case folds that are not one-to-one, and pysbd's literal-brace lookbehind
    "ſ. ı. µ. K. İ. Straße. {i} {s} i.{ e}".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=40), st.sampled_from(["da", "en"]))
def test_memoised_pysbd_on_abbreviation_heavy_text(words, language):
    plain, memo = _plain_and_memoised(language)
    text = " ".join(words)
    assert memo(text) == plain(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aeiksdtnrIDSK .,:-?!(){}\n\tſıµKæøå3", min_size=1, max_size=120), st.sampled_from(["da", "en"]))
def test_memoised_pysbd_on_any_characters(text, language):
    plain, memo = _plain_and_memoised(language)
    assert memo(text) == plain(text)
