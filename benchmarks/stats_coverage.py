"""Coverage of 95% intervals over simulated studies with known truth (the issue's acceptance check).

    python benchmarks/stats_coverage.py [--studies 500] [--n-boot 2000] [--participants 60]

Participant-clustered intervals should cover 93-97% of the time; trial-level ones (trials resampled as
if independent, or kappa's asymptotic SE) under-cover because trials are nested in people.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fer_stats.planning import interval_coverage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=500)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--heterogeneity", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.perf_counter()
    out = interval_coverage(
        n_studies=args.studies,
        n_boot=args.n_boot,
        seed=args.seed,
        n_participants=args.participants,
        heterogeneity=args.heterogeneity,
    )
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["participants"] = args.participants
    print(json.dumps(out, indent=2))
    clustered = [out["coverage"][q]["clustered_bootstrap"] for q in out["coverage"]]
    sys.exit(0 if all(0.93 <= c <= 0.97 for c in clustered) else 1)


if __name__ == "__main__":
    main()
