"""The theme matrix remembers each theme's scores per snapshot: the same themes again
cost no scoring and give the same matrix; other filters, other wordings or a new
snapshot (a sync) score afresh, and the researcher's codings are decided every time."""
from __future__ import annotations

import pytest

import knowledge.matrix as mx
from knowledge.types import Theme

ESPORT = Theme("E-sport", ["Hvorfor spiller de unge e-sport på biblioteket?"])
SEEDS = Theme("Seeds", ["Which seeds do the gardeners return every autumn?"])


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    real = mx.theme_scores

    def counting(corpus, theme, *args, **kwargs):
        calls.append(tuple(theme.questions))
        return real(corpus, theme, *args, **kwargs)

    monkeypatch.setattr(mx, "theme_scores", counting)
    return calls


def test_the_same_themes_again_score_nothing_and_match(casebase, scored) -> None:
    first = casebase.matrix([ESPORT, SEEDS]).to_dict()
    assert len(scored) == 2
    again = casebase.matrix([ESPORT, SEEDS]).to_dict()
    assert len(scored) == 2, "remembered columns are not scored again"
    assert again == first
    # a renamed theme with the same question reuses its column under the new name
    renamed = casebase.matrix([Theme("Gaming", ESPORT.questions)])
    assert len(scored) == 2 and renamed.to_dict()["themes"][0]["name"] == "Gaming"
    assert [r.cells.get("Gaming") for r in renamed.rows] != [None] * len(renamed.rows)


def test_other_filters_and_wordings_score_afresh(casebase, scored) -> None:
    casebase.matrix([ESPORT])
    org = next(i for i in casebase.interviews() if i.get("organisation"))["organisation"]
    casebase.matrix([ESPORT], filters={"organisation": [org]})
    casebase.matrix([Theme("E-sport", ESPORT.questions + SEEDS.questions)])
    assert len(scored) == 3


def test_codings_are_decided_on_every_matrix(casebase, scored) -> None:
    top = next(c for r in casebase.matrix([ESPORT]).rows for c in r.cells.get("E-sport", []))
    casebase.themes.add("E-sport", ESPORT.questions)
    casebase.themes.reject("E-sport", top.source)
    after = casebase.matrix([ESPORT])
    assert len(scored) == 1  # the column was remembered, the rejection still applies
    assert top.source.chunk_id not in {c.source.chunk_id for r in after.rows for c in r.cells.get("E-sport", [])}


def test_scores_shared_by_matrices_are_read_only(casebase) -> None:
    corpus = casebase.corpus()
    ts = mx.memo_scores(corpus, ESPORT)
    with pytest.raises(ValueError):
        ts.rel[0] = 1.0


def test_the_interview_list_is_read_once_per_snapshot_and_follows_a_sync(casebase, knowledge_folder, hash_embeddings, monkeypatch) -> None:
    """A theme matrix lists every interview; the manifest behind it is read once per
    snapshot (a Chroma read of every record), and again once a sync moves the store."""
    from ingest.sync import sync_paths
    from knowledge.store import Store

    casebase.corpus()  # the snapshot (its build reads the manifest too)
    reads: list[int] = []
    real = Store.documents
    monkeypatch.setattr(Store, "documents", lambda self: reads.append(1) or real(self))
    first = casebase.interviews()
    first[0]["organisation"] = "changed by the caller"  # a copy: the kept list stays as read
    casebase.matrix([ESPORT])
    assert casebase.interviews()[0].get("organisation") != "changed by the caller"
    assert len(reads) == 1
    doc = first[0]["doc_id"]
    (knowledge_folder / (doc.rsplit(".", 1)[0] + ".meta.yaml")).write_text("organisation: Nyt Navn\n", encoding="utf-8")
    sync_paths([knowledge_folder], casebase.store.settings, embeddings=hash_embeddings)
    assert next(i for i in casebase.interviews() if i["doc_id"] == doc)["organisation"] == "Nyt Navn"


def test_the_kept_interview_list_does_not_keep_an_old_snapshot_alive(casebase, knowledge_folder, hash_embeddings) -> None:
    """A snapshot holds every quote and vector: once a sync replaces it, the kept
    interview list must not hold on to it (a long-running app would keep two in memory)."""
    import gc
    import weakref

    from ingest.sync import sync_paths

    casebase.interviews()
    old = weakref.ref(casebase.corpus())
    doc = casebase.interviews()[0]["doc_id"]
    (knowledge_folder / (doc.rsplit(".", 1)[0] + ".meta.yaml")).write_text("organisation: Nyt Navn\n", encoding="utf-8")
    sync_paths([knowledge_folder], casebase.store.settings, embeddings=hash_embeddings)
    assert casebase.corpus() is not old()
    gc.collect()
    assert old() is None
