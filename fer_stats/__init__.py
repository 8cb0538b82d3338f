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
from fer_stats.decisive import decisive_counts, decisive_trials
from fer_stats.exclusions import NO_EXCLUSIONS, Exclusions, apply_exclusions
from fer_stats.guidance import plain_language
from fer_stats.movement import movement_changes
from fer_stats.planning import participants_for_width, plan_sample_size
from fer_stats.provenance import STATS_VERSION as __version__
from fer_stats.schema import (
    FELT_NONE,
    MOVEMENT_COLUMN,
    MOVEMENT_KEYS,
    PROBABILITY_COLUMN,
    RATING_COLUMNS,
    TRIAL_COLUMNS,
    Column,
    TrialTableError,
    check_label_set,
    load_ratings,
    load_trials,
    movement_columns,
    probability_columns,
    trial_column_names,
    validate_ratings,
    validate_trials,
)
from fer_stats.simulate import StudyParameters, simulate_study, true_values
from fer_stats.valence import LABEL_VALENCE, load_valence_map

__all__ = [
    "FELT_NONE",
    "LABEL_VALENCE",
    "MOVEMENT_COLUMN",
    "MOVEMENT_KEYS",
    "NO_EXCLUSIONS",
    "Exclusions",
    "apply_exclusions",
    "check_label_set",
    "decisive_counts",
    "decisive_trials",
    "load_valence_map",
    "movement_changes",
    "movement_columns",
    "participants_for_width",
    "plain_language",
    "plan_sample_size",
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
