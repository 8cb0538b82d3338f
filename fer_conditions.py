"""What a trial asks of the face, and in which order: pure functions, no Django.

>>> target_expression("opposite", felt="happy", opposite_map=DEFAULT_OPPOSITES)
'sad'
>>> condition_sequence({"natural": 1, "opposite": 2}, slot=1)
['opposite', 'natural', 'opposite']
"""

import random

NATURAL, EXPRESS, OPPOSITE, ASSIGNED = "natural", "express", "opposite", "assigned"
CONDITIONS = (NATURAL, EXPRESS, OPPOSITE, ASSIGNED)
POSED_CONDITIONS = (EXPRESS, OPPOSITE, ASSIGNED)

DEFAULT_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# Opposites by valence and approach/avoidance; researchers edit the map per experiment.
DEFAULT_OPPOSITES = {
    "angry": "fear",
    "disgust": "happy",
    "fear": "angry",
    "happy": "sad",
    "sad": "happy",
    "surprise": "neutral",
    "neutral": "surprise",
}
DEFAULT_TRIAL_PLAN = {NATURAL: 1, EXPRESS: 2, OPPOSITE: 2, ASSIGNED: 2}


def target_expression(condition: str, *, felt: str, opposite_map: dict, assigned: str = "") -> str:
    """The expression the participant is asked to show ('' when none, as on natural trials)."""
    if condition == NATURAL:
        return ""
    if condition == EXPRESS:
        return felt
    if condition == OPPOSITE:
        return opposite_map.get(felt, "")
    if condition == ASSIGNED:
        return assigned
    raise ValueError(f"unknown condition {condition!r}; expected one of {', '.join(CONDITIONS)}")


def balanced_latin_square(n: int) -> list[list[int]]:
    """Williams' design: each item precedes every other equally often (rows double when n is odd)."""
    first = [0]
    for i in range(1, n):
        first.append((first[-1] + (i if i % 2 else n - i)) % n)
    rows = [[(x + r) % n for x in first] for r in range(n)]
    if n % 2:
        rows += [row[::-1] for row in rows]
    return rows


def condition_sequence(plan: dict[str, int], *, slot: int) -> list[str]:
    """The trial conditions for the participant in counterbalancing `slot` (0, 1, 2, ...)."""
    conditions = [c for c in CONDITIONS if plan.get(c, 0) > 0]
    if not conditions:
        raise ValueError("the trial plan has no trials")
    squares = balanced_latin_square(len(conditions))
    order = [conditions[i] for i in squares[slot % len(squares)]]
    sequence = []
    for round_ in range(max(plan[c] for c in conditions)):
        sequence += [c for c in order if plan[c] > round_]
    return sequence


def assigned_targets(count: int, *, labels: list[str], seed: int) -> list[str]:
    """Targets for assigned trials, spread evenly over the labels in a seeded random order."""
    rng = random.Random(seed)
    targets: list[str] = []
    while len(targets) < count:
        block = list(labels)
        rng.shuffle(block)
        targets += block
    return targets[:count]
