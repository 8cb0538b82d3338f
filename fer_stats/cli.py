"""python -m fer_stats TRIALS.csv [--ratings RATINGS.csv] [--out results.json] [options]
python -m fer_stats plan --sizes 20 40 80 [--pose-fidelity 0.8 ...] [--out plan.json]

Prints a readable summary and writes the full results as JSON. A bad file or option is a message and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields

from fer_conditions import CONDITIONS
from fer_stats.analysis import INTERVALS, analyze
from fer_stats.exclusions import Exclusions
from fer_stats.planning import plan_sample_size
from fer_stats.schema import TrialTableError, check_label_set, infer_labels, read_table
from fer_stats.valence import LABEL_VALENCE, load_valence_map

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 itself; keep its message, drop the usage dump
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n")


def analysis_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m fer_stats", description=__doc__.splitlines()[3])
    parser.add_argument("trials", help="trial CSV with the columns of fer_stats.TRIAL_COLUMNS")
    parser.add_argument("--ratings", help="rating CSV with the columns of fer_stats.RATING_COLUMNS")
    parser.add_argument("--out", help="write the results JSON here (default: stdout after the summary)")
    parser.add_argument("--labels", help="comma-separated label set (default: from prob_* columns)")
    parser.add_argument("--valence-map", help='JSON file {"label": valence, ...} for labels without a built-in valence')
    parser.add_argument("--model", help="the model to analyse first when the table has several (default: the first)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument(
        "--interval", choices=INTERVALS, default="percentile", help="headline interval of each estimate"
    )
    parser.add_argument("--min-participants", type=int, default=0, help="flag statistics based on fewer people")
    parser.add_argument("--target-width", type=float, help="warn when the decisive interval is wider than this")
    rules = parser.add_argument_group("declared exclusions (pilot runs are left out unless --include-pilot)")
    rules.add_argument("--include-pilot", action="store_true")
    rules.add_argument("--completed-only", action="store_true")
    rules.add_argument("--webcam-only", action="store_true")
    rules.add_argument("--face-found", action="store_true")
    rules.add_argument("--min-pose-check", type=float, metavar="K")
    rules.add_argument("--max-retakes", type=int, metavar="N")
    rules.add_argument(
        "--exclude-felt-none",
        dest="felt_reported",
        action="store_true",
        help='leave out trials whose felt report is "none"',
    )
    rules.add_argument("--min-rater-attention", type=float, metavar="SHARE")
    return parser


def exclusions_from(args: argparse.Namespace) -> Exclusions:
    """The declared exclusions from parsed options.

    >>> exclusions_from(analysis_parser().parse_args(["t.csv", "--max-retakes", "1"])).max_retakes
    1
    """
    return Exclusions(**{rule.name: getattr(args, rule.name) for rule in fields(Exclusions)})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis (or `plan`) from command-line arguments; returns the exit status.

    >>> main(["/nonexistent.csv"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["plan"]:
        return plan_main(argv[1:])
    args = analysis_parser().parse_args(argv)
    try:
        trials = read_table(args.trials, what="trials")
        labels = check_label_set(args.labels.split(",")) if args.labels else infer_labels(trials)
        valence_of = dict(LABEL_VALENCE) | (load_valence_map(args.valence_map) if args.valence_map else {})
        ratings = read_table(args.ratings, what="ratings") if args.ratings else None
        results = analyze(
            trials,
            ratings,
            labels=labels,
            n_boot=args.n_boot,
            seed=args.seed,
            valence_of=valence_of,
            interval=args.interval,
            min_participants=args.min_participants,
            target_width=args.target_width,
            exclusions=exclusions_from(args),
            model=args.model,
        )
    except (TrialTableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if needed := results["valence"].get("valence_map_needed"):
        print(f"note: {needed['reason']}", file=sys.stderr)
    print(summary(results))
    _write(json.dumps(results, indent=2, allow_nan=False), args.out)
    return 0


def _write(document: str, path: str | None) -> None:
    if path:
        with open(path, "w") as handle:
            handle.write(document + "\n")
        print(f"\nresults written to {path}")
    else:
        print(document)


def plan_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m fer_stats plan", description="Expected decisive interval width and power.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 40, 80, 160], help="numbers of participants")
    parser.add_argument(
        "--trials",
        default="natural=1,express=2,opposite=2,assigned=2",
        help="trials per condition, e.g. natural=1,opposite=4",
    )
    parser.add_argument("--labels", help="comma-separated label set (default: the seven basic categories)")
    parser.add_argument("--pose-fidelity", type=float, default=0.8)
    parser.add_argument("--classifier-accuracy", type=float, default=0.6)
    parser.add_argument("--heterogeneity", type=float, default=1.0)
    parser.add_argument("--studies", type=int, default=200, help="simulated studies per size")
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--target-width", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the plan JSON here (default: stdout)")
    return parser


def _trial_plan(text: str) -> dict[str, int]:
    plan = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        condition, _, count = part.partition("=")
        if not count.strip().isdigit():
            raise ValueError(f"--trials needs condition=count pairs, got {part!r}")
        plan[condition.strip().lower()] = int(count)
    unknown = sorted(set(plan) - set(CONDITIONS))
    if unknown or not sum(plan.values()):
        raise ValueError(f"--trials needs counts for {', '.join(CONDITIONS)} (at least one trial); got {text!r}")
    return plan


def plan_main(argv: Sequence[str]) -> int:
    """`python -m fer_stats plan ...`: the planning table and JSON; returns the exit status.

    >>> plan_main(["--sizes", "1"])
    2
    """
    args = plan_parser().parse_args(argv)

    def progress(done: int, total: int) -> None:
        print(f"\rsimulating: {done}/{total} studies", end="" if done < total else "\n", file=sys.stderr)

    parameters = {
        "trials_per_condition": None,
        "pose_fidelity": args.pose_fidelity,
        "classifier_accuracy": args.classifier_accuracy,
        "heterogeneity": args.heterogeneity,
    }
    try:
        parameters["trials_per_condition"] = _trial_plan(args.trials)
        if args.labels:
            parameters["labels"] = check_label_set(args.labels.split(","))
        plan = plan_sample_size(
            args.sizes,
            n_studies=args.studies,
            n_boot=args.n_boot,
            seed=args.seed,
            target_width=args.target_width,
            progress=progress,
            **parameters,
        )
    except (TrialTableError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print("participants  mean width  power  coverage")
    for row in plan["rows"]:
        width = "n/a" if row["mean_width"] is None else f"{row['mean_width']:.3f}"
        print(f"{row['n_participants']:>12}  {width:>10}  {row['power']:5.2f}  {row['coverage']:8.2f}")
    if args.target_width:
        print(f"participants needed for a width of {args.target_width}: {plan['participants_needed'] or 'not reached'}")
    _write(json.dumps(plan, indent=2, allow_nan=False, default=str), args.out)
    return 0


def summary(results: dict) -> str:
    """A few readable lines: the plain-language paragraph and the decisive comparison first, then
    agreement, valence, co-occurrence and observers.

    >>> from fer_stats.simulate import simulate_study
    >>> print(summary(analyze(simulate_study(n_participants=5, seed=0).trials, n_boot=50)).splitlines()[0])
    fer_study analysis: 80 trials, 5 participants (seed 0, 50 resamples)
    """
    p = results["provenance"]
    lines = [
        f"fer_study analysis: {results['n_trials']} trials, {results['n_participants']} participants "
        f"(seed {p['seed']}, {p['n_boot']} resamples)",
        "",
        results.get("summary", {}).get("text", ""),  # absent from documents cached by engine 0.1
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
    lines += _agreement_lines(results) + _valence_lines(results) + _cooccurrence_lines(results)
    reliability = results["observers"].get("reliability")
    if reliability:
        lines += [
            "",
            f"Observers: Fleiss kappa {_fmt(reliability['fleiss_kappa'])}, "
            f"Krippendorff alpha {_fmt(reliability['krippendorff_alpha_nominal'])}",
        ]
    return "\n".join(lines)


def _agreement_lines(results: dict) -> list[str]:
    lines = ["", "Agreement (Cohen's kappa; accuracy vs chance):"]
    for pair, by_scope in results["agreement"].items():
        for scope, a in by_scope.items():
            if a["n"]:
                lines.append(
                    f"  {pair:<28} {scope:<9} n={a['n']:<6} kappa {_fmt(a['kappa'])}  "
                    f"accuracy {_fmt(a['accuracy'])} (chance {_fmt(a['chance_accuracy'], ci=False)})"
                )
    return lines


def _valence_lines(results: dict) -> list[str]:
    lines = ["", "Valence (model index vs self-report):"]
    if needed := results["valence"].get("valence_map_needed"):
        return lines + [f"  {needed['reason']}"]
    for scope, v in results["valence"].items():
        if scope != "label_valence" and v["n"]:
            lines.append(
                f"  {scope:<9} n={v['n']:<6} Spearman {_fmt(v['spearman_pooled'])}  "
                f"within-person r {_fmt(v['repeated_measures_r'])}"
            )
    return lines


def _cooccurrence_lines(results: dict) -> list[str]:
    co = results["cooccurrence"]
    lines = [
        "",
        f"Co-occurrence on natural+express trials (meta-analysis: "
        f"{co['meta_analytic']['full_expression']} full, "
        f"{co['meta_analytic']['full_or_partial_expression']} full or partial):",
    ]
    for label, c in co["by_label"].items():
        if c["n_felt"]:
            lines.append(f"  felt {label:<9} n={c['n_felt']:<6} P(pred=felt) {_fmt(c['predicted_given_felt'])}")
    return lines


def _fmt(result: dict, *, ci: bool = True) -> str:
    if result.get("estimate") is None:
        return "undefined"
    text = f"{result['estimate']:.3f}"
    if ci and result.get("ci"):
        text += f" [{result['ci'][0]:.3f}, {result['ci'][1]:.3f}]"
    return text


def _p(test: dict) -> str:
    return "n/a" if test.get("p_value") is None else f"{test['p_value']:.3g}"
