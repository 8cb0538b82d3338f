"""What the face did, from movement measures rather than an emotion classifier.

Each `move_<key>` column is a facial movement measure of the analysed photo (larger = more of that
movement, normalised by face size). Faces differ at rest, so each trial is expressed as a change from
its participant's own baseline: the mean of their natural-condition trials other than this one.
Changes are put on one scale per measure (a robust SD of all trials' changes, held fixed in
resamples), and each expression's prototype score is the mean signed change of its prototype
movements.

Prototype movements follow the EMFACS predictions (Friesen & Ekman, 1983, EMFACS-7; tabulated in
Matsumoto, Keltner, Shiota, O'Sullivan & Frank, 2008, "Facial expressions of emotion", Handbook of
Emotions, 3rd ed., pp. 211-234, Table 13.1): happiness AU6+12, sadness AU1+4+15, surprise
AU1+2+5B+26, fear AU1+2+4+5+7+20+26, anger AU4+5+7+23, disgust AU9+15+16, contempt R12A+R14A.
Each action unit maps to the measure it moves (AU1 inner_brow_raise, AU2 outer_brow_raise, AU4
brow_lowering, AU5 eye_opening, AU9/10 upper_lip_raise, AU12 lip_corner_raise and mouth_width,
AU15 lip_corner_depression, AU20 mouth_width, AU26 mouth_opening). Left out where one landmark
distance cannot tell the actions apart: AU4 beside AU1 (sadness, fear: the inner brow goes up
while the brow is drawn down), AU5 beside AU7 (anger: the lids widen and tighten), AU6, AU7,
AU16, AU23; contempt is one-sided, so it has no prototype in bilateral measures.

>>> sorted(PROTOTYPES["surprise"])
['eye_opening', 'inner_brow_raise', 'mouth_opening', 'outer_brow_raise']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fer_stats.schema import MOVE_PREFIX, MOVEMENT_KEYS

PROTOTYPES: Mapping[str, Mapping[str, int]] = {
    "happy": {"lip_corner_raise": +1, "mouth_width": +1},
    "sad": {"inner_brow_raise": +1, "lip_corner_depression": +1},
    "surprise": {"inner_brow_raise": +1, "outer_brow_raise": +1, "eye_opening": +1, "mouth_opening": +1},
    "fear": {"inner_brow_raise": +1, "outer_brow_raise": +1, "eye_opening": +1, "mouth_width": +1, "mouth_opening": +1},
    "angry": {"brow_lowering": +1},
    "disgust": {"upper_lip_raise": +1, "lip_corner_depression": +1},
}
PROTOTYPE_SOURCE = (
    "EMFACS predictions (Friesen & Ekman, 1983), as tabulated in Matsumoto, Keltner, Shiota, O'Sullivan & "
    "Frank (2008), Facial expressions of emotion, Handbook of Emotions (3rd ed.), Table 13.1"
)
NO_PROTOTYPE = {
    "neutral": "the neutral face is the baseline: no movement is predicted",
    "contempt": "contempt (R12A+R14A) is one-sided; the measures are bilateral",
}
MOVEMENT_THRESHOLD = 1.0  # robust SDs of change: a prototype "shows" above this
ROBUST_SD = 1.4826  # MAD to SD for normal data


def movement_keys(trials: pd.DataFrame) -> list[str]:
    """The known movement measures present as move_<key> columns, in MOVEMENT_KEYS order.

    >>> movement_keys(pd.DataFrame(columns=["move_mouth_opening", "move_other"]))
    ['mouth_opening']
    """
    return [key for key in MOVEMENT_KEYS if MOVE_PREFIX + key in trials]


def movement_changes(trials: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Each trial's change from its participant's baseline: the mean of their natural-condition trials
    other than this one (so a natural trial is never its own baseline). NaN without such a baseline.

    Columns change_<key> and baseline_trials (how many natural trials the baseline averages).

    >>> t = pd.DataFrame({"participant_id": ["p", "p", "p"], "condition": ["natural", "natural", "express"],
    ...     "move_mouth_opening": [0.2, 0.4, 0.9]})
    >>> movement_changes(t)["change_mouth_opening"].round(2).tolist()
    [-0.2, 0.2, 0.6]
    """
    keys = movement_keys(trials) if keys is None else keys
    values = trials[[MOVE_PREFIX + key for key in keys]].to_numpy(dtype=float)
    cluster, _ = pd.factorize(trials["participant_id"])
    natural = (trials["condition"] == "natural").to_numpy()[:, None] & np.isfinite(values)
    people = cluster.max() + 1 if len(cluster) else 0
    total = np.zeros((people, len(keys)))
    count = np.zeros((people, len(keys)))
    np.add.at(total, cluster, np.where(natural, values, 0.0))
    np.add.at(count, cluster, natural.astype(float))
    own_total = total[cluster] - np.where(natural, values, 0.0)
    own_count = count[cluster] - natural
    with np.errstate(invalid="ignore", divide="ignore"):
        baseline = np.where(own_count > 0, own_total / own_count, np.nan)
    out = pd.DataFrame(values - baseline, columns=[f"change_{key}" for key in keys], index=trials.index)
    out["baseline_trials"] = own_count.min(axis=1) if keys else 0
    return out


