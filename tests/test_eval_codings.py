"""Your accept/reject decisions score the matrix (eval/codings.py)."""
from __future__ import annotations

from click.testing import CliRunner

from eval.codings import main, score_codings
from knowledge.types import Theme

THEME = Theme("E-sport", ["Hvorfor spiller de unge e-sport på biblioteket?"])


def test_decisions_score_the_matrix(casebase):
    cell = next(r for r in casebase.matrix([THEME]).rows if r.cells.get("E-sport")).cells["E-sport"]
    casebase.themes.add(THEME.name, THEME.questions)
    casebase.themes.code(THEME.name, cell[0].source)
    elsewhere = casebase.find("seeds", mode="words").sources[0]  # an interview the matrix leaves empty
    casebase.themes.code(THEME.name, elsewhere)
    (s,) = score_codings(casebase)
    assert (s.theme, s.accepted, s.rejected) == ("E-sport", 2, 0)
    assert s.proposed_reviewed == 1 and s.proposed_accepted == 1
    assert s.recall == 0.5 and s.coverage == 0.5  # the seed quote's interview is not in the matrix


def test_a_rejected_proposal_counts_as_reviewed_not_accepted(casebase):
    """The reject path, always run (the fixture's cell holds one proposal: it is rejected)."""
    cell = next(r for r in casebase.matrix([THEME]).rows if r.cells.get("E-sport")).cells["E-sport"]
    casebase.themes.add(THEME.name, THEME.questions)
    casebase.themes.reject(THEME.name, cell[0].source)
    (s,) = score_codings(casebase)
    assert (s.theme, s.accepted, s.rejected) == ("E-sport", 0, 1)
    assert s.proposed_reviewed == 1 and s.proposed_accepted == 0


def test_cli_without_themes_says_what_to_do(settings, tmp_path):
    res = CliRunner().invoke(main, ["--store", str(settings.store), "--themes-db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 0 and "No themes yet" in res.output
