"""CSV that streams (memory does not grow with the data) and is safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return), in their full-width forms too, or
any of them behind spaces or invisible characters (zero-width space, joiners, BOM), could run as a
formula in Excel, LibreOffice or Sheets (OWASP "CSV injection"); such text gets a leading
apostrophe. The export's columns do this in SQL (`sql.neutralised`) and for constants with
`neutralise`, for CSV only: Parquet keeps the raw value. Numbers are numbers, so a negative number
is left alone.

>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("\\u200b＝1+1"), neutralise("happy")
("'\\u200b＝1+1", 'happy')
>>> list(csv_lines(["a", "b"], [["x,y", 2.5], [None, -3]]))
['a,b\\n', '"x,y",2.5\\n,-3\\n']
>>> quote_cell("x,y"), quote_cell(None), quote_cell(3)
('"x,y"', '', '3')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Looked through before the first character is checked: a spreadsheet may ignore them.
INVISIBLE_PREFIX = " \u00a0\u200b\u200c\u200d\u2060\ufeff"
BATCH = 2000


def neutralise(value: str) -> str:
    return "'" + value if value.lstrip(INVISIBLE_PREFIX).startswith(FORMULA_STARTS) else value


def quote_cell(value) -> str:
    """A cell as the database-built lines write it: strings always quoted, missing empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value) if isinstance(value, float) else str(value)


def header_line(names: Sequence[str]) -> str:
    return ",".join(names) + "\n"


def csv_lines(header: Sequence[str], rows: Iterable[Sequence], *, batch: int = BATCH) -> Iterator[str]:
    """CSV text from Python rows, `batch` rows per yielded string (rows are already neutralised)."""
    yield header_line(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = iter(rows)
    while chunk := list(islice(rows, batch)):
        writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def joined_lines(header: Sequence[str], lines: Iterable[str], *, suffix: str = "", batch: int = BATCH) -> Iterator[str]:
    """CSV text from lines the database already encoded; `suffix` holds the constant cells."""
    yield header_line(header)
    lines = iter(lines)
    end = suffix + "\n"
    while chunk := list(islice(lines, batch)):
        yield end.join(chunk) + end
