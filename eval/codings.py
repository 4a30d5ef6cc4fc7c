"""Score the theme matrix on your own decisions: every quote you accepted into a theme
or rejected from it is a label.

For each saved theme with decisions, the matrix is computed as if nothing had been
decided, and compared with them:

* precision: of the quotes the matrix proposes that you reviewed, the share you accepted;
* recall: of the quotes you accepted, the share the matrix proposes in their cell;
* interviews: of the interviews where you accepted a quote, the share whose cell is not empty.

    python -m eval.codings                  # the store and themes of your settings
    python -m eval.codings --store DIR --themes-db FILE
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ThemeScore:
    theme: str
    accepted: int
    rejected: int
    proposed_reviewed: int  # proposals you decided on
    proposed_accepted: int
    accepted_found: int  # accepted quotes the matrix proposes
    interviews: int  # interviews with an accepted quote
    interviews_found: int  # ... whose cell is not empty

    @property
    def precision(self) -> float | None:
        return self.proposed_accepted / self.proposed_reviewed if self.proposed_reviewed else None

    @property
    def recall(self) -> float | None:
        return self.accepted_found / self.accepted if self.accepted else None

    @property
    def coverage(self) -> float | None:
        return self.interviews_found / self.interviews if self.interviews else None


def _key(doc_id: str, quote: str) -> tuple[str, str]:
    return doc_id, " ".join(quote.split())


def score_codings(svc) -> list[ThemeScore]:
    """One score per saved theme with at least one decision (lost codings left out: their
    text is no longer in the interviews)."""
    from knowledge import matrix as mx

    book = svc.themes
    corpus = svc.corpus()
    out = []
    for theme in book.list():
        decided = [c for c in book.codings(theme.name) if c.anchor != "lost" and c.status in ("accepted", "rejected")]
        if not decided:
            continue
        decisions = [(_key(c.source.doc_id, c.source.quote), c.status) for c in decided]
        ts = mx.theme_scores(corpus, theme, cfg=svc.config, store=svc.store)
        cells = mx.decide_theme(corpus, ts, corpus.mask(None)).answered
        proposed = [_key(d, corpus.texts[r]) for d, rows in cells.items() for r in rows]

        def same(decision: tuple[str, str], chunk: tuple[str, str]) -> bool:
            # a decision is on a quote, which may be a trimmed part of its chunk
            return decision[0] == chunk[0] and decision[1] in chunk[1]

        verdicts = [next((st for k, st in decisions if same(k, p)), None) for p in proposed]
        accepted = [k for k, st in decisions if st == "accepted"]
        docs = {d for d, _ in accepted}
        out.append(ThemeScore(theme.name, len(accepted), sum(st == "rejected" for _, st in decisions),
                              sum(v is not None for v in verdicts), sum(v == "accepted" for v in verdicts),
                              sum(any(same(k, p) for p in proposed) for k in accepted), len(docs),
                              sum(bool(cells.get(d)) for d in docs)))
    return out


def _fmt(x: float | None) -> str:
    return "   -" if x is None else f"{x:4.2f}"


@click.command()
@click.option("--store", type=click.Path(path_type=Path), default=None, help="Store directory (default: CASEBASE_STORE).")
@click.option("--themes-db", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Themes database (default: CASEBASE_THEMES_DB).")
def main(store: Path | None, themes_db: Path | None) -> None:
    """The matrix against your accept/reject decisions."""
    from knowledge.service import Casebase
    from knowledge.settings import settings_with

    settings = settings_with(store=store)
    if themes_db:
        settings = settings.model_copy(update={"themes_db": themes_db})
    if not settings.themes_path.exists():
        click.echo(f"No themes yet ({settings.themes_path}): accept or reject quotes on the Themes page "
                   "or with `python -m knowledge themes code/reject`, then run this again.")
        return
    scores = score_codings(Casebase(settings))
    if not scores:
        click.echo("No decisions yet: accept or reject some of the matrix's quotes first.")
        return
    click.echo(f"{'theme':<28} {'accepted':>8} {'rejected':>8} {'precision':>9} {'recall':>6} {'interviews':>10}")
    for s in scores:
        click.echo(f"{s.theme[:28]:<28} {s.accepted:>8} {s.rejected:>8} {_fmt(s.precision):>9} {_fmt(s.recall):>6} {_fmt(s.coverage):>10}")
    click.echo("\nprecision: proposals you accepted among those you reviewed; recall: your accepted quotes the "
               "matrix proposes; interviews: interviews where you accepted a quote whose cell is not empty.")


if __name__ == "__main__":
    main()
