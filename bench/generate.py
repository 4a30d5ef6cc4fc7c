"""Deterministic generator of synthetic Danish partnership interviews.

    python -m bench.generate --n 100 --out DIR --seed 1

One seeded ``random.Random`` per interview (seed, index), so file *i* is the
same whatever ``--n`` is: the 100-interview corpus is a prefix of the
1,000-interview one, and a benchmark can compare sizes on the same files.

Shapes, in roughly the mix a real case base has:
  * "5 hurtige": intro sentence, case overview (heading sometimes glued to the
    intro, as in the bundled sample), ``1)`` questions with ``•`` bullets;
  * ``Spørgsmål N:`` / ``Svar:`` blocks with prose answers;
  * unnumbered question lines ending in ``?`` followed by prose paragraphs;
  * Markdown with ``##`` question headings, half of them with YAML front matter.
The mean is about 25 quotable chunks per interview (answer bullets and
paragraphs, long paragraphs split by the chunker, plus the case description).
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bench import pools

SHAPES = ("hurtige", "spoergsmaal", "unnumbered", "markdown")
SHAPE_WEIGHTS = (0.4, 0.25, 0.15, 0.2)


@dataclass
class Person:
    name: str
    role: str
    org: str
    city: str
    partner: str
    case: str
    kind: str
    target: str


def _person(rng: random.Random) -> Person:
    city = rng.choice(pools.CITIES)
    org = f"{city} {rng.choice(pools.ORG_KINDS)}"
    partner = rng.choice(pools.PARTNERS).format(city=city)
    first = rng.choice(pools.FIRST)
    # a middle name now and then: realistic, and it exercises the name pattern
    middle = f" {rng.choice(pools.LAST)}" if rng.random() < 0.2 else ""
    return Person(
        name=f"{first}{middle} {rng.choice(pools.LAST)}",
        role=rng.choice(pools.ROLES),
        org=org,
        city=city,
        partner=partner,
        case=rng.choice(pools.CASE_A) + rng.choice(pools.CASE_B),
        kind=rng.choice(pools.CASE_KIND),
        target=rng.choice(pools.TARGETS),
    )


def _fill(template: str, p: Person, rng: random.Random) -> str:
    return template.format(
        partner=p.partner, case=f"’{p.case}’" if rng.random() < 0.5 else p.case, org=p.org,
        city=p.city, target=p.target, n=rng.choice([150, 300, 450, 800, 1200, 2500]),
        k=rng.randint(2, 9), pct=rng.choice([12, 18, 25, 30, 40, 65]), hours=rng.randint(3, 20),
        kr=rng.choice(["50.000", "120.000", "250.000", "400.000"]), months=rng.randint(2, 18),
        weekday=rng.choice(["mandag", "tirsdag", "onsdag", "torsdag", "fredag"]),
        year=rng.randint(2008, 2024), name2=f"{rng.choice(pools.FIRST)} {rng.choice(pools.LAST)}",
    )


_WORD = re.compile(r"\w+")


def _vary(text: str, rng: random.Random) -> str:
    """Swap some words for synonyms (about one in three occurrences)."""
    def swap(m: re.Match) -> str:
        alts = pools.SYNONYMS.get(m.group(0))
        return rng.choice(alts) if alts and rng.random() < 0.35 else m.group(0)
    return _WORD.sub(swap, text)


class _Deck:
    """Theme cores dealt without replacement, reshuffled when used up: one answer
    does not say the same thing twice in a row, as a random pick would."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cards: dict[str, list[str]] = {}

    def draw(self, theme: str) -> str:
        cards = self.cards.get(theme)
        if not cards:
            cards = self.cards[theme] = self.rng.sample(pools.CORES[theme], k=len(pools.CORES[theme]))
        return cards.pop()


def sentence(theme: str, p: Person, rng: random.Random, deck: _Deck | None = None) -> str:
    """One answer sentence: sometimes a prefix, a theme core, often a tail; slots filled."""
    core = _vary(_fill((deck or _Deck(rng)).draw(theme), p, rng), rng)
    tail = _fill(rng.choice(pools.TAILS), p, rng)
    prefix = rng.choice(pools.PREFIXES) if rng.random() < 0.18 else ""
    if prefix.endswith("at ") and core[:1].isupper() and core[1:2].islower() and not core.startswith(p.case):
        core = core[0].lower() + core[1:]  # "For os gælder det, at partnerskabet ..."
    end = "!" if rng.random() < 0.04 else "."
    return f"{prefix}{core}{tail}{end}"


def answer_items(theme: str, p: Person, rng: random.Random, prose: bool) -> list[str]:
    """Bullets (1-2 sentences) or prose paragraphs (2-6, sometimes 9-14 sentences,
    which the chunker must split at sentence boundaries)."""
    n_items = rng.choices([1, 2, 3, 4, 5], weights=[2, 4, 4, 2, 1])[0]
    deck = _Deck(rng)
    items = []
    for _ in range(n_items):
        if prose:
            n_sent = rng.randint(9, 14) if rng.random() < 0.12 else rng.randint(2, 6)
        else:
            n_sent = rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
        sents = [sentence(theme, p, rng, deck) for _ in range(n_sent)]
        if rng.random() < 0.25:
            sents.append(rng.choice(pools.GENERAL) + ".")
        items.append(" ".join(sents))
    return items


