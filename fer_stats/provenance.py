"""What produced a result: engine version, seed, resamples and library versions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy

STATS_VERSION = "0.2.0"


def provenance(*, seed: int, n_boot: int, level: float, interval: str = "percentile") -> dict:
    """Stamp for the top of a results document.

    >>> provenance(seed=1, n_boot=10, level=0.95)["engine"]
    'fer_stats 0.2.0'
    """
    return {
        "engine": f"fer_stats {STATS_VERSION}",
        "seed": seed,
        "n_boot": n_boot,
        "level": level,
        "interval": f"participant-clustered {'BCa' if interval == 'bca' else 'percentile'} bootstrap "
        "(participants resampled with replacement)",
        "headline_interval": interval,
        "libraries": {"numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__},
    }


def stamp(*, seed: int, n_boot: int) -> dict:
    """The short stamp carried by every individual result."""
    return {"seed": seed, "n_boot": n_boot, "version": STATS_VERSION}
