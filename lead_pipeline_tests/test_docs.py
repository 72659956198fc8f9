"""The documents under docs/ against the code that cites them and the declarations they render.

Three promises, one test each (plus two that keep the citations resolvable):

- a generated region equals what `lead_pipeline.lib.docs` renders now (a rule, a KIAS column or
  a code table changed without regenerating fails here);
- every rule or decision id cited in the package's comments and strings is defined in docs/;
- no comment or string of the package names a document outside the repository (they cite
  docs/).

Comments and strings are read with `tokenize`, so code (`dg.MetadataValue.md`) is never
mistaken for a citation.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

import pytest

from lead_pipeline.lib import docs
from lead_pipeline.lib.paths import project_root

ROOT = project_root()
PACKAGE = ROOT / "lead_pipeline"
DOCS = ROOT / "docs"

_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def texts() -> Iterator[tuple[str, int, str]]:
    """(file relative to the checkout, line, text) of every comment and string literal of the
    package, docstrings included."""
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT or tok.type in _STRING_TOKENS:
                yield str(path.relative_to(ROOT)), tok.start[0], tok.string


# ---- (a) generated regions ------------------------------------------------------------------

@pytest.mark.parametrize("document", docs.documents())
def test_generated_regions_match_their_declarations(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    assert text == docs.fill(document, text), (
        f"{document} is out of date: run python -m lead_pipeline.lib.docs")


# ---- (b) every cited id is defined -----------------------------------------------------------

_RULE_ID = re.compile(r"\b(?:L-\d+|Q-[A-Z]\d+|V[12])\b")
_DECISION = re.compile(r"\bA\d{1,2}b?\b")
_CODE = r"[A-Z]\d"
_JOIN = r"(?:/|\s+or\s+|\s+…\s+|\s*\.\.\.\s*)"
_CLASSIFICATION_AFTER = re.compile(rf"^{_JOIN}{_CODE}")
_CLASSIFICATION_BEFORE = re.compile(rf"{_CODE}{_JOIN}$")
_QUOTES = re.compile(r"""^[rRbBuUfF]*('''|\"\"\"|'|")(?P<body>.*)\1$""", re.DOTALL)


def _body(text: str) -> str:
    """A string token without its prefix and quotes; a comment as it is."""
    match = _QUOTES.match(text)
    return match.group("body") if match else text


def decision_ids(text: str) -> list[str]:
    """The A-ids of a comment or string that cite a KIAS decision, not a school classification.

    `A1` … `A8` are also Kentucky school classifications (`stateClassification`). Such a code is
    data, not a citation, when it is the whole string (`("A5", "A6")`), or is joined to another
    code by `/`, ` or ` or an ellipsis (`A5/A6`, `A5 or A6`, `A1 … D1`). Every other A-id is a
    decision cited: `(A43)`, `kias.md A27`, `# A30, A40: …`, `(A10, A43)`, `A15b`.
    """
    body = _body(text)
    if _DECISION.fullmatch(body.strip()):
        return []
    found = []
    for match in _DECISION.finditer(body):
        after, before = body[match.end():], body[:match.start()]
        if _CLASSIFICATION_AFTER.match(after) or _CLASSIFICATION_BEFORE.search(before):
            continue
        found.append(match.group())
    return found


def cited_ids() -> dict[str, list[str]]:
    """Every id cited in the package -> where (file:line)."""
    cited: dict[str, list[str]] = {}
    for file, line, text in texts():
        for ident in [*_RULE_ID.findall(text), *decision_ids(text)]:
            cited.setdefault(ident, []).append(f"{file}:{line}")
    return cited


_BOLD_ID = re.compile(r"\*\*(L-\d+|Q-[A-Z]\d+|V[12]|A\d{1,2}b?)\*\*")
_CODE_SPANS = re.compile(r"`[^`\n]*`")


def definitions() -> dict[str, list[str]]:
    """Id -> the documents defining it: where it stands in bold (`**L-7**`, `**A27**`), code
    spans left out (docs/README.md shows the convention in backticks)."""
    found: dict[str, list[str]] = {}
    for path in sorted(DOCS.glob("*.md")):
        text = _CODE_SPANS.sub("", path.read_text(encoding="utf-8"))
        for ident in _BOLD_ID.findall(text):
            found.setdefault(ident, []).append(path.name)
    return found


def test_decision_ids_are_told_from_school_classifications() -> None:
    assert decision_ids('"A5"') == []
    assert decision_ids("# off-site alternative program (A5/A6 school)") == []
    assert decision_ids('"Special Type 02 in a school not classified A5 or A6"') == []
    assert decision_ids('_t("stateClassification", "A1 … D1, F1 … R1")') == []
    assert decision_ids("# reversed dates are kept (kias.md A43)") == ["A43"]
    assert decision_ids("(A10, A43); 6. different dates (A9, A11)") == ["A10", "A43", "A9", "A11"]
    assert decision_ids("# A15, A15b, A16") == ["A15", "A15b", "A16"]


def test_every_cited_id_is_defined_in_docs() -> None:
    cited = cited_ids()
    defined = definitions()
    assert cited, "no id found in the package: the scan is broken"
    missing = {ident: where[:3] for ident, where in sorted(cited.items())
               if ident not in defined}
    assert not missing, f"ids cited in lead_pipeline/ without a definition in docs/: {missing}"


def test_each_id_is_defined_once() -> None:
    twice = {ident: where for ident, where in definitions().items() if len(where) > 1}
    assert not twice, f"ids defined more than once in docs/: {twice}"


def test_every_rule_and_decision_of_the_documents_is_there() -> None:
    """What the documents promise whether or not the code cites it today: the L- rules of
    lead.md §1-§3, every Q- rule declared, all 45 KIAS decisions (and A15b), V1 and V2."""
    from lead_pipeline.lib.kias.validation import RULES as KIAS_RULES
    from lead_pipeline.lib.lead.rules import RULES

    expected = {f"L-{n}" for n in [*range(1, 9), *range(10, 16), *range(20, 24)]}
    expected |= {r.id for r in RULES} | {r.id for r in KIAS_RULES}
    expected |= {f"A{n}" for n in range(1, 46)} | {"A15b"}
    assert sorted(expected - set(definitions())) == []


# ---- sections the code cites exist -----------------------------------------------------------

_DOC_REF = re.compile(r"(?:docs/)?\b(lead|kias|outputs|codes)\.md\b")
_SECTION = re.compile(r"§(\d+(?:\.\d+)?)")
_NAMED = re.compile(r'^\s*"([^"]+)"')


def _headings(document: str) -> list[str]:
    text = (DOCS / f"{document}.md").read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


def section_citations() -> list[tuple[str, str, str]]:
    """(where, document, section) for each `§N` and `"Heading"` the package cites in one of
    the documents written here. A `§` without a document name belongs to the last document
    named before it in the same comment or string, or, in a module under a `kias` folder, to
    kias.md (the KIAS modules cite their own document's sections bare)."""
    found = []
    for file, line, text in texts():
        default = "kias" if "/kias/" in file else None
        refs = sorted([(m.start(), "doc", m) for m in _DOC_REF.finditer(text)]
                      + [(m.start(), "section", m) for m in _SECTION.finditer(text)],
                      key=lambda item: item[0])
        current = default
        for _, kind, match in refs:
            if kind == "doc":
                current = match.group(1)
                named = _NAMED.match(text[match.end():])
                if named:
                    found.append((f"{file}:{line}", current, f'"{named.group(1)}"'))
            elif current is not None:
                found.append((f"{file}:{line}", current, match.group(1)))
    return found


def test_every_cited_section_exists() -> None:
    headings = {name: _headings(name) for name in ("lead", "kias", "outputs", "codes")}
    missing = []
    for where, document, section in section_citations():
        if section.startswith('"'):
            ok = any(section.strip('"') in h for h in headings[document])
        else:
            ok = any(re.match(rf"{re.escape(section)}\.?\s", h) for h in headings[document])
        if not ok:
            missing.append(f"{where}: docs/{document}.md {section}")
    assert not missing, "sections cited that the documents do not have:\n" + "\n".join(missing)


# ---- (c) no document outside the repository --------------------------------------------------

_MD_PATH = re.compile(r"(?<![\w./-])((?:\.\./|[\w-]+/)*[\w.-]+\.md)\b")
_OUTSIDE = re.compile(r"(?<![\w-])(?:spec/|\.\./shared|shared/(?:spec|seeds)|seeds/)")


def external_citations() -> list[str]:
    """`file:line: name` for each document a comment or string names that is not a file of the
    checkout (a path relative to the checkout's root: `docs/lead.md` is, `lead.md` is not), or
    that points at the specification folder beside the project (`spec/…`, `../shared`)."""
    found = []
    for file, line, text in texts():
        for match in _MD_PATH.finditer(text):
            if not (ROOT / match.group(1)).is_file():
                found.append(f"{file}:{line}: {match.group(1)}")
        found += [f"{file}:{line}: {m.group()}" for m in _OUTSIDE.finditer(text)]
    return found


def test_no_comment_names_a_document_outside_the_repository() -> None:
    found = external_citations()
    assert not found, (f"{len(found)} citations of documents outside the repository (cite "
                       "docs/… instead):\n" + "\n".join(found))


def test_the_citation_scan_sees_a_document_outside_the_repository() -> None:
    """The scan behind the test above finds what it must and passes what it must, so that test
    cannot be passing by accident."""
    assert _MD_PATH.findall('"""The rules of lead.md §5 and docs/lead.md."""') == [
        "lead.md", "docs/lead.md"]
    assert not (ROOT / "lead.md").is_file() and (ROOT / "docs/lead.md").is_file()
    assert _OUTSIDE.findall("# see spec/kias.md and ../shared/spec") == ["spec/", "../shared"]
