"""Render the generated parts of the documents under docs/ from the declarations they describe.

Why: the rule tables of docs/lead.md, docs/kias.md, docs/outputs.md and docs/codes.md restate
what the code declares as data (the Q- rules, the 42 KIAS columns, the V1/V2 rules, the sheet
columns, the code tables under data/reference/). Typed by hand they would drift from the code;
rendered from the declaration, with a test that the files equal what is rendered now
(lead_pipeline_tests/test_docs.py), they cannot. The prose around them is written by hand.

A generated part is a marked region of a hand-written document::

    <!-- generated: q-rules -->
    ...what `render` writes...
    <!-- end generated -->

`python -m lead_pipeline.lib.docs` rewrites every region in place (`--check`: exit 1 and name
the regions that are out of date, writing nothing). Text outside the markers is never touched.

The code tables are read from the repository's own data/reference/ (not from
LEAD_REFERENCE_DIR): the documents describe the product as shipped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lead_pipeline.lib.codes import load_codes, read_reference
from lead_pipeline.lib.kias import columns as kias_columns
from lead_pipeline.lib.kias import validation as kias_validation
from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline.lib.lead import history, reports, rules
from lead_pipeline.lib.paths import project_root

# ---- Markdown helpers -------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`[^`]*`)")


def cell(text: object) -> str:
    """One table cell: pipes and line breaks cannot end the cell; outside code spans, `_`, `*`
    and `<` are escaped so placeholders such as `{_without_plan}` or `<Column>` show as typed."""
    out = []
    for part in _CODE_SPAN.split("" if text is None else str(text)):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part.replace("|", "\\|"))
        else:
            out.append(part.replace("\\", "\\\\").replace("|", "\\|").replace("_", "\\_")
                       .replace("*", "\\*").replace("<", "&lt;"))
    return " ".join("".join(out).split())


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, raw: int = 0) -> list[str]:
    """A GitHub Markdown table. The first `raw` columns are written as given (ids in bold,
    code spans); every other cell goes through `cell`."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(v) if i < raw else cell(v) for i, v in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _code_list(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _source_note(source: str) -> str:
    return (f"*Generated from {source} by `python -m lead_pipeline.lib.docs`; change the "
            "declaration, not this text.*")


def reference_folder() -> Path:
    """The code tables the product ships (the documents describe those, whatever folder a
    deployment points LEAD_REFERENCE_DIR at)."""
    return project_root() / "data" / "reference"


# ---- docs/lead.md ----------------------------------------------------------------------------

_GRAIN_WORDS = {"School Number": "school", "Section ID": "section", "Person ID": "person"}


def _grain(rule: rules.QualityRule) -> str:
    parts = []
    for finding_column, report_column in rule.grain.items():
        word = _GRAIN_WORDS[finding_column]
        parts.append(word if finding_column == report_column else f"{word} ({report_column})")
    return " × ".join(parts)


def render_q_rules() -> str:
    """The Q- rule table: one row per `QualityRule` of lib/lead/rules.py, in RULES order (the order
    of the Issues sheet)."""
    rows = []
    for rule in rules.RULES:
        message = f'"{rule.message}"' + (" (LEAD's wording)" if rule.lead_message else "")
        rows.append((f"**{rule.id}**", f"`{rule.check_name}`", rule.report, rule.level,
                     rule.description, _grain(rule), message, rule.fix))
    return "\n".join([
        _source_note("`RULES` in `lead_pipeline/lib/lead/rules.py`"),
        "",
        *table(["id", "Dagster check", "report", "level", "finds", "one finding per",
                "Message", "How to fix"], rows, raw=2),
    ])


