"""The findings of every published refresh, kept in DuckDB, and what changed since
(docs/outputs.md "Changes").

Why a history at all: the Changes sheet and the checks' new/resolved/still-open counts compare
a refresh with the findings *last published* for the same district (or school) from an earlier
snapshot date. What was merely computed, by a run that later failed, must not count; so the
findings are recorded only once `publish/latest` has committed, one publication at a time:

- `lead.publications`: one row per published refresh and scope (`district`, or a school
  number for a one-school refresh), with snapshot date, run id and when it was published;
- `lead.findings_history`: the Issues rows of that publication (ids, never names).

A publication with no findings is still a row of `lead.publications`, so the next refresh
compares with "nothing open" rather than with an older week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from lead_pipeline.lib.lead.rules import IDENTITY, ISSUE_COLUMNS, ISSUE_SCHEMA, sort_findings
from lead_pipeline.lib.sql import q

SCHEMA = "lead"
PUBLICATIONS = f"{SCHEMA}.publications"
HISTORY = f"{SCHEMA}.findings_history"
DISTRICT = "district"
"""The scope of a whole-district refresh; a one-school refresh's scope is its school number."""

CHANGE_COLUMNS = ["Change", "Check", "Level", "Report", "School Number", "Section ID",
                  "Person ID", "Message"]
CHANGE_SCHEMA: dict[str, pl.DataType] = {"Change": pl.String(), **{
    c: ISSUE_SCHEMA[c] for c in CHANGE_COLUMNS[1:]}}
NEW, RESOLVED = "New", "Resolved"


@dataclass(frozen=True)
class PublishedRefresh:
    """One row of `lead.publications`: a refresh (or one school's) whose findings were recorded
    when it was published; what a later refresh's Changes compare with. Not the folder being
    published (that is lib/publish.Publication)."""

    run_id: str
    scope: str
    snapshot_date: date
    published_at: datetime


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {PUBLICATIONS} (
            run_id VARCHAR, scope VARCHAR, district_number VARCHAR, end_year INTEGER,
            snapshot_date DATE, published_at TIMESTAMP, findings BIGINT)""")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {HISTORY} (
            run_id VARCHAR, scope VARCHAR, district_number VARCHAR, snapshot_date DATE,
            "Check" VARCHAR, "Level" VARCHAR, "Report" VARCHAR, "School Number" VARCHAR,
            "Section ID" BIGINT, "Person ID" BIGINT, "Message" VARCHAR, "How to fix" VARCHAR)""")


def in_scope(findings: pl.DataFrame, scope: str) -> pl.DataFrame:
    """The findings a publication of `scope` stands for: all of them for the district, the
    school's own for a school."""
    if scope == DISTRICT:
        return findings
    return findings.filter(pl.col("School Number") == scope)


def record(con: duckdb.DuckDBPyConnection, findings: pl.DataFrame, *, run_id: str,
           district_number: str, end_year: int, snapshot_date: date,
           scope: str = DISTRICT, published_at: datetime | None = None) -> int:
    """Record one published refresh's findings in a transaction of its own (`append` inside
    the caller's). Returns the number of findings kept."""
    con.execute("BEGIN TRANSACTION")
    try:
        kept = append(con, findings, run_id=run_id, district_number=district_number,
                      end_year=end_year, snapshot_date=snapshot_date, scope=scope,
                      published_at=published_at)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return kept


