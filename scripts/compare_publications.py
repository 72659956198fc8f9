"""Compare two published refreshes: CSV and HTML byte for byte, workbooks cell by cell.

Why: a refactor or a speed change must not change what a district receives. `.xlsx` bytes
differ between runs (timestamps inside the zip), so workbooks are compared by the values of
every cell of every sheet; the "Date Time Generated" column (the run's start) is ignored, and
so are columns named with --ignore-column.

    python scripts/compare_publications.py BEFORE_FOLDER AFTER_FOLDER [--ignore-column NAME]

Prints each difference (file, sheet, cell) and exits 1 when there is any, 0 when they agree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from openpyxl import load_workbook

ALWAYS_IGNORED = ("Date Time Generated",)
SHOWN = 20


def _files(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def _sheets(path: Path, ignored: Iterable[str]) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's rows as tuples of cell values, without the ignored columns."""
    book = load_workbook(path, read_only=True, data_only=True)
    out: dict[str, list[tuple[object, ...]]] = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0] if rows else ()
        keep = [i for i, name in enumerate(header) if name not in set(ignored)]
        out[sheet.title] = [tuple(row[i] for i in keep) for row in rows]
    book.close()
    return out


def compare(before: Path, after: Path, ignored: Iterable[str] = ()) -> list[str]:
    """The differences between two published folders, one line each (empty: identical)."""
    ignored = (*ALWAYS_IGNORED, *ignored)
    a, b = _files(before), _files(after)
    problems = [f"only in {before}: {name}" for name in sorted(set(a) - set(b))]
    problems += [f"only in {after}: {name}" for name in sorted(set(b) - set(a))]
    for name in sorted(set(a) & set(b)):
        if name.endswith(".xlsx"):
            sa, sb = _sheets(a[name], ignored), _sheets(b[name], ignored)
            if list(sa) != list(sb):
                problems.append(f"{name}: sheets {list(sa)} != {list(sb)}")
                continue
            for sheet, rows in sa.items():
                other = sb[sheet]
                if len(rows) != len(other):
                    problems.append(f"{name} {sheet}: {len(rows)} rows != {len(other)}")
                for i, (ra, rb) in enumerate(zip(rows, other, strict=False), start=1):
                    if ra != rb:
                        cols = [j for j, (x, y) in enumerate(zip(ra, rb, strict=False))
                                if x != y or type(x) is not type(y)]
                        problems.append(f"{name} {sheet} row {i}: columns {cols} differ")
                # a value that is equal but of another type (2027 vs "2027") differs too
                for i, (ra, rb) in enumerate(zip(rows, other, strict=False), start=1):
                    if ra == rb and any(type(x) is not type(y)
                                        for x, y in zip(ra, rb, strict=True)):
                        problems.append(f"{name} {sheet} row {i}: same values, other types")
        elif a[name].read_bytes() != b[name].read_bytes():
            problems.append(f"{name}: bytes differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore-column", action="append", default=[],
                        help="a column name whose cells are not compared (repeatable)")
    args = parser.parse_args(argv)
    problems = compare(args.before, args.after, args.ignore_column)
    for line in problems[:SHOWN]:
        print(line)
    if len(problems) > SHOWN:
        print(f"… and {len(problems) - SHOWN} more")
    print(f"{len(problems)} difference(s)" if problems else "identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
