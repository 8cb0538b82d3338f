"""The tidy column contract shared by the analysis, the export and the codebook.

One row per trial, one row per rating. Extra columns are carried along untouched.

>>> import pandas as pd
>>> trials = pd.DataFrame({"participant_id": ["p1"], "trial_index": [0], "condition": ["opposite"],
...     "felt": ["happy"], "target": ["sad"], "predicted": ["sad"]})
>>> bool(validate_trials(trials)["valence"].isna().all())  # optional columns are added, empty
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fer_conditions import CONDITIONS, DEFAULT_LABELS

PROB_PREFIX = "prob_"


class TrialTableError(ValueError):
    """A trial or rating table that does not follow the column contract."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string", "integer", "category", "label", "number"
    description: str
    required: bool = True


TRIAL_COLUMNS: tuple[Column, ...] = (
    Column("participant_id", "string", "Participant code; trials are clustered within it."),
    Column("trial_index", "integer", "Position of the trial in the participant's sequence (0-based)."),
    Column("condition", "category", f"What the face was asked to do: {', '.join(CONDITIONS)}."),
    Column("felt", "label", "Emotion the participant reported feeling; empty if not reported."),
    Column("target", "label", "Expression the participant was asked to show; empty on natural trials."),
    Column("predicted", "label", "Classifier's top label; empty when no face was classified."),
    Column("intensity", "number", "Felt intensity, 1-7.", required=False),
    Column("valence", "number", "Self-reported valence, 1 (negative) to 9 (positive).", required=False),
    Column("arousal", "number", "Self-reported arousal, 1 (calm) to 9 (excited).", required=False),
)
PROBABILITY_COLUMN = Column(
    PROB_PREFIX + "<label>",
    "number",
    "Classifier probability of <label>, one column per label.",
    required=False,
)
RATING_COLUMNS: tuple[Column, ...] = (
    Column("rater_id", "string", "Observer who labelled the photo."),
    Column("participant_id", "string", "Participant whose photo was rated."),
    Column("trial_index", "integer", "Trial of that participant whose photo was rated."),
    Column("label", "label", "Expression the observer saw; empty if skipped."),
    Column("felt_guess", "label", "Observer's guess of the felt emotion; empty if not asked.", required=False),
)

_LABEL_COLUMNS = ("felt", "target", "predicted")


def probability_columns(labels: tuple[str, ...] | list[str]) -> list[str]:
    """Column names of the per-label probabilities.

    >>> probability_columns(["happy", "sad"])
    ['prob_happy', 'prob_sad']
    """
    return [PROB_PREFIX + label for label in labels]


def trial_column_names(labels: tuple[str, ...] | list[str]) -> list[str]:
    """Column order of an exported trial table: one prob_<label> per label after `predicted`.

    >>> trial_column_names(["happy", "sad"])[5:8]
    ['predicted', 'prob_happy', 'prob_sad']
    """
    names = [column.name for column in TRIAL_COLUMNS]
    cut = names.index("predicted") + 1
    return names[:cut] + probability_columns(labels) + names[cut:]


def infer_labels(frame: pd.DataFrame) -> tuple[str, ...]:
    """The label set: from prob_* columns if any, else the default seven categories.

    >>> infer_labels(pd.DataFrame(columns=["prob_happy", "prob_sad"]))
    ('happy', 'sad')
    """
    found = tuple(c[len(PROB_PREFIX) :] for c in frame.columns if str(c).startswith(PROB_PREFIX))
    return found or tuple(DEFAULT_LABELS)


