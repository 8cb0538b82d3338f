"""The codebook, generated from the export's own column lists.

JSON follows the Frictionless data-package / table-schema layout
(https://specs.frictionlessdata.io/table-schema/); the Markdown page says the same for people.
"""

from __future__ import annotations

from collections.abc import Sequence

from .columns import Column

MISSING_VALUES = [""]


def table_schema(columns: Sequence[Column]) -> dict:
    fields = []
    for column in columns:
        field = {"name": column.name, "type": column.type, "description": column.description,
                 "fer:computed_as": column.computed_as}
        if column.constraints:
            field["constraints"] = column.constraints
        fields.append(field)
    return {"fields": fields, "missingValues": MISSING_VALUES}


def data_package(tables: dict[str, Sequence[Column]], *, name: str, title: str, stamp: dict) -> dict:
    """A Frictionless data package describing each exported table (resource name = file stem)."""
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "fer:stamp": stamp,
        "resources": [
            {"name": table, "path": f"{table}.csv", "profile": "tabular-data-resource", "format": "csv",
             "encoding": "utf-8", "schema": table_schema(columns)}
            for table, columns in tables.items()
        ],
    }


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(package: dict) -> str:
    lines = [f"# Codebook: {package['title']}", ""]
    for key, value in package["fer:stamp"].items():
        lines.append(f"- **{key}**: `{value}`")
    lines += ["", "Empty cells mean missing. Text cells that would start with = + - @ are prefixed with an "
              "apostrophe (spreadsheet formula protection).", ""]
    for resource in package["resources"]:
        lines += [f"## {resource['name']} (`{resource['path']}`)", "",
                  "| column | type | description | computed as | constraints |", "|---|---|---|---|---|"]
        for f in resource["schema"]["fields"]:
            constraints = ", ".join(f"{k}: {v}" for k, v in f.get("constraints", {}).items())
            lines.append(f"| `{f['name']}` | {f['type']} | {_cell(f['description'])} | "
                         f"`{_cell(f['fer:computed_as'])}` | {_cell(constraints)} |")
        lines.append("")
    return "\n".join(lines)
