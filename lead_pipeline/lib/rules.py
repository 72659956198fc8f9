"""What the two rule families share: LEAD's Q- rules (lib/lead/rules.py) and KIAS's V1/V2
(lib/kias/validation.py).

Each family keeps its rule table as data in its own module, with the fields only it needs; the
machinery around a table is written once here: the rule record's common fields and the check
name made of them, the table indexed by id, a refresh's findings split per rule, and the first
findings' ids as the markdown a check's metadata shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from lead_pipeline.lib import markdown

FIRST_IDS = 10
"""How many findings a check's metadata lists by their ids."""


@dataclass(frozen=True)
class Rule:
    """A rule's identity: the id the documents define and cite (`Q-C10`, `V1`) and the property
    that should hold (`special_education_section_at_most_25_percent_general`)."""

    id: str
    check: str

    @property
    def check_name(self) -> str:
        """The Dagster check's name, `<id>_<check>` (`q_c10_special_education_…`)."""
        return f"{self.id.lower().replace('-', '_')}_{self.check}"


AnyRule = TypeVar("AnyRule", bound=Rule)


def by_id(rules: Sequence[AnyRule]) -> dict[str, AnyRule]:
    """The rules by id; an id declared twice is a mistake in the table, refused at import."""
    index = {rule.id: rule for rule in rules}
    if len(index) != len(rules):
        raise ValueError("rule ids must be unique")
    return index


def by_rule(found: pl.DataFrame, rules: Sequence[Rule], column: str) -> dict[str, pl.DataFrame]:
    """Findings split per rule (`column` holds the rule id), in `rules` order; every rule is
    present, with no rows when it found nothing."""
    parts = found.partition_by(column, as_dict=True, maintain_order=True)
    split = {key[0]: part for key, part in parts.items()}
    return {rule.id: split.get(rule.id, found.clear()) for rule in rules}


def first_ids(found: pl.DataFrame, columns: Sequence[str | pl.Expr], n: int = FIRST_IDS) -> str:
    """A markdown table of the first `n` findings, `columns` only: ids and codes, never a name
    or a state id (check metadata is kept in the Dagster instance and read by operators)."""
    shown = found.head(n).select(columns)
    return markdown.table(shown.columns, shown.iter_rows())