def render_report_columns() -> str:
    """The column lists the LEAD reports are built from, in sheet order, with the count block
    as the code tables make it."""
    codes = load_codes(reference_folder())
    rows = [
        ("Common (every report, first)", _code_list(reports.COMMON)),
        ("Classes identity (Classes and Detail)", _code_list(reports.CLASS_IDENTITY.values())),
        ("Detail student columns", _code_list(reports.DETAIL_STUDENT.values())),
        ("Count block (Classes, Caseload, Schoolwide, last)",
         _code_list(reports.count_columns(codes))),
    ]
    return "\n".join([
        _source_note("`COMMON`, `CLASS_IDENTITY`, `DETAIL_STUDENT` and `count_columns` in "
                     "`lead_pipeline/lib/lead/reports.py` with the code tables of "
                     "`data/reference/`"),
        "",
        *table(["part", "columns, in order"], rows, raw=2),
    ])


# ---- docs/kias.md -----------------------------------------------------------------------------

KIAS_COLUMN_NOTES: dict[str, tuple[str, str]] = {
    # column name (as declared in lib/kias/columns.py) -> (what it holds, format)
    "Building ID": (
        "State number of the incident's school (the qualifying enrollment is in the same "
        "school, A4); one to three digits are left-padded to four (`005` becomes `0005`).",
        "text, 4 characters, never blank"),
    "KIDS ID": (
        "The student's state id as stored; a student without one is still reported with this "
        "field empty (A45).", "text or blank"),
    "Incident Date": ("The date part of the incident's timestamp.", "MM/DD/YYYY"),
    "Bullying Type": (
        "The event's incident type 2015, 2016, 2017, 2018 becomes 1, 2, 3, 4 "
        "(`kias_bullying_type.csv`); any other type, or none, leaves it empty.",
        "1 digit or blank"),
    "Bullying Days of ISS": (
        "Bullying event and an ISS code (450): the group's days; otherwise empty.", "D2"),
    "Bullying Days of OSS": (
        "Bullying event and an OSS code (510, 520): the group's days.", "D2"),
    "Bullying Days of Expulsion": (
        "Bullying event and an expulsion code (550, 555, 560, 565): the group's days; values "
        "above 99.99 are printed in full.", "D2"),
    "Educational Services during Expulsion": (
        "Bullying event: Y for 550/555, N for 560/565, empty for any other code. Filled for "
        "IDEA and non-IDEA students alike (A40); see column 42 for the other population (A30).",
        "Y/N/blank"),
    "Bullying Days of Other": (
        "Bullying event and a code that is neither ISS, OSS nor expulsion: 001, 002, 470, the "
        "7xx law-enforcement codes and any other mapped code count here (A39).", "D2"),
    "KSSSA Reported Felony": (
        "Y when a resolution of the group carries law-enforcement referral 01 or the group's "
        "code is 750; otherwise N (the row's own group only, A18).", "Y/N"),
    "KSSSA Reported Misdemeanor": (
        "Y when a resolution of the group carries referral 02 or the code is 730.", "Y/N"),
    "KSSSA Reported Weapons": (
        "Y when the group carries referral 03 and the student has a weapon code 100-500 on the "
        "event, or when the code is 710, 730, 750 or 770 whatever the weapon codes (A17).",
        "Y/N"),
    "KSSSA Where": (
        "Only when column 10, 11 or 12 is Y (A15b): 1, 2 or 3 from the incident's time "
        "classifier (`context`) and location classifier (`location`, A16) as §3.8 and "
        "`kias_time_classifier.csv` / `kias_location_classifier.csv` say; empty when nothing "
        "matches (A15).", "1/2/3/blank"),
    "Weapon Arrest Made": (
        "Y when any resolution of the group has the arrest flag (`auxiliaryCode`); no weapon "
        "is needed (A19).", "Y/N"),
    "Weapon Code": (
        "From the student's distinct weapon codes 100-500 on the event: none gives empty, two "
        "or more give 4, otherwise 100 gives 1, 200 gives 2, 300/400/500 give 3 (A20).",
        "1 digit or blank"),
    "Discipline Method for IDEA Student": (
        "IDEA student and a firearm discipline method 1-5 on the group (the first non-empty "
        "one by resolutionID, A41): that number; otherwise empty.", "1 digit or blank"),
    "Discipline Method for Non-IDEA Student": (
        "Non-IDEA student and a method 6-12: that number, not zero-padded (`7`); any other "
        "value is left out (A35).", "1-2 digits or blank"),
    "IDEA Days of ISS": (
        "IDEA student and an ISS code: the group's days; empty for a non-IDEA student and for "
        "an IDEA student's row of another category (A23).", "D2"),
    "IDEA ISS Drugs": (
        "Empty for a non-IDEA student; else Y when ISS and the event is drug related.",
        "Y/N/blank"),
    "IDEA ISS Weapons": (
        "Empty for a non-IDEA student; else Y when ISS and the event is weapons related.",
        "Y/N/blank"),
    "IDEA ISS Injury": (
        "Empty for a non-IDEA student; else Y when ISS and a role of the event has injury 4.",
        "Y/N/blank"),
    "IDEA ISS Other": (
        "Empty for a non-IDEA student; else Y when ISS and the event is none of drug, weapon "
        "and injury (A25).", "Y/N/blank"),
    "IDEA Days of OSS": ("As column 18, for the OSS codes.", "D2"),
    "IDEA OSS Drugs": ("As column 19, for OSS.", "Y/N/blank"),
    "IDEA OSS Weapons": ("As column 20, for OSS.", "Y/N/blank"),
    "IDEA OSS Injury": ("As column 21, for OSS.", "Y/N/blank"),
    "IDEA OSS Other": ("As column 22, for OSS.", "Y/N/blank"),
    "IDEA Days of Expulsion": ("As column 18, for the expulsion codes.", "D2"),
    "IDEA Expulsion Drugs": (
        "As column 19, for expulsion (the event's state event code is used here too).",
        "Y/N/blank"),
    "IDEA Expulsion Weapons": ("As column 20, for expulsion.", "Y/N/blank"),
    "IDEA Expulsion Injury": ("As column 21, for expulsion.", "Y/N/blank"),
    "IDEA Expulsion Other": (
        "As column 22, for the expulsion codes (not OSS, A26).", "Y/N/blank"),
    "IDEA Services During Expulsion": (
        "Empty for a non-IDEA student; Y for 550/555, N for 560/565, empty for an IDEA "
        "student who was not expelled (A29).", "Y/N/blank"),
    "IDEA Days of Removal SP": (
        "IDEA student and a removal by school personnel (001, 002): the group's days; "
        "otherwise empty (A24).", "D2"),
    "IDEA Removal SP Drugs": ("As column 19, for 001/002.", "Y/N/blank"),
    "IDEA Removal SP Weapons": ("As column 20, for 001/002.", "Y/N/blank"),
    "IDEA Removal SP Injury": (
        "As column 21, for 001/002 (there is no Removal SP Other column).", "Y/N/blank"),
    "Foster Days of ISS": (
        "A foster-care record active on the incident date (A37) and an ISS code: the group's "
        "days; otherwise empty.", "D2"),
    "Foster Days of OSS": ("As column 38, for OSS.", "D2"),
    "Foster Days of Expulsion": ("As column 38, for expulsion.", "D2"),
    "Educational Services During Violence Related Expulsion": (
        "Empty unless the code is an expulsion and the event has the violence indicator or "
        "the student has a felony (code 750 or referral 01) on any resolution of the event; "
        "then Y when that felony exists or the code is 550/555 with violence, else N (A31).",
        "Y/N/blank"),
    "Educational Services During Expulsion": (
        "Non-IDEA student, event not bullying, expulsion code: Y for 550/555, N for 560/565; "
        "empty otherwise. Its header differs from column 8's only by a capital D (A30).",
        "Y/N/blank"),
}
"""What each of the 42 columns holds, in our words. Keyed by the declared name, so a column
added, renamed or removed in lib/kias/columns.py makes `render_kias_columns` fail until this is
updated with it."""


