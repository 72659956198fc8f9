"""SQL text for DuckDB, quoted one way everywhere: identifiers with `q`, text literals with
`lit`.

Table and column names come from the schema declaration and asset keys, values (a school
number) from the operator; both are quoted rather than trusted, so a name with a quote in it
stays one name and a value stays one value.
"""

from __future__ import annotations


def q(name: str) -> str:
    """Quote an identifier (table and column names are camelCase, DuckDB folds them)."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a text literal."""
    return "'" + text.replace("'", "''") + "'"
