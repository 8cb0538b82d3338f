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
MOVE_PREFIX = "move_"
FELT_NONE = "none"  # "none of these" is an answer, distinct from a missing one; never a model label
# Facial movement measures (larger = more of that movement, normalised by face size), one column each.
MOVEMENT_KEYS = (
    "lip_corner_raise",
    "mouth_width",
    "lip_corner_depression",
    "mouth_opening",
    "inner_brow_raise",
    "outer_brow_raise",
    "brow_lowering",
    "eye_opening",
    "upper_lip_raise",
)


class TrialTableError(ValueError):
    """A trial or rating table that does not follow the column contract."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string", "integer", "category", "label", "number", "boolean"
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None


def _optional(name: str, type_: str, description: str, **bounds) -> Column:
    return Column(name, type_, description, required=False, **bounds)


TRIAL_COLUMNS: tuple[Column, ...] = (
    Column("participant_id", "string", "Participant code; trials are clustered within it."),
    Column("trial_index", "integer", "Position of the trial in the participant's sequence (0-based).", minimum=0),
    Column("condition", "category", f"What the face was asked to do: {', '.join(CONDITIONS)}."),
    Column(
        "felt",
        "label",
        f"Emotion the participant reported feeling; '{FELT_NONE}' when they chose none of these, "
        "empty if not reported.",
    ),
    Column("target", "label", "Expression the participant was asked to show; empty on natural trials."),
    Column("predicted", "label", "Classifier's top label; empty when no face was classified."),
    _optional("intensity", "number", "Felt intensity, 1-7.", minimum=1, maximum=7),
    _optional("valence", "number", "Self-reported valence, 1 (negative) to 9 (positive).", minimum=1, maximum=9),
    _optional("arousal", "number", "Self-reported arousal, 1 (calm) to 9 (excited).", minimum=1, maximum=9),
    _optional(
        "pose_rating", "number", "Self-rated pose check on posed trials, 1-7; empty if not asked.", minimum=1, maximum=7
    ),
    _optional("induced", "label", "Emotion the induction before the felt report aimed at; empty without induction."),
    _optional("induction_method", "category", "How it was induced (e.g. recall, stimulus); empty without induction."),
    _optional("model", "string", "Classifier that gave `predicted`; one row per trial and model when several."),
    _optional("pilot", "boolean", "The participant's run was a pilot (left out unless asked for)."),
    _optional("participant_status", "category", "The participant's status (e.g. completed, in_progress)."),
    _optional("photo_source", "category", "Where the analysed photo came from: webcam or upload."),
    _optional("n_retakes", "integer", "Photos retaken before the analysed one.", minimum=0),
    _optional("face_found", "boolean", "The detector found a face in the analysed photo."),
)
PROBABILITY_COLUMN = _optional(
    PROB_PREFIX + "<label>", "number", "Classifier probability of <label>, one column per label.", minimum=0, maximum=1
)
MOVEMENT_COLUMN = _optional(
    MOVE_PREFIX + "<key>",
    "number",
    f"Facial movement measure, normalised by face size (larger = more); keys: {', '.join(MOVEMENT_KEYS)}.",
)
RATING_COLUMNS: tuple[Column, ...] = (
    Column("rater_id", "string", "Observer who labelled the photo."),
    Column("participant_id", "string", "Participant whose photo was rated."),
    Column("trial_index", "integer", "Trial of that participant whose photo was rated."),
    Column("label", "label", "Expression the observer saw; empty if skipped."),
    _optional(
        "felt_guess", "label", f"Observer's guess of the felt emotion ('{FELT_NONE}' allowed); empty if not asked."
    ),
    _optional("rater_attention_checks", "integer", "Attention checks the rater answered.", minimum=0),
    _optional(
        "rater_attention_passed",
        "number",
        "Share of them the rater passed, 0-1; empty if given none.",
        minimum=0,
        maximum=1,
    ),
)

_LABEL_COLUMNS = ("felt", "target", "predicted")
_BY_NAME = {column.name: column for column in (*TRIAL_COLUMNS, *RATING_COLUMNS)}
TOLERANCE = 1e-6  # probabilities written as float32 may overshoot 1 by an ulp


def movement_columns(keys: tuple[str, ...] | list[str] = MOVEMENT_KEYS) -> list[str]:
    """Column names of the movement measures.

    >>> movement_columns(["mouth_opening"])
    ['move_mouth_opening']
    """
    return [MOVE_PREFIX + key for key in keys]


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


def check_label_set(labels) -> tuple[str, ...]:
    """A usable label set as a tuple, or TrialTableError saying what is wrong with it.

    >>> check_label_set([" happy", "sad "])
    ('happy', 'sad')
    >>> check_label_set(["happy", "none"])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    TrialTableError: 'none' is the felt answer "none of these", not a label ...
    """
    cleaned = tuple(str(label).strip() for label in labels)
    if not cleaned or any(not label for label in cleaned):
        raise TrialTableError(f"the label set needs at least one non-empty label, got {list(labels)!r}")
    if len(set(cleaned)) != len(cleaned):
        raise TrialTableError(f"the label set repeats a label: {', '.join(cleaned)}")
    if FELT_NONE in cleaned:
        raise TrialTableError(
            f'{FELT_NONE!r} is the felt answer "none of these", not a label the model can output; '
            "leave it out of the label set"
        )
    return cleaned


def _clean_labels(series: pd.Series, *, lower: bool = False) -> pd.Series:
    """Stripped text (lower-cased if asked), None for missing or blank; cleaned once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    cleaned = [str(value).strip() for value in uniques]
    cleaned = [(text.lower() if lower else text) or None for text in cleaned]
    return pd.Series(np.array([*cleaned, None], dtype=object)[codes], index=series.index, dtype=object)