def render_kias_columns() -> str:
    """The 42 columns of the state file, numbered in declared order, with what each holds."""
    names = kias_columns.column_names(load_kias_codes(reference_folder()))
    missing = [n for n in names if n not in KIAS_COLUMN_NOTES]
    extra = sorted(set(KIAS_COLUMN_NOTES) - set(names))
    if missing or extra or len(names) != kias_columns.COLUMN_COUNT:
        raise ValueError(f"KIAS columns and KIAS_COLUMN_NOTES disagree: declared but not "
                         f"described {missing}, described but not declared {extra}")
    rows = [(str(i), f"`{name}`", *KIAS_COLUMN_NOTES[name]) for i, name in enumerate(names, 1)]
    return "\n".join([
        _source_note("`column_exprs` in `lead_pipeline/lib/kias/columns.py` (names and order) "
                     "and `KIAS_COLUMN_NOTES` in `lead_pipeline/lib/docs.py` (the wording)"),
        "",
        *table(["#", "column", "what it holds", "format"], rows, raw=2),
    ])


def render_kias_validation() -> str:
    """V1 and V2 from lib/kias/validation.py, with the methods each accepts from the code
    table."""
    codes = load_kias_codes(reference_folder())
    rows = [(f"**{r.id}**", f"`{r.check_name}`", r.title, r.who,
             ", ".join(str(m) for m in r.allowed(codes))) for r in kias_validation.RULES]
    return "\n".join([
        _source_note("`RULES` in `lead_pipeline/lib/kias/validation.py` and "
                     "`data/reference/kias_firearm_method.csv`"),
        "",
        *table(["rule", "Dagster check", "title", "population", "valid methods"], rows, raw=2),
    ])


