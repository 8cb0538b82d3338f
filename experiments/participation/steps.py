"""The participant's path through a study, declared once; the server alone decides the current step.

A position is a step name plus the trial index it applies to (None for the whole-study steps). The
participant row holds the pointer (`step`, `trial_pointer`); every request for another position is
redirected to this one, so reload, back button and a later return land where they should
(the idea of oTree's page sequence).

A rating study (`Experiment.Kind.RATING`) walks the same machinery with its own list: its per-trial
items are the rater's `RatingItem`s (photos to rate and attention checks) instead of `Trial`s.

>>> [s.name for s in STEPS][:3]
['consent', 'camera', 'felt']
>>> [s.name for s in RATING_STEPS]
['consent', 'rate', 'debrief', 'done']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from django.urls import reverse

import fer_conditions as conditions

from ..models import Experiment, Participant, RatingItem, Trial

CONSENT, DECLINED, CAMERA = "consent", "declined", "camera"
FELT, INSTRUCTION, CAPTURE, POSE_CHECK, FEEDBACK = "felt", "instruction", "capture", "pose_check", "feedback"
DEBRIEF, DONE, WITHDRAWN = "debrief", "done", "withdrawn"
RATE = "rate"

Item = Trial | RatingItem  # what a per-trial step applies to: a trial, or a rater's item


def always(participant: Participant, trial: Trial | None) -> bool:
    return True


def is_posed(participant: Participant, trial: Trial | None) -> bool:
    return trial is not None and trial.condition in conditions.POSED_CONDITIONS


def shows_feedback(participant: Participant, trial: Trial | None) -> bool:
    return participant.experiment.effective_config()["show_feedback"]


@dataclass(frozen=True)
class Step:
    name: str
    per_trial: bool = False
    applies: Callable[[Participant, Trial | None], bool] = always

    @property
    def url_name(self) -> str:
        return f"study_{self.name}"


STEPS = (
    Step(CONSENT),
    Step(CAMERA),
    Step(FELT, per_trial=True),
    Step(INSTRUCTION, per_trial=True),
    Step(CAPTURE, per_trial=True),
    Step(POSE_CHECK, per_trial=True, applies=is_posed),
    # After the self-rating, so seeing the model's label cannot colour it.
    Step(FEEDBACK, per_trial=True, applies=shows_feedback),
    Step(DEBRIEF),
    Step(DONE),
)
# A rater's path: the same entry, consent, debrief and completion around one rating page per item.
RATING_STEPS = (
    Step(CONSENT),
    Step(RATE, per_trial=True),
    Step(DEBRIEF),
    Step(DONE),
)
# Where a participant stays once there; not part of the forward path.
END_STEPS = (Step(DECLINED), Step(WITHDRAWN))
BY_NAME = {step.name: step for step in STEPS + RATING_STEPS + END_STEPS}


def is_rater(participant: Participant) -> bool:
    return participant.experiment.kind == Experiment.Kind.RATING


def steps_for(participant: Participant) -> tuple[Step, ...]:
    return RATING_STEPS if is_rater(participant) else STEPS


def items_of(participant: Participant):
    """The participant's per-trial items in order: trials, or a rater's rating items."""
    manager = participant.rating_items if is_rater(participant) else participant.trials
    return manager.order_by("index")


class Position(NamedTuple):
    step: str
    index: int | None = None  # the trial's index (0-based) for per-trial steps

    @property
    def number(self) -> int | None:
        """The trial's number as people count (1-based), used in URLs and on pages."""
        return None if self.index is None else self.index + 1


def sequence(participant: Participant, trials: list[Item] | None = None) -> list[Position]:
    """The participant's whole forward path; a run of per-trial steps repeats for each trial."""
    if trials is None:
        trials = list(items_of(participant))
    positions: list[Position] = []
    for per_trial, run in groupby(steps_for(participant), key=attrgetter("per_trial")):
        run = list(run)
        if not per_trial:
            positions += [Position(s.name) for s in run if s.applies(participant, None)]
            continue
        for trial in trials:
            positions += [Position(s.name, trial.index) for s in run if s.applies(participant, trial)]
    return positions


def current_position(participant: Participant) -> Position:
    """Where the participant must be now: the stored pointer, or an end state from the status."""
    status = participant.status
    if status == Participant.Status.WITHDRAWN:
        return Position(WITHDRAWN)
    if status == Participant.Status.DECLINED:
        return Position(DECLINED)
    if status == Participant.Status.COMPLETED:
        return Position(DONE)
    step = BY_NAME.get(participant.step, BY_NAME[CONSENT])
    return Position(step.name, participant.trial_pointer if step.per_trial else None)


def next_position(participant: Participant, after: Position, trials: list[Item] | None = None) -> Position:
    """The position that follows `after`, passing over trials already completed.

    A completed trial is only visited again when the debrief sent the participant back to repair
    it (a photo missing from storage); from there they return to the debrief, not through later trials.
    """
    trials = list(items_of(participant)) if trials is None else trials
    completed = {t.index for t in trials if t.completed_at is not None and t.index != after.index}
    positions = sequence(participant, trials)
    for position in positions[positions.index(after) + 1 :]:
        if position.index not in completed:
            return position
    raise ValueError(f"nothing follows {after}")


def is_behind(participant: Participant, asked: Position) -> bool:
    """True when the participant has already passed `asked` (a replayed or double-clicked request)."""
    positions = sequence(participant)
    here = current_position(participant)
    if asked not in positions or here not in positions:
        return False
    return positions.index(asked) < positions.index(here)


def url_for(participant: Participant, position: Position | None = None) -> str:
    position = position or current_position(participant)
    kwargs = {"code": participant.public_code}
    if position.index is not None:
        kwargs["number"] = position.number
    return reverse(BY_NAME[position.step].url_name, kwargs=kwargs)
