"""Training time and peak memory for 5k, 20k and 100k-row synthetic datasets.

    .venv/bin/python bench/train.py [--rows 5000 20000 100000] [--n-jobs 1] [--threads 0]

Each size runs in its own child process, so its peak resident memory (ru_maxrss) is
its own: the dataset, the full GridSearch (the production "standard" grid: every
candidate, 3-fold search, holdout, 5-fold CV of the winner, permutation importances)
and nothing left over from a previous size. The data is predictor.ml.synthetic's
(labelled synthetic: Poisson streams driven by artist affinity, danceability and
popularity, about a fifth of the tracks streamed, 5% of each feature missing).

--n-jobs is GridSearchCV's process count, --threads caps BLAS/OpenMP threads per fit
(0: the libraries' default, all cores). The defaults are production's settings
MUSICFLOW_TRAINING_N_JOBS=1 and MUSICFLOW_TRAINING_THREADS=1: on a shared 2-core
machine OpenMP threads that spin-wait for a busy core made training several times
slower than one thread per fit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _child(rows: int, n_jobs: int, threads: int) -> dict[str, object]:
    from predictor.ml.synthetic import synthetic_dataset
    from predictor.ml.training import TrainingConfig, model_train

    data = synthetic_dataset(rows=rows, seed=7)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    config = TrainingConfig(n_jobs=n_jobs, threads=threads or None)
    started = time.perf_counter()
    result = model_train(frame=data.frame, target=data.target, config=config)
    seconds = time.perf_counter() - started
    # Worker processes (n_jobs > 1) are children: count their peak too.
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return {
        "rows": rows,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kib / 1024),
        "rss_before_training_mb": round(before / 1024),
        "candidates": len(result.candidates),
        "chosen": result.estimator,
        "holdout_d2": round(result.holdout["model"].d2 or 0.0, 3),
    }


def _run(rows: int, n_jobs: int, threads: int) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(rows),
            "--n-jobs",
            str(n_jobs),
            "--threads",
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5_000, 20_000, 100_000])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.n_jobs, args.threads)))
        return
    print(
        f"cores: {os.cpu_count()}, n_jobs: {args.n_jobs}, threads per fit: "
        f"{args.threads or 'library default'}"
    )
    print(
        f"{'rows':>8} {'seconds':>8} {'peak MB':>8} {'MB before':>10} {'cands':>6} "
        f"{'D^2':>6}  chosen"
    )
    for rows in args.rows:
        r = _run(rows, args.n_jobs, args.threads)
        print(
            f"{r['rows']:>8} {r['seconds']:>8} {r['peak_rss_mb']:>8} "
            f"{r['rss_before_training_mb']:>10} {r['candidates']:>6} {r['holdout_d2']:>6}  "
            f"{r['chosen']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
