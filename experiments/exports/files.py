"""Every export of an experiment, by file name, as a stream of chunks.

The web views, the API and `manage.py export` all come through `export_file`, so a file downloaded in the
browser, fetched with a token or written on the server is byte for byte the same.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse

from experiments.models import ClassifierModel, Experiment

from . import codebook
from .columns import RATING_COLUMNS, participant_columns, trial_columns
from .photos_zip import photo_zip_chunks
from .tidy import TABLES, context_for, default_model, labels_of

EXPORT_NAMES = (
    "trials.csv", "trials.parquet", "ratings.csv", "ratings.parquet", "participants.csv", "participants.parquet",
    "codebook.json", "codebook.md", "results.json", "photos.zip",
)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "zip": "application/zip",
}


class UnknownExport(LookupError):
    """An export format this module does not make."""


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes | str]
    streamed: bool = True

    def response(self) -> HttpResponseBase:
        """A private download: streamed when the export is, never cached by a browser or proxy."""
        if self.streamed:
            response = StreamingHttpResponse(self.chunks, content_type=self.content_type)
        else:
            response = HttpResponse("".join(self.chunks), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


def _parquet_chunks(table) -> Iterator[bytes]:
    from .parquet import write_parquet  # pyarrow only when a Parquet file is asked for

    metadata = {k: str(v) for k, v in table.context.items()}
    with tempfile.TemporaryFile() as spool:
        write_parquet(table.columns, table.rows(), spool, metadata=metadata)
        spool.seek(0)
        while block := spool.read(1024 * 1024):
            yield block


def experiment_codebook(experiment: Experiment, model: ClassifierModel | None = None, *,
                        external_ids: bool = False) -> dict:
    model = model or default_model(experiment)
    tables = {
        "trials": trial_columns(labels_of(experiment)),
        "ratings": RATING_COLUMNS,
        "participants": participant_columns(external_ids=external_ids),
    }
    return codebook.data_package(tables, name=experiment.slug, title=experiment.title,
                                 stamp=context_for(experiment, model))


def export_file(experiment: Experiment, name: str, *, model: ClassifierModel | None = None,
                external_ids: bool = False) -> ExportFile:
    """The export called `name` (one of EXPORT_NAMES); raises UnknownExport otherwise."""
    if name not in EXPORT_NAMES:
        raise UnknownExport(name)
    table, extension = name.split(".")
    filename = f"{experiment.slug}-{name}"
    content_type = CONTENT_TYPES[extension]
    model = model or default_model(experiment)
    if table in TABLES:
        options = {"external_ids": external_ids} if table == "participants" else {}
        data = TABLES[table](experiment, model, **options)
        if extension == "csv":
            return ExportFile(filename, content_type, data.csv())
        return ExportFile(filename, content_type, _parquet_chunks(data))
    if name == "codebook.json":
        document = experiment_codebook(experiment, model, external_ids=external_ids)
        return ExportFile(filename, content_type, iter([json.dumps(document, indent=2)]), streamed=False)
    if name == "codebook.md":
        document = experiment_codebook(experiment, model, external_ids=external_ids)
        return ExportFile(filename, content_type, iter([codebook.markdown(document)]), streamed=False)
    if name == "results.json":
        from .results import analysis_for  # the statistics engine (pandas, scipy) only when asked

        document = analysis_for(experiment, model)
        return ExportFile(filename, content_type, iter([json.dumps(document, indent=2, allow_nan=False)]),
                          streamed=False)
    return ExportFile(filename, content_type, photo_zip_chunks(experiment))