def _clean_labels(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def _blank_missing(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "")


def _check_columns(frame: pd.DataFrame, columns: tuple[Column, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TrialTableError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    if missing:
        raise TrialTableError(f"{what} table is missing required column(s): {', '.join(missing)}")


def _numeric(frame: pd.DataFrame, name: str, what: str, *, integer: bool = False) -> pd.Series:
    column = frame[name]
    values = (
        column.astype("float64") if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    )
    blank = column[values.isna()]
    bad = blank.notna() & (blank.astype("string").str.strip() != "")
    if bad.any():
        rows = list(blank.index[bad][:5])
        raise TrialTableError(f"{what} column {name!r} has non-numeric values in rows {rows}")
    if integer and (values.isna().any() or (values % 1 != 0).any()):
        raise TrialTableError(f"{what} column {name!r} must hold whole numbers with no gaps")
    return values.astype("int64") if integer else values.astype("float64")


def _check_labels(frame: pd.DataFrame, names: tuple[str, ...], labels: tuple[str, ...], what: str) -> None:
    allowed = set(labels)
    for name in names:
        if name not in frame.columns:
            continue
        unknown = sorted(set(frame[name].dropna()) - allowed)
        if unknown:
            raise TrialTableError(
                f"{what} column {name!r} has labels outside the label set "
                f"({', '.join(labels)}): {', '.join(map(str, unknown[:5]))}; "
                "give the label set explicitly (labels=... or --labels) or add prob_<label> columns"
            )


def validate_trials(frame: pd.DataFrame, *, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A clean copy of a trial table, or TrialTableError naming what is wrong.

    Labels are stripped strings with None for empty; numbers are floats with NaN for missing.

    >>> t = pd.DataFrame({"participant_id": [1], "trial_index": [0], "condition": ["natural"],
    ...     "felt": ["happy"], "target": [""], "predicted": ["happy"]})
    >>> validate_trials(t).loc[0, "target"] is None
    True
    """
    _check_columns(frame, TRIAL_COLUMNS, "trials")
    labels = tuple(labels) if labels is not None else infer_labels(frame)
    out = frame.copy()
    # pandas 3 keeps None/NaN missing through astype(str); blank them first so both are caught here.
    out["participant_id"] = _blank_missing(out["participant_id"]).astype(str).str.strip()
    if (out["participant_id"].isin(["", "nan", "None"])).any():
        raise TrialTableError("trials column 'participant_id' has empty values")
    out["trial_index"] = _numeric(out, "trial_index", "trials", integer=True)
    out["condition"] = _blank_missing(out["condition"]).astype(str).str.strip().str.lower()
    unknown = sorted(set(out["condition"]) - set(CONDITIONS))
    if unknown:
        raise TrialTableError(
            f"trials column 'condition' has unknown values {unknown[:5]}; expected {', '.join(CONDITIONS)}"
        )
    for name in _LABEL_COLUMNS:
        out[name] = _clean_labels(out[name])
    _check_labels(out, _LABEL_COLUMNS, labels, "trials")
    for column in TRIAL_COLUMNS:
        if not column.required:
            out[column.name] = _numeric(out, column.name, "trials") if column.name in out else np.nan
    for name in probability_columns(labels):
        if name in out:
            out[name] = _numeric(out, name, "trials")
    if out.duplicated(["participant_id", "trial_index"]).any():
        dup = out.loc[out.duplicated(["participant_id", "trial_index"]), ["participant_id", "trial_index"]]
        raise TrialTableError(f"trials has duplicate (participant_id, trial_index): {dup.head(3).values.tolist()}")
    return out.reset_index(drop=True)


def validate_ratings(frame: pd.DataFrame, *, labels: tuple[str, ...]) -> pd.DataFrame:
    """A clean copy of a rating table, or TrialTableError naming what is wrong.

    >>> r = pd.DataFrame({"rater_id": ["r1"], "participant_id": ["p1"], "trial_index": [0], "label": ["sad"]})
    >>> validate_ratings(r, labels=("happy", "sad")).loc[0, "felt_guess"] is None
    True
    """
    _check_columns(frame, RATING_COLUMNS, "ratings")
    out = frame.copy()
    for name in ("rater_id", "participant_id"):
        out[name] = out[name].astype(str).str.strip()
    out["trial_index"] = _numeric(out, "trial_index", "ratings", integer=True)
    if "felt_guess" not in out:
        out["felt_guess"] = None
    for name in ("label", "felt_guess"):
        out[name] = _clean_labels(out[name])
    _check_labels(out, ("label", "felt_guess"), labels, "ratings")
    return out.reset_index(drop=True)


def read_table(path: str | Path, *, what: str = "trials") -> pd.DataFrame:
    """Read a CSV as strings, so that empty cells stay empty rather than becoming floats.

    >>> read_table("/nonexistent.csv")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    TrialTableError: cannot read trials file /nonexistent.csv
    """
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TrialTableError(f"cannot read {what} file {path}: {error}") from None


def load_trials(path: str | Path, *, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Read and validate a trial CSV written by the export (or by anyone following the contract)."""
    return validate_trials(read_table(path, what="trials"), labels=labels)


def load_ratings(path: str | Path, *, labels: tuple[str, ...]) -> pd.DataFrame:
    """Read and validate a rating CSV."""
    return validate_ratings(read_table(path, what="ratings"), labels=labels)
