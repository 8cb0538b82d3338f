"""THE column lists of every export. The CSV and Parquet writers and the codebook are all generated from
them, so the header of a file and the fields of its codebook can never disagree.

A column says what it is called, its type (Frictionless table-schema types), what it means and how it
is computed: a database expression on the exported row (`source`, described in `how`), or a value fixed
for the whole export (`constant`, e.g. the configuration hash). `convert` is for the rare cell Python
must shape (timestamps); a table with such a column is written by Python instead of by the database.

>>> [c.name for c in trial_columns(["happy", "sad"]) if c.name.startswith("prob_")]
['prob_happy', 'prob_sad']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q

from fer_conditions import CONDITIONS

from .csv_stream import neutralise
from .sql import JSONNumber, code, neutralised, text

PARTICIPANT_CODE = "p{}"  # pseudonym built from the row id; never the participant's link code


def participant_code(pk: int | None) -> str | None:
    """The pseudonymous participant id shared by the trial, rating and participant exports.

    >>> participant_code(42)
    'p42'
    """
    return None if pk is None else PARTICIPANT_CODE.format(pk)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless: string, integer, number, boolean, datetime
    description: str
    how: str = ""  # how the value is computed, as the codebook says it
    source: Any = None  # a lookup string or a query expression
    constant: str = ""  # or a key of the export context, e.g. "config_sha256"
    convert: Callable[[Any], Any] | None = None
    constraints: dict = field(default_factory=dict)
    neutralise: bool = False  # free text: formula-neutralised in CSV, raw in Parquet and frames

    def source_for(self, *, csv: bool):
        return neutralised(self.source) if csv and self.neutralise else self.source

    @property
    def computed_as(self) -> str:
        if self.constant:
            return f"the same for every row of an export: {self.constant}"
        return self.how or str(self.source)


def _text(name, description, lookup, **kw) -> Column:
    return Column(name, "string", description, how=f"{lookup} (blank = missing; formula-neutralised in CSV)",
                  source=text(lookup), neutralise=True, **kw)


def _number(name, type_, description, lookup, **kw) -> Column:
    return Column(name, type_, description, how=lookup, source=F(lookup), **kw)


def trial_columns(labels: Sequence[str]) -> list[Column]:
    """One row per trial, long format; the first columns follow fer_stats.schema."""
    labels = list(labels)
    label_enum = {"enum": labels}
    return [
        Column("participant_id", "string", "Pseudonymous participant code; trials are clustered within it.",
               how="'p' + participant row id", source=code("participant_id")),
        _number("trial_index", "integer", "Position of the trial in the participant's sequence (0-based).",
                "index", constraints={"minimum": 0}),
        _text("condition", "What the face was asked to do: " + ", ".join(CONDITIONS) + ".", "condition",
              constraints={"enum": list(CONDITIONS)}),
        _text("felt", "Emotion the participant reported feeling; empty if none of the labels.", "felt",
              constraints=label_enum),
        _text("target", "Expression the participant was asked to show; empty on natural trials.", "target",
              constraints=label_enum),
        _text("predicted", "The classifier's top label; empty when the photo had no usable face.",
              "scored__top_label", constraints=label_enum),
        *[
            Column(f"prob_{label}", "number", f"Classifier probability of '{label}' (0-1).",
                   how=f"scored__probabilities['{label}']", source=JSONNumber("scored__probabilities", label),
                   constraints={"minimum": 0, "maximum": 1})
            for label in labels
        ],
        _number("intensity", "integer", "Felt intensity, 1 (barely) to 7 (extremely).", "intensity",
                constraints={"minimum": 1, "maximum": 7}),
        _number("valence", "integer", "Self-reported valence (SAM), 1 (negative) to 9 (positive).", "valence",
                constraints={"minimum": 1, "maximum": 9}),
        _number("arousal", "integer", "Self-reported arousal (SAM), 1 (calm) to 9 (excited).", "arousal",
                constraints={"minimum": 1, "maximum": 9}),
        _number("pose_rating", "integer", "How well the participant thinks they posed it, 1-7; empty if not asked.",
                "pose_rating", constraints={"minimum": 1, "maximum": 7}),
        _text("classification_status", "Outcome of the classifier on this trial's photo: done, no_face, "
              "invalid_image, failed, pending; empty when the trial has no photo.", "scored__status"),
        _number("face_score", "number", "Detector confidence of the face that was classified (0-1).",
                "scored__face_score"),
        _number("n_faces", "integer", "How many faces the detector found in the photo.", "scored__n_faces"),
        _text("participant_status", "The participant's status at export time (e.g. completed).",
              "participant__status"),
        Column("experiment", "string", "Slug of the experiment.", constant="experiment"),
        Column("config_sha256", "string", "SHA-256 of the experiment configuration frozen at launch.",
               constant="config_sha256"),
        Column("model", "string", "Name and version of the classifier.", constant="model"),
        Column("model_sha256", "string", "SHA-256 of the classifier's ONNX file.", constant="model_sha256"),
    ]


RATING_COLUMNS: list[Column] = [
    Column("rater_id", "string", "Pseudonymous code of the observer (a participant of the rating study).",
           how="'p' + rater row id", source=code("rater_id")),
    Column("participant_id", "string", "Pseudonymous code of the participant whose photo was rated.",
           how="'p' + photographed participant row id", source=code("photo__trial__participant_id")),
    _number("trial_index", "integer", "Trial of that participant whose photo was rated.", "photo__trial__index"),
    _text("label", "Expression the observer saw; empty if skipped.", "label"),
    _text("felt_guess", "Observer's guess of the felt emotion; empty if not asked.", "felt_guess"),
    _number("confidence", "integer", "Observer's confidence, 1-7.", "confidence",
            constraints={"minimum": 1, "maximum": 7}),
    _number("response_ms", "integer", "Time the observer took, in milliseconds.", "response_ms"),
    _text("rating_experiment", "Slug of the rating study the observer took part in.", "rater__experiment__slug"),
    Column("experiment", "string", "Slug of the experiment the export is for.", constant="experiment"),
    Column("config_sha256", "string", "SHA-256 of that experiment's configuration frozen at launch.",
           constant="config_sha256"),
]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _joined(value) -> str | None:
    return " ".join(value) if value else None


def participant_columns(*, external_ids: bool = False) -> list[Column]:
    """Participants by pseudonymous code; panel ids only when the researcher asks for them."""
    columns = [
        Column("participant_id", "string", "Pseudonymous participant code (as in the trial export).",
               how="'p' + participant row id", source=code("id")),
        _text("status", "started, consented, in_progress, completed, declined, withdrawn, screened_out.", "status"),
        _text("source", "Where the participant came from (direct, prolific, sona, mturk, generic).", "source"),
        _number("consent_version", "integer", "Version of the consent text agreed to.", "consent_version"),
        Column("consented_at", "datetime", "When consent was given (UTC, ISO 8601).", how="consented_at",
               source=F("consented_at"), convert=_iso),
        _number("photos_for_research", "boolean", "Consented to the research team using the photos.",
                "photos_for_research"),
        _number("photos_for_rating", "boolean", "Consented to other people rating the photos.", "photos_for_rating"),
        _number("photos_for_publication", "boolean", "Consented to the photos being shared or published.",
                "photos_for_publication"),
        Column("repeats_a_panel_id", "boolean", "Arrived with a panel id that had already started this study in "
               "another browser: a second start, recorded as a new participant.", how="repeated_external_id != ''",
               source=ExpressionWrapper(~Q(repeated_external_id=""), output_field=BooleanField())),
        _number("slot", "integer", "Counterbalancing slot.", "slot"),
        Column("condition_order", "string", "Assigned condition sequence, space-separated.", how="condition_order",
               source=F("condition_order"), convert=_joined),
        Column("started_at", "datetime", "When the participant arrived (UTC, ISO 8601).", how="started_at",
               source=F("started_at"), convert=_iso),
        Column("completed_at", "datetime", "When the participant finished (UTC, ISO 8601).", how="completed_at",
               source=F("completed_at"), convert=_iso),
    ]
    if external_ids:
        columns += [
            _text("external_id", "Panel participant id (e.g. PROLIFIC_PID). Personal data.", "external_id"),
            _text("external_study_id", "Panel study id (e.g. STUDY_ID).", "external_study_id"),
            _text("external_session_id", "Panel session id (e.g. SESSION_ID).", "external_session_id"),
            _text("repeated_external_id", "The panel id of a second start (see repeats_a_panel_id). Personal data.",
                  "repeated_external_id"),
        ]
    columns += [
        Column("experiment", "string", "Slug of the experiment.", constant="experiment"),
        Column("config_sha256", "string", "SHA-256 of the experiment configuration frozen at launch.",
               constant="config_sha256"),
    ]
    return columns


def constants_of(columns: Sequence[Column], context: dict, *, csv: bool = True) -> dict[str, Any]:
    """Values fixed for the whole export; for CSV neutralised once here (they are text a researcher typed)."""
    return {
        c.name: neutralise(context[c.constant]) if csv and isinstance(context[c.constant], str)
        else context[c.constant]
        for c in columns if c.constant
    }


def row_maker(columns: Sequence[Column], context: dict, *, csv: bool = False) -> tuple[list, Callable[[tuple], tuple]]:
    """The expressions to fetch, and a function turning one fetched tuple into the row of cells;
    text is formula-neutralised for CSV only.

    >>> cols = [Column("a", "string", "", source="x"), Column("b", "string", "", constant="k")]
    >>> sources, make = row_maker(cols, {"k": "=K"}, csv=True)
    >>> sources, make(("X",))
    (['x'], ('X', "'=K"))
    >>> row_maker(cols, {"k": "=K"})[1](("X",))
    ('X', '=K')
    """
    constants = constants_of(columns, context, csv=csv)
    sources = [c.source_for(csv=csv) for c in columns if not c.constant]
    fetched = [c for c in columns if not c.constant]
    if all(c.constant for c in columns[len(fetched):]) and not any(c.convert for c in fetched):
        tail = tuple(constants[c.name] for c in columns[len(fetched):])
        return sources, lambda row: row + tail  # the common case: one tuple concatenation per row
    plan = []
    position = 0
    for c in columns:
        if c.constant:
            plan.append((None, None, constants[c.name]))
        else:
            plan.append((position, c.convert, None))
            position += 1

    def make(row: tuple) -> tuple:
        return tuple(
            constant if index is None else (convert(row[index]) if convert else row[index])
            for index, convert, constant in plan
        )

    return sources, make