def _blank_missing(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "")


def _check_columns(frame: pd.DataFrame, columns: tuple[Column, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TrialTableError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    if missing:
        raise TrialTableError(f"{what} table is missing required column(s): {', '.join(missing)}")


def _rows(mask: pd.Series) -> list:
    return [int(i) if isinstance(i, (int, np.integer)) else i for i in mask.index[mask][:5]]


def _numeric(frame: pd.DataFrame, name: str, what: str, *, integer: bool = False) -> pd.Series:
    """The column as floats (NaN for blanks), checked against its Column's bounds."""
    column = frame[name]
    values = (
        column.astype("float64") if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    )
    blank = column[values.isna()]
    bad = blank.notna() & (blank.astype("string").str.strip() != "")
    if bad.any():
        raise TrialTableError(f"{what} column {name!r} has non-numeric values in rows {_rows(bad[bad])}")
    values = values.astype("float64")
    spec = _BY_NAME.get(name) or (PROBABILITY_COLUMN if name.startswith(PROB_PREFIX) else MOVEMENT_COLUMN)
    low = -np.inf if spec.minimum is None else spec.minimum - TOLERANCE * (name.startswith(PROB_PREFIX))
    high = np.inf if spec.maximum is None else spec.maximum + TOLERANCE * (name.startswith(PROB_PREFIX))
    outside = values.notna() & ~values.between(low, high) | np.isinf(values)
    if outside.any():
        bounds = f"{spec.minimum:g} to {spec.maximum:g}" if spec.maximum is not None else "finite"
        raise TrialTableError(
            f"{what} column {name!r} must be {bounds}; rows {_rows(outside)} hold {values[outside].tolist()[:5]}"
        )
    if integer and (values.dropna() % 1 != 0).any():
        raise TrialTableError(f"{what} column {name!r} must hold whole numbers")
    return values


def _whole(frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    values = _numeric(frame, name, what, integer=True)
    if values.isna().any():
        raise TrialTableError(f"{what} column {name!r} must hold whole numbers with no gaps")
    return values.astype("int64")


BOOLEAN_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": None}


def _boolean(frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    """True/False/missing from bools, 0/1 or their text (true/false, yes/no, 1/0)."""
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        return column.astype("boolean")
    text = column.astype("string").str.strip().str.lower().fillna("").replace({"1.0": "1", "0.0": "0"})
    unknown = ~text.isin(list(BOOLEAN_TEXT))
    if unknown.any():
        raise TrialTableError(f"{what} column {name!r} must be true/false; rows {_rows(unknown)} are not")
    return text.map(BOOLEAN_TEXT).astype("boolean")


def _check_labels(
    frame: pd.DataFrame, names: tuple[str, ...], labels: tuple[str, ...], what: str, *, none_allowed: bool = False
) -> None:
    allowed = set(labels) | ({FELT_NONE} if none_allowed else set())
    for name in names:
        if name not in frame.columns:
            continue
        unknown = sorted(set(frame[name].dropna()) - allowed)
        if unknown and unknown == [FELT_NONE]:
            raise TrialTableError(
                f"{what} column {name!r} holds {FELT_NONE!r}, which only a felt report can be "
                "(it is not a label the model, a target or an observer's label can take)"
            )
        if unknown:
            raise TrialTableError(
                f"{what} column {name!r} has labels outside the label set "
                f"({', '.join(labels)}): {', '.join(map(str, unknown[:5]))}; "
                "give the label set explicitly (labels=... or --labels) or add prob_<label> columns"
            )


def _check_unique(frame: pd.DataFrame, keys: list[str], what: str, meaning: str) -> None:
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        examples = frame.loc[duplicated, keys].drop_duplicates().head(3).values.tolist()
        raise TrialTableError(
            f"{what} has {int(duplicated.sum())} rows that repeat ({', '.join(keys)}) - {meaning}; "
            f"for example {examples}. Remove the duplicates before the analysis."
        )


def _clean_model(out: pd.DataFrame) -> pd.DataFrame:
    if "model" not in out:
        return out
    model = _clean_labels(out["model"])
    if model.isna().all():
        return out.drop(columns="model")  # a blank model column: one unnamed model
    if model.isna().any():
        raise TrialTableError(f"trials column 'model' is empty in rows {_rows(model.isna())}; name every model")
    out["model"] = model
    return out


def _clean_trial_columns(out: pd.DataFrame, labels: tuple[str, ...]) -> pd.DataFrame:
    for column in TRIAL_COLUMNS:
        name = column.name
        if column.type == "label" and name in out:
            out[name] = _clean_labels(out[name])
        elif column.type in ("number", "integer") and not column.required:
            out[name] = _numeric(out, name, "trials", integer=column.type == "integer") if name in out else np.nan
        elif column.type == "boolean" and name in out:
            out[name] = _boolean(out, name, "trials")
        elif column.type == "category" and not column.required and name in out:
            out[name] = _clean_labels(out[name], lower=True)
    _check_labels(out, ("target", "predicted", "induced"), labels, "trials")
    _check_labels(out, ("felt",), labels, "trials", none_allowed=True)
    for name in [*probability_columns(labels), *(c for c in out.columns if str(c).startswith(MOVE_PREFIX))]:
        if name in out:
            out[name] = _numeric(out, name, "trials")
    return _clean_model(out)


def validate_trials(frame: pd.DataFrame, *, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A clean copy of a trial table, or TrialTableError naming what is wrong.

    Labels are stripped strings with None for empty; numbers are floats with NaN for missing and
    are refused outside their range (valence 1-9, intensity 1-7, probabilities 0-1, ...); the felt
    report may also be "none". With a `model` column there is one row per trial and model.

    >>> t = pd.DataFrame({"participant_id": [1], "trial_index": [0], "condition": ["natural"],
    ...     "felt": ["none"], "target": [""], "predicted": ["happy"]})
    >>> clean = validate_trials(t)
    >>> clean.loc[0, "target"] is None, clean.loc[0, "felt"]
    (True, 'none')
    """
    _check_columns(frame, TRIAL_COLUMNS, "trials")
    labels = check_label_set(labels if labels is not None else infer_labels(frame))
    out = frame.copy()
    # pandas 3 keeps None/NaN missing through astype(str); blank them first so both are caught here.
    out["participant_id"] = _blank_missing(out["participant_id"]).astype(str).str.strip()
    if (out["participant_id"].isin(["", "nan", "None"])).any():
        raise TrialTableError("trials column 'participant_id' has empty values")
    out["trial_index"] = _whole(out, "trial_index", "trials")
    out["condition"] = _blank_missing(out["condition"]).astype(str).str.strip().str.lower()
    unknown = sorted(set(out["condition"]) - set(CONDITIONS))
    if unknown:
        raise TrialTableError(
            f"trials column 'condition' has unknown values {unknown[:5]}; expected {', '.join(CONDITIONS)}"
        )
    out = _clean_trial_columns(out, labels)
    keys = ["participant_id", "trial_index", *(["model"] if "model" in out else [])]
    _check_unique(out, keys, "trials", "one row per trial" + (" and model" if "model" in out else ""))
    return out.reset_index(drop=True)


def validate_ratings(frame: pd.DataFrame, *, labels: tuple[str, ...]) -> pd.DataFrame:
    """A clean copy of a rating table, or TrialTableError naming what is wrong.

    A rater rates a photo once: a repeated (rater_id, participant_id, trial_index) is refused.

    >>> r = pd.DataFrame({"rater_id": ["r1"], "participant_id": ["p1"], "trial_index": [0], "label": ["sad"]})
    >>> validate_ratings(r, labels=("happy", "sad")).loc[0, "felt_guess"] is None
    True
    """
    _check_columns(frame, RATING_COLUMNS, "ratings")
    labels = check_label_set(labels)
    out = frame.copy()
    for name in ("rater_id", "participant_id"):
        out[name] = _blank_missing(out[name]).astype(str).str.strip()
    out["trial_index"] = _whole(out, "trial_index", "ratings")
    if "felt_guess" not in out:
        out["felt_guess"] = None
    for name in ("label", "felt_guess"):
        out[name] = _clean_labels(out[name])
    _check_labels(out, ("label",), labels, "ratings")
    _check_labels(out, ("felt_guess",), labels, "ratings", none_allowed=True)
    for name in ("rater_attention_checks", "rater_attention_passed"):
        if name in out:
            out[name] = _numeric(out, name, "ratings", integer=name.endswith("checks"))
    _check_unique(out, ["rater_id", "participant_id", "trial_index"], "ratings", "a rater rates each photo once")
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
