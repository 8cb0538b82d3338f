"""python -m fer_stats TRIALS.csv [--ratings RATINGS.csv] [--out results.json]

Prints a readable summary and writes the full results as JSON. A bad file is a message and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from fer_stats.analysis import analyze
from fer_stats.schema import TrialTableError, infer_labels, read_table

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fer_stats", description=__doc__.splitlines()[2])
    parser.add_argument("trials", help="trial CSV with the columns of fer_stats.TRIAL_COLUMNS")
    parser.add_argument("--ratings", help="rating CSV with the columns of fer_stats.RATING_COLUMNS")
    parser.add_argument("--out", help="write the results JSON here (default: stdout after the summary)")
    parser.add_argument("--labels", help="comma-separated label set (default: from prob_* columns)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args(argv)
    try:
        trials = read_table(args.trials, what="trials")
        labels = tuple(args.labels.split(",")) if args.labels else infer_labels(trials)
        ratings = read_table(args.ratings, what="ratings") if args.ratings else None
        results = analyze(trials, ratings, labels=labels, n_boot=args.n_boot, seed=args.seed)
    except (TrialTableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(summary(results))
    document = json.dumps(results, indent=2, allow_nan=False)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(document + "\n")
        print(f"\nresults written to {args.out}")
    else:
        print(document)
    return 0


def summary(results: dict) -> str:
    """A few readable lines: the decisive comparison first, then agreement and valence.

    >>> from fer_stats.simulate import simulate_study
    >>> print(summary(analyze(simulate_study(n_participants=5, seed=0).trials, n_boot=50)).splitlines()[0])
    fer_study analysis: 80 trials, 5 participants (seed 0, 50 resamples)
    """
    p = results["provenance"]
    lines = [
        f"fer_study analysis: {results['n_trials']} trials, {results['n_participants']} participants "
        f"(seed {p['seed']}, {p['n_boot']} resamples)",
        "",
        "Decisive trials (target differs from felt): does the label follow the face or the feeling?",
    ]
    for scope, d in results["decisive"].items():
        if d["n"]:
            lines.append(
                f"  {scope:<9} n={d['n']:<6} P(pred=target) {_fmt(d['follows_target'])}  "
                f"P(pred=felt) {_fmt(d['follows_felt'])}  difference {_fmt(d['difference'])}  "
                f"sign-flip p={_p(d['sign_flip'])}"
            )
    lines += ["", "Agreement (Cohen's kappa; accuracy vs chance):"]
    for pair, by_scope in results["agreement"].items():
        for scope, a in by_scope.items():
            if a["n"]:
                lines.append(
                    f"  {pair:<28} {scope:<9} n={a['n']:<6} kappa {_fmt(a['kappa'])}  "
                    f"accuracy {_fmt(a['accuracy'])} (chance {_fmt(a['chance_accuracy'], ci=False)})"
                )
    lines += ["", "Valence (model index vs self-report):"]
    for scope, v in results["valence"].items():
        if scope != "label_valence" and v["n"]:
            lines.append(
                f"  {scope:<9} n={v['n']:<6} Spearman {_fmt(v['spearman_pooled'])}  "
                f"within-person r {_fmt(v['repeated_measures_r'])}"
            )
    co = results["cooccurrence"]
    lines += [
        "",
        f"Co-occurrence on natural+express trials (meta-analysis: "
        f"{co['meta_analytic']['full_expression']} full, "
        f"{co['meta_analytic']['full_or_partial_expression']} full or partial):",
    ]
    for label, c in co["by_label"].items():
        if c["n_felt"]:
            lines.append(f"  felt {label:<9} n={c['n_felt']:<6} P(pred=felt) {_fmt(c['predicted_given_felt'])}")
    reliability = results["observers"].get("reliability")
    if reliability:
        lines += [
            "",
            f"Observers: Fleiss kappa {_fmt(reliability['fleiss_kappa'])}, "
            f"Krippendorff alpha {_fmt(reliability['krippendorff_alpha_nominal'])}",
        ]
    return "\n".join(lines)


def _fmt(result: dict, *, ci: bool = True) -> str:
    if result.get("estimate") is None:
        return "undefined"
    text = f"{result['estimate']:.3f}"
    if ci and result.get("ci"):
        text += f" [{result['ci'][0]:.3f}, {result['ci'][1]:.3f}]"
    return text


def _p(test: dict) -> str:
    return "n/a" if test.get("p_value") is None else f"{test['p_value']:.3g}"
