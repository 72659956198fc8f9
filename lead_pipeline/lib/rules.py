"""What the two rule families share: LEAD's Q- rules (lib/lead/rules.py) and KIAS's V1/V2
(lib/kias/validation.py).

Each family keeps its rule table as data in its own module, with the fields only it needs; the
machinery around a table is written once here: the rule record's common fields and the check
name made of them, the table indexed by id, a refresh's findings split per rule (the first
findings' ids a check shows are defs/metadata.py's id_table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

FIRST_IDS = 10
"""How many findings a check's metadata lists by their ids."""


@dataclass(frozen=True)
class Rule:
    """A rule's identity: the id the documents define and cite (`Q-C10`, `V1`) and the property
    that should hold, in a few words (`sped_25pct_general`): the check list in the UI cuts
    longer names mid-word."""

    id: str
    check: str

    @property
    def check_name(self) -> str:
        """The Dagster check's name, `<id>_<check>` (`q_c10_sped_25pct_general`): the rule
        id first, so the list sorts and reads by rule."""
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