# ---- docs/outputs.md --------------------------------------------------------------------------

def render_sheet_columns() -> str:
    """The columns of the Issues, Changes and KIAS Findings sheets, as declared."""
    rows = [
        ("Issues (district and school workbooks)", _code_list(rules.ISSUE_COLUMNS)),
        ("Changes (district and school workbooks)", _code_list(history.CHANGE_COLUMNS)),
        ("Findings (KIAS_Validation workbook)", _code_list(kias_validation.FINDING_COLUMNS)),
    ]
    return "\n".join([
        _source_note("`ISSUE_COLUMNS` (`lib/lead/rules.py`), `CHANGE_COLUMNS` "
                     "(`lib/lead/history.py`) and `FINDING_COLUMNS` (`lib/kias/validation.py`)"),
        "",
        *table(["sheet", "columns, in order"], rows, raw=2),
    ])


# ---- docs/codes.md ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeTable:
    title: str
    use: str
    """What reads it and what for, in our words."""


CODE_TABLES: dict[str, CodeTable] = {
    "school_classification": CodeTable(
        "School state classification (Kentucky)",
        "`included` = 1: the classifications whose schools are in LEAD (L-2); 0: federal and "
        "non-public schools, in no report. Read by `lib/codes.py`."),
    "disability": CodeTable(
        "Primary disability",
        "The disability columns of the count block, in this order (§4 of docs/lead.md); a "
        "code not listed is counted as Other Disability. Read by `lib/codes.py`."),
    "race_ethnicity": CodeTable(
        "Race/ethnicity (federal designation)",
        "`raceEthnicityFed` 1-7 and the labels that head the race columns (L-15); no value, or "
        "one outside the list, is Race Not Reported. Read by `lib/codes.py`."),
    "state_grade": CodeTable(
        "State grade",
        "The `Grade NN` columns, in this order; a grade not listed is counted in Grade Other "
        "(L-8). Read by `lib/codes.py`."),
    "service_type": CodeTable(
        "Enrollment service type",
        "`rank` orders the tie-break of L-7 (P before S before N). Read by `lib/codes.py`."),
    "assignment_type": CodeTable(
        "District assignment type",
        "`certified` = 1: the types that need an EPSB ID (Q-S1). Labels marked as ours in "
        "docs/codes.md are not from a published list. Read by `lib/codes.py`."),
    "state_course_code": CodeTable(
        "State course codes the checks name",
        "`group` = `placeholder`: Q-C3; `group` = `content_required`: Q-C6. Read by "
        "`lib/codes.py`."),
    "section_special_type": CodeTable(
        "Section special type",
        "For reference: the rules name 02 and 05 themselves (Q-C9 … Q-C12, "
        "`lib/lead/rules.py`); no code reads this file."),
    "teaching_method": CodeTable(
        "Teaching method",
        "For reference: Q-C4 names 12 itself (`lib/lead/rules.py`); no code reads this file."),
    "core_content": CodeTable(
        "Core content (those the checks and the card name)",
        "For reference: Q-C7 and Q-C8 name 507 and 509 themselves (`lib/lead/rules.py`); no "
        "code reads this file."),
    "event_code_category": CodeTable(
        "KIAS: drug and weapon state event codes",
        "`category` drug or weapon of a state event code (A27). The codes are the product's "
        "own placeholders (no public Kansas list was found): a district replaces them, or "
        "ships the table `EventCodeCategory` in its snapshot, which then replaces this file "
        "whole. Read by `lib/codes.py` and `lib/kias/reference.py`."),
    "kias_resolution_code": CodeTable(
        "KIAS: state resolution codes",
        "`category` ISS, OSS, EXP, RSP, HO or LE (§3.1 of docs/kias.md); `expulsionServices` "
        "Y/N for the expulsion codes; `lawEnforcement` felony/misdemeanor for 750/730 "
        "(columns 10, 11) and referred for 710/770; `newerKbQualifying` = 1: the newer "
        "article's list (A2). Read by `lib/kias/reference.py`."),
    "kias_bullying_type": CodeTable(
        "KIAS: bullying incident types", "Incident type to Bullying Type (column 4, §3.2)."),
    "kias_weapon_code": CodeTable(
        "KIAS: weapon codes",
        "Weapon code to Weapon Code output (column 15, A20); the listed codes are the only "
        "ones WCODES keeps; `multiple` is the output for two or more distinct codes."),
    "kias_law_enforcement_referral": CodeTable(
        "KIAS: law enforcement referral",
        "Referral code to the KSSSA flag it sets (columns 10-12, §3.8)."),
    "kias_firearm_method": CodeTable(
        "KIAS: firearm discipline method",
        "`population` IDEA: valid for IDEA students (column 16, V1); non-IDEA: for the others "
        "(column 17, V2)."),
    "kias_time_classifier": CodeTable(
        "KIAS: time classifier (incident `context`)",
        "`where1`/`where2`/`where3` = 1: the time classifiers that KSSSA Where 1, 2, 3 accept "
        "(column 13)."),
    "kias_location_classifier": CodeTable(
        "KIAS: location classifier (incident `location`)",
        "`property` on: on school property (Where 1 and 2); off: off property at a supervised "
        "activity (Where 3)."),
    "kias_injury": CodeTable(
        "KIAS: injury", "`counts` = 1: the injury codes that make an event an injury event "
        "(A28)."),
    "kias_incident_status": CodeTable(
        "KIAS: incident status", "`complete` = 1: the statuses an incident must have to be "
        "reported (§2.2 item 1)."),
    "kias_duration_unit": CodeTable(
        "KIAS: duration units",
        "Unit names (compared in lower case, empty meaning days) and how many make a day "
        "(A7); a unit not listed gives no day count."),
}
"""Every CSV of data/reference/ and what it is for. Keyed by file name (without .csv): a file
added or removed there makes `render_code_tables` fail until this says what it is."""