def _questions(p: Person, rng: random.Random) -> list[tuple[str, str]]:
    n_q = rng.choices([4, 5, 6, 7, 8, 9, 10, 12], weights=[1, 4, 3, 3, 3, 2, 2, 1])[0]
    themes = rng.sample(list(pools.QUESTIONS), k=min(n_q, len(pools.QUESTIONS)))
    return [(t, _fill(rng.choice(pools.QUESTIONS[t]), p, rng)) for t in themes]


def _intro(p: Person, rng: random.Random) -> str:
    forms = [
        f"Gennem projektperioden har vi løbende sendt “5 hurtige” spørgsmål til personer, der arbejder med "
        f"partnerskaber. {p.name}, {p.role} på {p.org} har svaret på de “5 hurtige”.",
        f"Interview med {p.name} ({p.role}, {p.org}) om partnerskabet bag {p.case}.",
        f"{p.name}, der er {p.role.lower()} i {p.org}, fortæller om samarbejdet med {p.partner}.",
        f"{p.name}, {p.role}, {p.org}, fortæller her om projektet ’{p.case}’.",
    ]
    return rng.choice(forms)


def _case_description(p: Person, rng: random.Random) -> list[str]:
    first = (f"Skabelse af projektet ’{p.case}’ i forbindelse med {p.kind} i {p.city}. "
             f"Partnerne var {p.partner}, {rng.choice(pools.PARTNERS).format(city=p.city)} og {p.org}.")
    more = [" ".join(sentence(t, p, rng) for t in ("formål", "resultater"))]
    if rng.random() < 0.5:
        more.append(" ".join(sentence("netværk", p, rng) for _ in range(rng.randint(1, 3))))
    return [first, *more]


def render(index: int, seed: int) -> tuple[str, str]:
    """(file name, text) of interview ``index`` for ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    p = _person(rng)
    shape = rng.choices(SHAPES, weights=SHAPE_WEIGHTS)[0]
    qs = _questions(p, rng)
    intro, case = _intro(p, rng), _case_description(p, rng)
    out: list[str] = []
    ext = "txt"
    if shape == "hurtige":
        heading = "PARTNERSKABET – ET KORT OPRIDS"
        # the bundled sample glues the heading onto the intro's last sentence; so do a third of ours
        out += [intro + heading, ""] if rng.random() < 0.33 else [intro, "", heading, ""]
        out += [f"{para}\n" for para in case]
        out += [" ", "", " “5 HURTIGE” TIL PARTNERSKABET ", ""]
        for i, (theme, q) in enumerate(qs, 1):
            out += [f"{i}) {q}", ""]
            out += [f" • {b}" for b in answer_items(theme, p, rng, prose=False)]
            out += ["", " ", ""]
    elif shape == "spoergsmaal":
        out += [intro, "", *case, ""]
        for i, (theme, q) in enumerate(qs, 1):
            items = answer_items(theme, p, rng, prose=True)
            out += [f"Spørgsmål {i}: {q}", f"Svar: {items[0]}", *[f"\n{x}" for x in items[1:]], ""]
    elif shape == "unnumbered":
        out += [intro, "", "Om projektet", "", "\n\n".join(case), ""]
        for theme, q in qs:
            out += [q, ""] + [f"{x}\n" for x in answer_items(theme, p, rng, prose=True)]
    else:
        ext = "md"
        if rng.random() < 0.5:
            out += ["---", f"interviewee: {p.name}", f"role: {p.role}", f"organisation: {p.org}",
                    f"case: {p.case}", "language: da", "---", ""]
        out += [f"# {p.case}: et partnerskab i {p.city}", "", intro, "", "## Om partnerskabet", "", *case, ""]
        for theme, q in qs:
            out += [f"## {q}", ""] + [f"{x}\n" for x in answer_items(theme, p, rng, prose=rng.random() < 0.7)]
    text = "\n".join(out).rstrip() + "\n"
    return f"{index:05d}-{_slug(p.org)}-{_slug(p.case)}.{ext}", text


def _slug(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("æ", "ae").replace("ø", "oe").replace("å", "aa"))
    return re.sub(r"[^a-z0-9]+", "-", s.encode("ascii", "ignore").decode().lower()).strip("-")


def generate(n: int, out: Path, seed: int = 1, start: int = 0) -> list[Path]:
    """Write interviews ``start .. start+n-1`` to ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        name, text = render(i, seed)
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="number of interviews (default 100)")
    ap.add_argument("--out", type=Path, required=True, help="folder to write into (created)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    paths = generate(args.n, args.out, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} interviews ({size / 1e6:.1f} MB) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
