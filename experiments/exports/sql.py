"""SQL expressions the exports are built from, so the database does the per-cell work.

The trial CSV is written by the database: each row comes back as one finished CSV line (`csv_line`),
which is what lets a million rows stream in seconds. Numbers keep every bit: SQLite prints 17
significant digits, PostgreSQL (12+) its shortest exact form, so parsing a cell gives back the very
double that the report analysed.
"""

from __future__ import annotations

from django.db.models import CharField, F, FloatField, Func, TextField, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Cast, Concat, NullIf, Substr
from django.db.models.lookups import In

from .csv_stream import FORMULA_STARTS, INVISIBLE_PREFIX  # OWASP CSV injection: what a spreadsheet may run


class LTrimChars(Func):
    """LTRIM(text, characters): the same two-argument function on SQLite and PostgreSQL."""

    function = "LTRIM"
    output_field = TextField()


def neutralised(expression):
    """Text with a leading apostrophe when it starts like a spreadsheet formula, as `csv_stream.neutralise`."""
    expression = F(expression) if isinstance(expression, str) else expression
    first = Substr(LTrimChars(expression, Value(INVISIBLE_PREFIX)), 1, 1)
    return Case(
        When(In(first, list(FORMULA_STARTS)), then=Concat(Value("'"), expression)),
        default=expression, output_field=TextField(),
    )


def text(lookup: str):
    """A text cell as stored: blank becomes missing (CSV output neutralises it, see `neutralised`)."""
    return NullIf(F(lookup), Value(""), output_field=TextField())


def code(lookup: str, prefix: str = "p"):
    """A pseudonymous code built from a row id: 'p42'."""
    return Concat(Value(prefix), Cast(F(lookup), CharField()), output_field=TextField())


class JSONNumber(Func):
    """A number inside a JSON object, taken as the very text the JSON holds.

    The CSV gets that text verbatim (Python wrote it as the shortest exact form), and the typed rows
    parse the same text with Python's float(): both say exactly the same double, whatever the database's
    own text-to-number conversion would have done.
    """

    output_field = FloatField()

    def __init__(self, lookup: str, key: str):
        super().__init__(F(lookup))
        self.key = key

    @property
    def convert_value(self):
        return _json_number

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":  # -> renders a number node from its original text
            return f"NULLIF(({inner}) -> %s, 'null')", [*params, f'$."{self.key}"']
        return f"(({inner}) ->> %s)", [*params, self.key]


def _json_number(value, expression, connection):
    return None if value is None else float(value)


class CsvCell(Func):
    """One CSV cell as text ('' when missing); strings always quoted, numbers exact."""

    output_field = TextField()

    def __init__(self, expression, kind: str):
        super().__init__(expression)
        self.kind = kind

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        params = list(params)
        if isinstance(self.source_expressions[0], JSONNumber):
            sql = inner  # already the number's exact text
        elif self.kind == "string":
            sql = f"""'"' || REPLACE({inner}, '"', '""') || '"'"""
        elif self.kind == "number" and connection.vendor == "sqlite":
            sql, params = f"printf(%s, {inner})", ["%!.17g", *params]  # 17 digits: every double round-trips
        elif self.kind == "number":
            sql = f"CAST({inner} AS TEXT)"  # PostgreSQL 12+: the shortest text that round-trips
        elif self.kind == "boolean":
            sql = f"CASE WHEN {inner} THEN 'true' ELSE 'false' END"
        else:
            sql = f"CAST({inner} AS TEXT)"
        return f"COALESCE({sql}, '')", params


class CsvLine(Func):
    """Cells joined by commas (|| works on SQLite and PostgreSQL alike)."""

    arg_joiner = " || ',' || "
    template = "(%(expressions)s)"
    output_field = TextField()
