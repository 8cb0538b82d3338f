"""Benchmark of fer_stats.analyze on one thread, against a pandas groupby loop over resamples.

    python benchmarks/stats.py [--sizes 10000 100000 1000000] [--runs 5] [--loop-resamples 10] [--interval bca]

The loop recomputes a subset of the statistics (per-condition accuracy and kappa for two pairs, the
decisive difference, pooled Spearman and the repeated-measures r) resample by resample with pandas
groupby; it is timed on --loop-resamples resamples and scaled to the full count, so the ratio is
conservative (the engine computes more).
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fer_stats import analyze, simulate_study  # noqa: E402
from fer_stats.bootstrap import weight_matrix  # noqa: E402

TRIALS_PER_PARTICIPANT = 20
PLAN = {"natural": 5, "express": 5, "opposite": 5, "assigned": 5}


def kappa_from_crosstab(frame: pd.DataFrame, ref: str, pred: str) -> tuple[float, float]:
    table = pd.crosstab(frame[ref], frame[pred])
    table = table.reindex(
        index=table.index.union(table.columns), columns=table.index.union(table.columns), fill_value=0
    ).to_numpy(float)
    n = table.sum()
    observed = np.trace(table) / n
    chance = (table.sum(0) * table.sum(1)).sum() / n**2
    return observed, (observed - chance) / (1 - chance)


def loop_statistics(sample: pd.DataFrame) -> dict:
    out = {}
    for condition, part in [("all", sample), *sample.groupby("condition")]:
        for ref in ("target", "felt"):
            pair = part.dropna(subset=[ref, "predicted"])
            if len(pair):
                out[condition, ref] = kappa_from_crosstab(pair, ref, "predicted")
        decisive = part[part.target.notna() & part.felt.notna() & (part.target != part.felt) & part.predicted.notna()]
        out[condition, "decisive"] = (decisive.predicted == decisive.target).mean() - (
            decisive.predicted == decisive.felt
        ).mean()
        valence = part.dropna(subset=["valence", "index"])
        out[condition, "spearman"] = valence["index"].rank().corr(valence["valence"].rank())
        centred = valence[["index", "valence"]] - valence.groupby("resampled_id")[["index", "valence"]].transform(
            "mean"
        )
        out[condition, "rm"] = (centred["index"] * centred["valence"]).sum() / np.sqrt(
            (centred["index"] ** 2).sum() * (centred["valence"] ** 2).sum()
        )
    return out


def time_loop(trials: pd.DataFrame, *, n_boot: int, resamples: int, seed: int) -> float:
    """Seconds per resample of a straightforward pandas loop over participant resamples."""
    probs = trials[[c for c in trials if c.startswith("prob_")]].to_numpy()
    trials = trials.assign(index=probs[:, 3] - probs[:, [0, 1, 2, 4]].sum(axis=1))
    positions = list(trials.groupby("participant_id").indices.values())
    weights = weight_matrix(len(positions), n_boot, seed=seed)
    start = time.perf_counter()
    for b in range(resamples):
        drawn = np.repeat(np.arange(len(positions)), weights[b].astype(int))
        index = np.concatenate([positions[p] for p in drawn])
        sample = trials.iloc[index].assign(
            resampled_id=np.repeat(np.arange(len(drawn)), [len(positions[p]) for p in drawn])
        )
        loop_statistics(sample)
    return (time.perf_counter() - start) / resamples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--loop-resamples", type=int, default=10)
    parser.add_argument("--interval", choices=["percentile", "bca"], default="percentile")
    args = parser.parse_args()
    print(f"one thread, {args.n_boot} resamples, {TRIALS_PER_PARTICIPANT} trials per participant, {args.interval}")
    header = ("trials", "people", "median s", "min s", "s per 100k", "loop s (est.)", "ratio")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (9, 7, 9, 7, 10, 13, 6), strict=True)))
    for size in args.sizes:
        study = simulate_study(n_participants=size // TRIALS_PER_PARTICIPANT, trials_per_condition=PLAN, seed=0)
        runs = 1 if size >= 1_000_000 and args.runs > 1 else args.runs
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            analyze(study.trials, n_boot=args.n_boot, seed=0, interval=args.interval)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        loop = ""
        ratio = ""
        if size <= 100_000 and args.loop_resamples:
            per_resample = time_loop(study.trials, n_boot=args.n_boot, resamples=args.loop_resamples, seed=0)
            loop, ratio = f"{per_resample * args.n_boot:13.1f}", f"{per_resample * args.n_boot / median:6.0f}x"
        print(
            f"{size:>9} {size // TRIALS_PER_PARTICIPANT:>7} {median:9.2f} {min(times):7.2f} "
            f"{median / size * 100_000:10.2f} {loop:>13} {ratio:>6}",
            flush=True,
        )


if __name__ == "__main__":
    main()
