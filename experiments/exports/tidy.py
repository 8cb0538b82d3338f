"""The rows of each export, read from the ORM in one place.

`Table.rows()` feeds the Parquet writer, `Table.csv()` the CSV (the database writes the lines), and
`trial_frame` and `rating_frame` build the statistics input from the very same rows and cells, so
`python -m fer_stats trials.csv` on an export reproduces the report's numbers exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from django.db import connections
from django.db.models import Count, FilteredRelation, Q, Value

from experiments.models import ClassifierModel, Experiment, Participant, Rating, RatingItem, Trial

from .columns import (
    RATING_COLUMNS,
    Column,
    constants_of,
    participant_code,
    participant_columns,
    row_maker,
    trial_columns,
)
from .csv_stream import csv_lines, header_line, joined_lines, quote_cell
from .sql import CsvCell, CsvLine

CHUNK_SIZE = 5000
COPY_PIECE = 256 * 1024


def default_model(experiment: Experiment) -> ClassifierModel | None:
    """The model an export or report is about unless one is named: the experiment's first."""
    return experiment.frozen_models().order_by("-is_default", "name").first()


def context_for(experiment: Experiment, model: ClassifierModel | None = None) -> dict:
    """The values stamped on every row of an export."""
    return {
        "experiment": experiment.slug,
        "config_sha256": experiment.config_sha256 or None,
        "model": str(model) if model else None,
        "model_sha256": model.sha256 if model else None,
    }


def trial_queryset(experiment: Experiment, model: ClassifierModel | None):
    """Trials of everyone who has not withdrawn, with this model's classification joined in."""
    # Filtering on a subquery of participant ids lets the database walk the (participant, index) unique
    # index in order: no sort of a million rows before the first byte goes out.
    participants = Participant.objects.filter(experiment=experiment).exclude(status=Participant.Status.WITHDRAWN)
    return (
        Trial.objects.filter(participant_id__in=participants.values("id"))
        .annotate(scored=FilteredRelation(
            "photo__classifications", condition=Q(photo__classifications__model=model)
        ))
        .order_by("participant_id", "index")
    )


def rating_queryset(experiment: Experiment):
    """Ratings of this experiment's photos, and ratings made by its own raters (a rating study)."""
    return (
        Rating.objects.filter(Q(photo__trial__participant__experiment=experiment) | Q(rater__experiment=experiment))
        .exclude(rater__status=Participant.Status.WITHDRAWN)
        .exclude(photo__trial__participant__status=Participant.Status.WITHDRAWN)
        .order_by("rater_id", "photo__trial__participant_id", "photo__trial__index")
    )


def participant_queryset(experiment: Experiment):
    return Participant.objects.filter(experiment=experiment).order_by("id")


def _rows(queryset, columns: list[Column], context: dict, chunk_size: int, *, csv: bool = False) -> Iterator[tuple]:
    sources, make = row_maker(columns, context, csv=csv)
    return map(make, queryset.values_list(*sources).iterator(chunk_size=chunk_size))