def change_scales(changes: np.ndarray) -> np.ndarray:
    """One scale per measure: the robust SD (1.4826 x MAD) of all trials' changes; the SD if that is 0.

    >>> change_scales(np.array([[0.0], [1.0], [2.0], [30.0]])).round(3).tolist()
    [1.483]
    """
    scales = []
    for column in np.asarray(changes, dtype=float).T:
        finite = column[np.isfinite(column)]
        if finite.size < 2:
            scales.append(np.nan)
            continue
        mad = ROBUST_SD * np.median(np.abs(finite - np.median(finite)))
        scales.append(mad if mad > 0 else (np.std(finite) or np.nan))
    return np.array(scales)


def prototype_scores(z: np.ndarray, keys: list[str], labels: Sequence[str]) -> np.ndarray:
    """(trials x labels) mean signed standardised change over each label's prototype movements; NaN for
    labels without a prototype among the measured keys, or for trials without a baseline.

    >>> prototype_scores(np.array([[2.0, 1.0]]), ["lip_corner_raise", "mouth_width"], ["happy", "neutral"]).tolist()
    [[1.5, nan]]
    """
    scores = np.full((len(z), len(labels)), np.nan)
    for i, label in enumerate(labels):
        used = [(keys.index(key), sign) for key, sign in PROTOTYPES.get(label, {}).items() if key in keys]
        if used:
            scores[:, i] = np.mean([sign * z[:, column] for column, sign in used], axis=0)
    return scores


def movement_expression(scores: np.ndarray, labels: Sequence[str], *, threshold: float) -> np.ndarray:
    """Label code of the expression the movements show: the prototype scoring highest above `threshold`,
    else neutral (when it is a label), else -1; -1 without a baseline.

    >>> movement_expression(np.array([[1.5, np.nan], [0.2, np.nan]]), ["happy", "neutral"], threshold=1.0).tolist()
    [0, 1]
    """
    scored = ~np.isnan(scores).all(axis=0)
    code = np.full(len(scores), -1)
    if not scored.any():
        return code
    usable = scores[:, scored]
    defined = ~np.isnan(usable).any(axis=1)
    best = np.where(scored)[0][np.argmax(np.where(np.isnan(usable), -np.inf, usable), axis=1)]
    shown = defined & (np.nanmax(np.where(np.isnan(usable), -np.inf, usable), axis=1) > threshold)
    neutral = list(labels).index("neutral") if "neutral" in labels else -1
    code[defined] = neutral
    code[shown] = best[shown]
    return code
