"""Crash-test hook shared by sync and uploads."""
from __future__ import annotations

import os
import signal

_FAIL_HITS: dict[str, int] = {}


def failpoint(name: str) -> None:
    """CASEBASE_FAILPOINT=NAME[:N] kills this process (SIGKILL) the Nth time NAME is
    reached (a batched write reaches it once per document of the batch), so tests can
    prove recovery from a kill at every step. NAME:N:stop stops it instead (SIGSTOP), once:
    a test reads the store from another process, then lets it go on (SIGCONT)."""
    spec = os.environ.get("CASEBASE_FAILPOINT")
    if not spec:
        return
    point, _, rest = spec.partition(":")
    nth, _, action = rest.partition(":")
    if point != name:
        return
    _FAIL_HITS[name] = _FAIL_HITS.get(name, 0) + 1
    if action == "stop":
        if _FAIL_HITS[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGSTOP)
    elif _FAIL_HITS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
