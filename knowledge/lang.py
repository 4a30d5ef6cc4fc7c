"""Danish or English? A tiny, deterministic detector for questions and chunks.

Casebase only needs to tell Danish from English (to answer in the question's
language and to weight lexical evidence by language), so a stop-word vote plus
the Danish letters æ/ø/å beats pulling in a general-purpose model: it is exact
on short questions, has no data files, and gives the same answer every time.
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent function words that are (nearly) exclusive to one language.
_DA = frozenset(
    """og i at det en den til er som på de med han af for ikke der var mig sig men et har om vi
    min havde hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil
    blev kunne ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under
    have dig anden hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver
    hendes været thi jer sådan hvilke hvilken hvordan hvorfor hvem hvornår kan får fik gør gjorde
    ved vores jeres jeg bare mere mest godt ja nej""".split()
)
_EN = frozenset(
    """the and of to a in is it you that he was for on are with as his they be at one have this from
    or had by but what some we can out other were all there when up use your how said an each she
    which do their if will way about many then them would so these her him has more could who
    did does doing why where been being into its than our also should any most such what's isn't
    don't it's i my me were is are was not no yes""".split()
)
# words spelt the same in both languages carry no vote
_BOTH = _DA & _EN
_DA_LETTERS = re.compile(r"[æøå]")
# weak evidence from word endings, for questions with no function words at all
_DA_END = ("erne", "ene", "hed", "heder", "else", "skab", "skaber", "ning", "ninger", "lig", "lige", "ere")
_EN_END = ("tion", "tions", "ing", "ness", "ship", "ships", "ers", "ity", "ies", "ly", "ed")


def detect(text: str, default: str = "en") -> str:
    """Return "da" or "en" for ``text``; ``default`` when there is no evidence."""
    words = [w.lower() for w in _WORD.findall(text)]
    da = sum(1 for w in words if w in _DA and w not in _BOTH)
    en = sum(1 for w in words if w in _EN and w not in _BOTH)
    # a word with æ/ø/å is good Danish evidence, but capped: a Danish name inside an
    # English question ("the Sansefortællingen event") must not outvote its grammar
    da += min(2, sum(1 for w in words if _DA_LETTERS.search(w)))
    for w in words:
        if len(w) > 4 and w not in _DA and w not in _EN:
            da += 0.5 * w.endswith(_DA_END)
            en += 0.5 * w.endswith(_EN_END)
    if da == en:
        return default
    return "da" if da > en else "en"


def name(code: str, in_language: str = "en") -> str:
    """Human name of a language code, in English or Danish."""
    names = {"en": {"da": "Danish", "en": "English"}, "da": {"da": "dansk", "en": "engelsk"}}
    return names.get(in_language, names["en"]).get(code, code)