def append(con: duckdb.DuckDBPyConnection, findings: pl.DataFrame, *, run_id: str,
           district_number: str, end_year: int, snapshot_date: date,
           scope: str = DISTRICT, published_at: datetime | None = None) -> int:
    """Record one publication's findings inside the caller's transaction, the one that commits
    together with the publication (publish/latest, the one-school refresh): what a run
    computed but never published is never a baseline. Recording the same run and scope again
    replaces its rows. Returns the number of findings kept."""
    ensure(con)
    rows = in_scope(findings.select(ISSUE_COLUMNS), scope).with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(scope).alias("scope"),
        pl.lit(district_number).alias("district_number"),
        pl.lit(snapshot_date, dtype=pl.Date).alias("snapshot_date"))
    arrow = rows.select("run_id", "scope", "district_number", "snapshot_date",  # noqa: F841
                        *ISSUE_COLUMNS).to_arrow()
    con.execute(f"DELETE FROM {HISTORY} WHERE run_id = ? AND scope = ?", [run_id, scope])
    con.execute(f"DELETE FROM {PUBLICATIONS} WHERE run_id = ? AND scope = ?", [run_id, scope])
    con.execute(f"INSERT INTO {HISTORY} SELECT * FROM arrow")
    con.execute(f"INSERT INTO {PUBLICATIONS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, scope, district_number, end_year, snapshot_date,
                 published_at or datetime.now(), rows.height])
    return rows.height


def previous(con: duckdb.DuckDBPyConnection, district_number: str, snapshot_date: date,
             school: str | None = None, *, end_year: int) -> PublishedRefresh | None:
    """The publication a refresh of `snapshot_date` compares with: the last one published for
    the district from an earlier snapshot date of the same school year `end_year` (latest date,
    then latest published; docs/outputs.md "Changes": the first refresh of a new year compares
    with nothing, last year's findings are not Resolved). For a school, a one-school
    publication of that school counts as well as a district one."""
    district, schools = previous_publications(con, district_number, snapshot_date,
                                              [] if school is None else [school],
                                              end_year=end_year)
    return district if school is None else schools[school]


def published_findings(con: duckdb.DuckDBPyConnection, publication: PublishedRefresh,
                       school: str | None = None) -> pl.DataFrame:
    """The Issues rows a publication recorded, of one school when `school` is given."""
    frame = con.execute(
        f"SELECT {', '.join(q(c) for c in ISSUE_COLUMNS)} FROM {HISTORY} "
        "WHERE run_id = ? AND scope = ?", [publication.run_id, publication.scope]).pl()
    frame = frame.cast(ISSUE_SCHEMA) if frame.height else pl.DataFrame(schema=ISSUE_SCHEMA)
    return frame if school is None else in_scope(frame, school)


def baseline(con: duckdb.DuckDBPyConnection, district_number: str, snapshot_date: date,
             school: str | None = None, *, end_year: int) -> pl.DataFrame | None:
    """What the Changes of a district (or school) workbook compare with; None when nothing
    was published before `snapshot_date`."""
    publication = previous(con, district_number, snapshot_date, school, end_year=end_year)
    return None if publication is None else published_findings(con, publication, school)


