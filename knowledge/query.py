"""What a question asks, without the words that only frame it.

Researchers ask "What do the interviewees say about the barriers in their
partnerships?" or "Hvad fortæller de interviewede om de frivillige?". The frame
("what do the interviewees say about", "hvad fortæller de interviewede om") is in
no interview, yet it is most of the question's words, and multilingual-e5-small
embeds it: the question lands near other questions about interviewees instead of
near what is said about barriers. Measured on the labelled questions (eval/README.md):
embedding the question, its frameless core and the core without the case base's
topic words, and averaging, picks an interview's answer as its best passage more
often (held-out 0.40 -> 0.54) than the question alone.

Only leading frames are removed, in Danish and English, and only when words remain.
"""
from __future__ import annotations

import re

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.vectors import query_vector

_WHO_EN = r"(?:the\s+)?(?:interviewees?|interviewed|people|persons?|partners?|respondents?|participants?|informants?|they|staff|librarians?|libraries)"
_WHO_DA = r"(?:de\s+)?(?:interviewede|interviewpersonerne|informanterne|deltagerne|partnerne|bibliotekerne|bibliotekarerne|de|man|folk)"
_SAY_EN = r"(?:say|said|think|thought|tell|told|mention|mentioned|report|describe|feel|write)"
_SAY_DA = r"(?:siger|sagde|mener|fortæller|fortalte|tænker|synes|oplever|nævner|skriver|beskriver)"

FRAMES = [re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:what|how)\s+(?:do|does|did)\s+{_WHO_EN}\s+{_SAY_EN}\s+(?:us\s+)?(?:about|of|on|regarding|concerning)\s+",
    r"^what\s+(?:is|was|gets)\s+(?:said|told)\s+(?:about|of|on)\s+",
    r"^(?:tell\s+me|tell\s+us)\s+(?:about|of)\s+",
    rf"^hvad\s+{_SAY_DA}\s+{_WHO_DA}\s+om\s+",
    r"^hvad\s+(?:bliver|blev)\s+der\s+(?:sagt|fortalt)\s+om\s+",
    r"^(?:fortæl|fortæl\s+mig)\s+om\s+",
    r"^(?:what|which)\s+(?:are|were|is|was)\s+(?:the\s+)?",
    r"^hvad\s+(?:er|var)\s+(?:de|det|den)\s+",
    r"^(?:hvilke|hvilken|hvilket)\s+",
    r"^which\s+",
)]


_QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how is are was were do does did can could should would will has have
    hvad hvilke hvilken hvilket hvem hvornår hvor hvorfor hvordan er var kan kunne skal skulle vil ville har havde
    gør gjorde får fik""".split()
)


def canonical(question: str) -> str:
    """The question in the form the relevance model was fitted on: single spaces, a
    capital first letter, and a question mark when it starts with a question word.
    multilingual-e5 is case- and punctuation-sensitive: "what are the barriers to
    library partnerships" and "What are the barriers to library partnerships?" differ
    by 0.1 in calibrated relevance, which is the difference between an answer and a
    refusal. Keyword searches ("frivillige") are left as they are."""
    text = " ".join(question.split())
    if not text:
        return text
    first = text.split(" ", 1)[0].lower()
    if first in _QUESTION_WORDS and len(text.split()) > 2 and not text.endswith(("?", "!", ".")):
        text += "?"
    return text[0].upper() + text[1:]


_FOLLOW_UP = re.compile(
    r"^(?:and|og|also|også|but|men|what about|how about|and what about|hvad med|hvad så med|og hvad med)\b",
    re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """A question that cannot stand alone: "and the barriers?", "hvad med økonomien?",
    or two words or fewer. A complete question ("How did the volunteers get involved?")
    is answered as it is asked: borrowing the previous question's words would rate
    quotes for a question the user did not ask, with confidence."""
    text = " ".join(question.split())
    return bool(text) and (bool(_FOLLOW_UP.match(text)) or len(text.split()) <= 2)


def core(question: str) -> str:
    """The question without its leading frame and final punctuation ("" when the frame
    is all there is, or there is none)."""
    text = " ".join(question.split()).strip().rstrip("?!.").strip()
    for frame in FRAMES:
        rest = frame.sub("", text, count=1)
        if rest != text:
            return rest if re.search(r"\w{3,}", rest) else ""
    return ""


def views(question: str, focus: str | None = None) -> list[str]:
    """The texts whose embeddings average into the question's vector: the question,
    its core, and ``focus`` (the core without the case base's topic words), distinct."""
    out = [question]
    for extra in (core(question), focus):
        if extra and extra.strip() and extra.strip().lower() not in (o.strip().lower() for o in out):
            out.append(extra)
    return out


def question_vector(emb: Embeddings, texts: list[str]) -> np.ndarray:
    """The unit-length mean of the views' query vectors (each cached by query_vector)."""
    v = np.sum([query_vector(emb, t) for t in texts], axis=0)
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