def render_code_tables() -> str:
    """One section per CSV of data/reference/: what it is for, then its rows as shipped."""
    folder = reference_folder()
    present = sorted(p.stem for p in folder.glob("*.csv"))
    missing = [name for name in present if name not in CODE_TABLES]
    extra = sorted(set(CODE_TABLES) - set(present))
    if missing or extra:
        raise ValueError(f"data/reference and CODE_TABLES disagree: undescribed files "
                         f"{missing}, described but absent {extra}")
    lines = [_source_note("the CSV files of `data/reference/` and `CODE_TABLES` in "
                          "`lead_pipeline/lib/docs.py`"), ""]
    lines += table(["file", "list", "used for"],
                   ((f"`{name}.csv`", CODE_TABLES[name].title, CODE_TABLES[name].use)
                    for name in CODE_TABLES), raw=1)
    for name in CODE_TABLES:
        frame = read_reference(folder, name)
        lines += ["", f"### {name}.csv", "", f"{CODE_TABLES[name].title}. {CODE_TABLES[name].use}",
                  ""]
        lines += table([cell(c) for c in frame.columns], frame.iter_rows())
    return "\n".join(lines)


# ---- the registry -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Generated:
    """One generated region: the document it sits in, its marker name, what it is rendered
    from (for docs/README.md) and the renderer."""

    document: str
    name: str
    source: str
    render: Callable[[], str]


