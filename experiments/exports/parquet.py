"""Parquet from the same column list, written in row groups so memory stays bounded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from .columns import Column

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.string(),  # ISO 8601 text, exactly as in the CSV
}
ROW_GROUP = 50_000


def arrow_schema(columns: Sequence[Column], metadata: dict[str, str] | None = None) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.type], metadata={"description": c.description}) for c in columns]
    return pa.schema(fields, metadata=metadata)


def write_parquet(columns: Sequence[Column], rows: Iterable[Sequence], out: BinaryIO | str, *,
                  metadata: dict[str, str] | None = None, row_group: int = ROW_GROUP) -> int:
    """Write the rows to `out` one row group at a time; returns how many rows were written."""
    schema = arrow_schema(columns, metadata)
    rows = iter(rows)
    written = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        while chunk := list(islice(rows, row_group)):
            arrays = [pa.array([row[i] for row in chunk], type=field.type) for i, field in enumerate(schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            written += len(chunk)
        if not written:
            writer.write_table(schema.empty_table())
    return written