def _csv(queryset, columns: list[Column], context: dict, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The table as CSV text. Each row arrives from the database as a finished line when it can."""
    names = [c.name for c in columns]
    fetched = [c for c in columns if not c.constant]
    if any(c.convert for c in fetched) or any(c.constant for c in columns[:len(fetched)]):
        return csv_lines(names, _rows(queryset, columns, context, chunk_size, csv=True))
    constants = constants_of(columns, context)
    if connections[queryset.db].vendor == "postgresql" and not any(c.type == "boolean" for c in columns):
        sources = [c.source_for(csv=True) for c in fetched] + [Value(constants[c.name]) for c in columns[len(fetched):]]
        return chain([header_line(names)], _copy_csv(queryset.values_list(*sources)))
    suffix = "".join("," + quote_cell(constants[c.name]) for c in columns[len(fetched):])
    line = CsvLine(*[CsvCell(c.source_for(csv=True), c.type) for c in fetched])
    lines = queryset.annotate(_csv_line=line).values_list("_csv_line", flat=True).iterator(chunk_size=chunk_size)
    return joined_lines(names, lines, suffix=suffix)


def labels_of(experiment: Experiment) -> list[str]:
    return list(experiment.effective_config()["labels"])


def _copy_csv(queryset) -> Iterator[str]:
    """PostgreSQL writes the CSV itself (COPY ... TO STDOUT): quoting, NULLs and exact floats included."""
    connection = connections[queryset.db]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        query = connection.ops.compose_sql(sql, params)  # COPY takes no bind parameters
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            pending, size = [], 0
            for row in copy:  # libpq hands over one line at a time: send them on in ~256 kB pieces
                pending.append(row)
                size += len(row)
                if size >= COPY_PIECE:
                    yield b"".join(pending).decode()
                    pending, size = [], 0
            if pending:
                yield b"".join(pending).decode()


class Table:
    """One export table: its columns, the rows they are read from and the values stamped on each row."""

    def __init__(self, columns: list[Column], queryset, context: dict):
        self.columns, self.queryset, self.context = columns, queryset, context

    def rows(self, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        return _rows(self.queryset, self.columns, self.context, chunk_size)

    def csv(self, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
        return _csv(self.queryset, self.columns, self.context, chunk_size)


def trial_table(experiment: Experiment, model: ClassifierModel | None = None) -> Table:
    model = model or default_model(experiment)
    return Table(trial_columns(labels_of(experiment)), trial_queryset(experiment, model),
                 context_for(experiment, model))


def rating_table(experiment: Experiment, model: ClassifierModel | None = None) -> Table:
    return Table(RATING_COLUMNS, rating_queryset(experiment), context_for(experiment, model))


def participant_table(experiment: Experiment, model: ClassifierModel | None = None, *,
                      external_ids: bool = False) -> Table:
    return Table(participant_columns(external_ids=external_ids), participant_queryset(experiment),
                 context_for(experiment, model))


TABLES = {"trials": trial_table, "ratings": rating_table, "participants": participant_table}


def frame(columns: list[Column], rows):
    import pandas as pd  # imported here: exports that do not need it stay light

    return pd.DataFrame.from_records(list(rows), columns=[c.name for c in columns])


def trial_frame(experiment: Experiment, model: ClassifierModel | None = None):
    """The statistics engine's trial table (a DataFrame): the rows and cells of the trial export."""
    table = trial_table(experiment, model)
    return frame(table.columns, table.rows())


def _attention_by_rater(raters) -> tuple[dict[str, int], dict[str, int]]:
    """Attention checks each rater answered, and how many of them they passed, by rater code."""
    rows = (
        RatingItem.objects.filter(rater__in=raters, kind=RatingItem.Kind.INSTRUCTION_CHECK,
                                  status=RatingItem.Status.ANSWERED)
        .values("rater_id")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    answered, passed = {}, {}
    for row in rows:
        code = participant_code(row["rater_id"])
        answered[code], passed[code] = row["n"], row["passed"]
    return answered, passed


def rating_frame(
    experiment: Experiment, *, rating_experiment: Experiment | None = None, min_attention: float | None = None
):
    """The statistics engine's rating table (a DataFrame): the rows and cells of the rating export, plus
    each rater's attention checks: `rater_attention_checks` answered and `rater_attention_passed`, the
    share passed (NaN when they were given none). Attention checks themselves are never ratings.

    rating_experiment: only that rating study's raters (default: every rating study of these photos).
    min_attention: leave out raters who passed fewer than this share of their checks (those given none stay).
    """
    queryset = rating_queryset(experiment)
    if rating_experiment is not None:
        queryset = queryset.filter(rater__experiment=rating_experiment)
    table = Table(RATING_COLUMNS, queryset, context_for(experiment))
    ratings = frame(table.columns, table.rows())
    answered, passed = _attention_by_rater(queryset.values("rater_id"))
    raters = ratings["rater_id"]
    ratings["rater_attention_checks"] = raters.map(answered).fillna(0).astype("int64")
    ratings["rater_attention_passed"] = (raters.map(passed) / raters.map(answered)).astype("float64")
    if min_attention is not None:  # NaN < x is False: raters given no checks stay
        ratings = ratings[~(ratings["rater_attention_passed"] < min_attention)].reset_index(drop=True)
    ratings["trial_index"] = ratings["trial_index"].astype("int64")  # also when empty, for the trial join
    return ratings
