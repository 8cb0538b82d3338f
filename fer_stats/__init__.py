"""Agreement statistics on a tidy trial table: does the model's label follow the face or the feeling?

Django-free: numpy, pandas and scipy only. A worked example on a simulated study:

>>> from fer_stats import analyze, simulate_study
>>> study = simulate_study(n_participants=40, pose_fidelity=0.9, classifier_accuracy=0.7, seed=1)
>>> results = analyze(study.trials, n_boot=300, seed=0)
>>> decisive = results["decisive"]["all"]
>>> decisive["difference"]["estimate"] > 0          # the label follows the posed face
True
>>> round(study.truth["decisive_difference"], 2)    # what the simulation put in
0.45

From the command line: ``python -m fer_stats trials.csv --ratings ratings.csv --out results.json``.
"""

from fer_stats.analysis import analyze
from fer_stats.provenance import STATS_VERSION as __version__
from fer_stats.schema import (
    PROBABILITY_COLUMN,
    RATING_COLUMNS,
    TRIAL_COLUMNS,
    Column,
    TrialTableError,
    load_ratings,
    load_trials,
    probability_columns,
    trial_column_names,
    validate_ratings,
    validate_trials,
)
from fer_stats.simulate import StudyParameters, simulate_study, true_values

__all__ = [
    "PROBABILITY_COLUMN",
    "RATING_COLUMNS",
    "TRIAL_COLUMNS",
    "Column",
    "StudyParameters",
    "TrialTableError",
    "__version__",
    "analyze",
    "load_ratings",
    "load_trials",
    "probability_columns",
    "simulate_study",
    "trial_column_names",
    "true_values",
    "validate_ratings",
    "validate_trials",
]
