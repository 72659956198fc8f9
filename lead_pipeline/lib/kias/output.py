"""The KIAS files (docs/outputs.md): the state CSV, the HTML review page and the validation
workbook.

CSV (A38): one header row with the seed's column names, comma-delimited, no quoting, an empty
field for blank, `\\n` line ends (also after the last row). No quoting is only safe while no
value holds a comma, quote or line break, so such a value stops the file rather than shifting
the state's columns.

HTML: the same rows and columns as the CSV (nothing else about a student), escaped, with a
sortable header driven by a small inline script; the page loads nothing from outside, so it
opens the same from a file share, offline, or in a locked-down browser.
"""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from lead_pipeline.lib.excel import SheetSpec, write_workbook
from lead_pipeline.lib.names import DISTRICT_NUMBER, checked

CSV_SEPARATOR = ","
CSV_NEWLINE = "\n"
_UNSAFE = r'[,"\r\n]'


def file_names(district_number: str) -> dict[str, str]:
    """The three files' names; only from a district number that passes its pattern
    (lib.names), so no value can steer a file elsewhere."""
    number = checked(DISTRICT_NUMBER, district_number, "district number")
    return {"csv": f"KIAS_{number}.csv", "html": f"KIAS_{number}.html",
            "validation": f"KIAS_Validation_{number}.xlsx"}


def unsafe_columns(extract: pl.DataFrame) -> dict[str, int]:
    """Columns with values that would break an unquoted CSV, and how many rows (no values)."""
    if not extract.height:
        return {}
    counts = extract.select(pl.col(c).str.contains(_UNSAFE).sum() for c in extract.columns).row(
        0, named=True)
    return {c: int(n) for c, n in counts.items() if n}


def csv_bytes(extract: pl.DataFrame) -> bytes:
    """The state file's bytes (A38), written by Polars' CSV writer with quoting off, blank for
    null and `\\n` after every line, the header included. Raises ValueError naming the columns
    whose values (or names) hold a comma, quote or line break, which unquoted would shift the
    state's columns."""
    bad = unsafe_columns(extract)
    if bad or any(set(c) & set(',"\r\n') for c in extract.columns):
        detail = ", ".join(f"{c} ({n} rows)" for c, n in bad.items())
        raise ValueError(f"KIAS CSV: values with a comma, quote or line break in {detail}; "
                         "the state format has no quoting, fix them in the SIS")
    text = extract.select(pl.all().cast(pl.String)).write_csv(
        separator=CSV_SEPARATOR, line_terminator=CSV_NEWLINE, quote_style="never",
        null_value="")
    return text.encode("utf-8")


def _escape(expr: pl.Expr) -> pl.Expr:
    """HTML-escape text column-wise (&, <, >, quotes), like html.escape."""
    out = expr.cast(pl.String).fill_null("")
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                      ("'", "&#x27;")):
        out = out.str.replace_all(raw, safe, literal=True)
    return out


_STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem;
       color: #1d2733; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
p.meta { margin: 0 0 1rem; color: #52606d; }
.wrap { overflow: auto; max-height: calc(100vh - 8rem); border: 1px solid #cbd2d9; }
table { border-collapse: collapse; white-space: nowrap; }
th, td { border: 1px solid #e4e7eb; padding: .3rem .5rem; text-align: left; }
th { position: sticky; top: 0; background: #243b53; color: #fff; cursor: pointer;
     font-weight: 600; vertical-align: bottom; white-space: normal; min-width: 4.5rem; }
th:focus { outline: 2px solid #f0b429; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: #f5f7fa; }
tbody tr:hover { background: #fff3c4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
"""

_SCRIPT = """
(function () {
  var table = document.getElementById("kias");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function sortBy(col) {
    var th = heads[col];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (row) {
      var text = row.cells[col].textContent;
      var m = /^(\\d\\d)\\/(\\d\\d)\\/(\\d{4})$/.exec(text);
      return m ? m[3] + m[1] + m[2] : text;
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === y) { return 0; }
      if (x === "") { return 1; }
      if (y === "") { return -1; }
      return dir * x.localeCompare(y, undefined, { numeric: true });
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(col); });
    th.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(col); }
    });
  });
})();
"""


def day_columns(extract: pl.DataFrame) -> list[str]:
    """The columns the review page aligns right: every value a day count (`-?d+.dd`) or blank,
    and one at least not blank; ids and codes stay text. Nulls are not values (as Polars'
    `all` and `any` skip them). One pass over the extract for all 42 columns."""
    if not extract.height:
        return []
    day = r"^-?\d+\.\d{2}$"
    flags = extract.select(
        ((pl.col(c).str.contains(day) | (pl.col(c) == "")).all() & (pl.col(c) != "").any())
        .alias(c) for c in extract.columns).row(0)
    return [c for c, flag in zip(extract.columns, flags, strict=True) if flag]


def html_page(extract: pl.DataFrame, *, title: str, subtitle: str = "") -> str:
    """A self-contained review page of the extract's rows (same columns and values as the
    CSV, in the same order); click a header to sort, again to reverse."""
    numeric = day_columns(extract)
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in extract.columns)
    rows: list[str] = []
    if extract.height:
        cells = [pl.concat_str(pl.lit('<td class="n">' if c in numeric else "<td>"),
                               _escape(pl.col(c)), pl.lit("</td>")) for c in extract.columns]
        rows = extract.select(pl.concat_str([pl.lit("<tr>"), *cells, pl.lit("</tr>")])
                              .alias("row"))["row"].to_list()
    count = f"{extract.height} row{'s' if extract.height != 1 else ''}"
    meta = " · ".join(x for x in (subtitle, count, "click a column header to sort") if x)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{html.escape(meta)}</p>',
        '<div class="wrap"><table id="kias">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table></div>",
        f"<script>{_SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])


def validation_sheet(found: pl.DataFrame) -> SheetSpec:
    """The `Findings` sheet: ids numbers, codes text, the incident date a real date."""
    return SheetSpec("Findings", found, text_columns=frozenset(
        {"Rule", "Building ID", "KIDS ID", "State Resolution Code", "Weapon Codes",
         "Firearm Discipline Method", "Message"}))


def write_files(folder: Path, district_number: str, extract: pl.DataFrame, found: pl.DataFrame,
                *, title: str, subtitle: str, properties: dict[str, str]) -> list[Path]:
    """Write the three KIAS files into `folder` (the run's staging `kias/`); returns them.
    The names are checked before anything is created."""
    names = file_names(district_number)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = folder / names["csv"], folder / names["html"]
    csv_path.write_bytes(csv_bytes(extract))
    html_path.write_text(html_page(extract, title=title, subtitle=subtitle), encoding="utf-8",
                         newline="\n")
    xlsx_path = folder / names["validation"]
    write_workbook(xlsx_path, [validation_sheet(found)], properties=properties)
    return [csv_path, html_path, xlsx_path]