def render_index() -> str:
    """docs/README.md's list of generated regions, from this registry."""
    rows = [(f"`{g.document}`", f"`{g.name}`", g.source) for g in GENERATED]
    return "\n".join([
        _source_note("`GENERATED` in `lead_pipeline/lib/docs.py`"),
        "",
        *table(["document", "region", "rendered from"], rows, raw=2),
    ])


GENERATED: tuple[Generated, ...] = (
    Generated("docs/lead.md", "report-columns",
              "`COMMON`, `CLASS_IDENTITY`, `DETAIL_STUDENT`, `count_columns` in "
              "`lib/lead/reports.py`; the code tables", render_report_columns),
    Generated("docs/lead.md", "q-rules", "`RULES` in `lib/lead/rules.py`", render_q_rules),
    Generated("docs/kias.md", "kias-columns",
              "`column_exprs` in `lib/kias/columns.py`; `KIAS_COLUMN_NOTES` in `lib/docs.py`",
              render_kias_columns),
    Generated("docs/kias.md", "kias-validation",
              "`RULES` in `lib/kias/validation.py`; `kias_firearm_method.csv`",
              render_kias_validation),
    Generated("docs/outputs.md", "sheet-columns",
              "`ISSUE_COLUMNS` in `lib/lead/rules.py`, `CHANGE_COLUMNS` in "
              "`lib/lead/history.py`, `FINDING_COLUMNS` in `lib/kias/validation.py`",
              render_sheet_columns),
    Generated("docs/codes.md", "code-tables",
              "every CSV of `data/reference/`; `CODE_TABLES` in `lib/docs.py`",
              render_code_tables),
    Generated("docs/README.md", "generated-index", "`GENERATED` in `lib/docs.py`",
              render_index),
)


# ---- filling the regions ----------------------------------------------------------------------

_REGION = re.compile(r"<!-- generated: (?P<name>[a-z0-9-]+) -->\n(?P<body>.*?)"
                     r"<!-- end generated -->", re.DOTALL)


def regions_of(document: str) -> dict[str, Generated]:
    return {g.name: g for g in GENERATED if g.document == document}


def fill(document: str, text: str) -> str:
    """`text` (the document's current content) with every region rendered anew. A region the
    registry declares for the document but the text lacks, one the text holds but nobody
    renders, or one that appears twice, is an error: a document cannot silently lose a
    generated part."""
    wanted = regions_of(document)
    seen: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in wanted:
            raise ValueError(f"{document}: region {name!r} has no renderer")
        seen.append(name)
        body = wanted[name].render().rstrip("\n")
        return f"<!-- generated: {name} -->\n{body}\n<!-- end generated -->"

    out = _REGION.sub(replace, text)
    if sorted(seen) != sorted(wanted):
        raise ValueError(f"{document}: regions found {sorted(seen)}, expected {sorted(wanted)}")
    return out


def documents() -> list[str]:
    return sorted({g.document for g in GENERATED})


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated regions of every document; `--check` only reports stale ones."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    root = project_root()
    stale = []
    for document in documents():
        path = root / document
        text = path.read_text(encoding="utf-8")
        new = fill(document, text)
        if new != text:
            stale.append(document)
            if not check:
                path.write_text(new, encoding="utf-8")
    verb = "out of date" if check else "rewritten"
    print(f"{verb}: {', '.join(stale)}" if stale else "generated regions up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
