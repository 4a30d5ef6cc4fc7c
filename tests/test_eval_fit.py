"""eval/fit.py: the answers the fit simulates to choose its thresholds."""
from __future__ import annotations

import numpy as np

from eval.fit import simulate


def test_simulate_decides_from_relevances_alone():
    """``make fit`` chooses its thresholds from these answers (it failed when decide began
    reading the snapshot's integer interview codes)."""
    docs = ["a.txt", "a.txt", "b.txt", "c.txt"]
    questions = [
        {"id": "q1", "lang": "da", "gold": [{"doc": "a.txt"}], "answers": [{"doc": "a.txt", "grade": 2}, {"doc": "b.txt", "grade": 2}]},
        {"id": "q2", "lang": "da"},  # off-topic
    ]
    pred = np.array([0.9, 0.1, 0.2, 0.6, 0.1, 0.2, 0.1, 0.1])
    y = np.array([2, 0, 2, 0, 0, 0, 0, 0])
    qidx = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    prec, cov, refused = simulate(pred, y, qidx, questions, docs, 0.5, 0.8)
    assert (prec, cov, refused) == (0.5, 0.5, 1.0)  # a's and c's quotes shown; b missed; q2 refused
    prec, cov, refused = simulate(pred, y, qidx, questions, docs, 0.15, 0.8)
    assert cov == 1.0 and refused == 0.0  # b reached too, and the off-topic question answered