def changes(current: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """The Changes rows: findings of `current` not in `before` (New) and of `before` not in
    `current` (Resolved), matched on check and ids. With no earlier publication, none."""
    if before is None:
        return pl.DataFrame(schema=CHANGE_SCHEMA)
    current, before = current.cast(ISSUE_SCHEMA), before.cast(ISSUE_SCHEMA)
    new = current.join(before, on=IDENTITY, how="anti", nulls_equal=True)
    gone = before.join(current, on=IDENTITY, how="anti", nulls_equal=True)
    return pl.concat([
        sort_findings(new).select(pl.lit(NEW).alias("Change"), *CHANGE_COLUMNS[1:]),
        sort_findings(gone).select(pl.lit(RESOLVED).alias("Change"), *CHANGE_COLUMNS[1:]),
    ])


def change_counts(current: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """Per check: how many findings are new, resolved and still open versus `before`."""
    cur = current.select(IDENTITY).with_columns(pl.lit(True).alias("_now"))
    old = before.select(IDENTITY).with_columns(pl.lit(True).alias("_before"))
    both = cur.join(old, on=IDENTITY, how="full", coalesce=True, nulls_equal=True)
    return both.group_by("Check").agg(
        (pl.col("_now").fill_null(False) & pl.col("_before").is_null()).sum().alias("new"),
        (pl.col("_before").fill_null(False) & pl.col("_now").is_null()).sum().alias("resolved"),
        (pl.col("_now").fill_null(False) & pl.col("_before").fill_null(False)).sum()
        .alias("still_open"),
    )


def workbook_changes(con: duckdb.DuckDBPyConnection, current: pl.DataFrame,
                     district_number: str, snapshot_date: date, schools: list[str], *,
                     end_year: int) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The Changes rows of the district workbook and of each school's: each compares with its
    own last publication from an earlier date (a school's may be a one-school refresh).

    One query finds every baseline, and the schools that share one (nearly always all of
    them share the district's) are compared in one pass and split by School Number: at state
    scale, 1,500 schools, a query and two joins per school were seconds per refresh. A school's
    rows are the same as `changes` of its own findings against its own baseline: the match is
    on the ids, School Number among them, and the order is `sort_findings`' within a school."""
    district_pub, school_pub = previous_publications(con, district_number, snapshot_date,
                                                     schools, end_year=end_year)
    loaded: dict[tuple[str, str], pl.DataFrame] = {}

    def rows_of(publication: PublishedRefresh) -> pl.DataFrame:
        key = (publication.run_id, publication.scope)
        if key not in loaded:  # most schools compare with the same district publication
            loaded[key] = published_findings(con, publication)
        return loaded[key]

    district = changes(current, None if district_pub is None else rows_of(district_pub))
    sharing: dict[PublishedRefresh, list[str]] = {}
    for school, publication in school_pub.items():
        if publication is not None:
            sharing.setdefault(publication, []).append(school)
    per_school = {school: pl.DataFrame(schema=CHANGE_SCHEMA) for school in schools}
    for publication, group in sharing.items():
        mine = pl.col("School Number").is_in(group)
        found = changes(current.filter(mine), rows_of(publication).filter(mine))
        parts = found.partition_by("School Number", as_dict=True, maintain_order=True)
        for school in group:
            per_school[school] = parts.get((school,), found.clear())
    return district, per_school


def previous_publications(con: duckdb.DuckDBPyConnection, district_number: str,
                          snapshot_date: date, schools: list[str], *, end_year: int
                          ) -> tuple[PublishedRefresh | None, dict[str, PublishedRefresh | None]]:
    """`previous` of the district and of every school of `schools`, from one query: the
    latest publication of each scope, then for a school the later of the district's and its
    own (the order `previous` sorts by)."""
    ensure(con)
    rows = con.execute(
        f"SELECT run_id, scope, snapshot_date, published_at FROM {PUBLICATIONS} "
        "WHERE district_number = ? AND snapshot_date < ? AND end_year = ? "
        "AND list_contains(?, scope) "
        "QUALIFY row_number() OVER (PARTITION BY scope "
        "ORDER BY snapshot_date DESC, published_at DESC) = 1",
        [district_number, snapshot_date, end_year, [DISTRICT, *schools]]).fetchall()
    latest = {row[1]: PublishedRefresh(row[0], row[1], row[2], row[3]) for row in rows}
    district = latest.get(DISTRICT)

    def later(own: PublishedRefresh | None) -> PublishedRefresh | None:
        candidates = [p for p in (district, own) if p is not None]
        return max(candidates, key=lambda p: (p.snapshot_date, p.published_at), default=None)

    return district, {school: later(latest.get(school)) for school in schools}


def school_counts(findings: pl.DataFrame, school_changes: dict[str, pl.DataFrame],
                  schools: list[str]) -> pl.DataFrame:
    """Per school workbook: its errors and reviews (Issues rows by Level) and its New and
    Resolved rows (its Changes sheet): what the UI shows beside each school's partition. One
    row per school of `schools`, zeros where nothing was found."""
    frame = pl.DataFrame({"School Number": schools}, schema={"School Number": pl.String})
    levels = findings.group_by("School Number").agg(
        (pl.col("Level") == "Error").sum().alias("errors"),
        (pl.col("Level") == "Review").sum().alias("reviews"))
    changed = pl.concat([
        pl.DataFrame(schema={"Change": pl.String, "School Number": pl.String}),
        *(rows.select(pl.col("Change").cast(pl.String), pl.lit(school).alias("School Number"))
          for school, rows in school_changes.items())])
    moves = changed.group_by("School Number").agg(
        (pl.col("Change") == NEW).sum().alias("new"),
        (pl.col("Change") == RESOLVED).sum().alias("resolved"))
    return (frame.join(levels, on="School Number", how="left")
            .join(moves, on="School Number", how="left")
            .with_columns(pl.col("errors", "reviews", "new", "resolved").fill_null(0)
                          .cast(pl.Int64)))


TREND_REFRESHES = 26
"""How many published refreshes the Trend sheet shows, the current one included (half a year
of weekly refreshes; docs/outputs.md "Trend")."""
ERRORS, REVIEWS = "Errors (all rules)", "Reviews (all rules)"


def trend(con: duckdb.DuckDBPyConnection, current: pl.DataFrame, district_number: str,
          snapshot_date: date, rules: list[str], limit: int = TREND_REFRESHES) -> pl.DataFrame:
    """The Trend sheet (docs/outputs.md): open findings per rule, and errors and reviews in
    total, for the last `limit` district refreshes — those published from earlier snapshot
    dates (the latest publication of each date) and this one — one column per snapshot date
    (YYYY-MM-DD), oldest first. Rows: the two totals, then `rules` in order."""
    ensure(con)
    earlier = con.execute(
        f"""SELECT p.snapshot_date, h."Check", h."Level", count(h.run_id) AS n
            FROM (SELECT run_id, snapshot_date FROM {PUBLICATIONS}
                  WHERE scope = ? AND district_number = ? AND snapshot_date < ?
                  QUALIFY row_number() OVER (PARTITION BY snapshot_date
                                             ORDER BY published_at DESC) = 1
                  ORDER BY snapshot_date DESC LIMIT ?) p
            LEFT JOIN {HISTORY} h ON h.run_id = p.run_id AND h.scope = ?
            GROUP BY ALL""",
        [DISTRICT, district_number, snapshot_date, max(limit - 1, 0), DISTRICT]).pl()
    now = current.group_by("Check", "Level").len("n").with_columns(
        pl.lit(snapshot_date, dtype=pl.Date).alias("snapshot_date"))
    counts = pl.concat([
        earlier.select(pl.col("snapshot_date").cast(pl.Date), pl.col("Check").cast(pl.String),
                       pl.col("Level").cast(pl.String), pl.col("n").cast(pl.Int64)),
        now.select("snapshot_date", "Check", "Level", pl.col("n").cast(pl.Int64))])
    dates = sorted(set(counts["snapshot_date"].to_list()) | {snapshot_date})
    labels = [d.isoformat() for d in dates]
    totals = pl.concat([
        counts.filter(pl.col("Level") == level).group_by("snapshot_date").agg(pl.col("n").sum())
        .with_columns(pl.lit(label).alias("Check"))
        for level, label in (("Error", ERRORS), ("Review", REVIEWS))])
    per_rule = counts.filter(pl.col("Check").is_not_null()).group_by(
        "snapshot_date", "Check").agg(pl.col("n").sum())
    rows = [ERRORS, REVIEWS, *rules]
    long = pl.concat([totals.select("snapshot_date", "Check", "n"),
                      per_rule.select("snapshot_date", "Check", "n")])
    grid = (pl.DataFrame({"Check": rows, "_order": range(len(rows))}).join(
        pl.DataFrame({"snapshot_date": dates}, schema={"snapshot_date": pl.Date}), how="cross")
        .join(long, on=["Check", "snapshot_date"], how="left")
        .with_columns(pl.col("n").fill_null(0),
                      pl.col("snapshot_date").dt.strftime("%Y-%m-%d")))
    wide = grid.pivot("snapshot_date", index=["_order", "Check"], values="n")
    return wide.sort("_order").select("Check", *labels)
