"""Problem rates: which planted problems a generated district carries, and how many.

A rate is the fraction of the records eligible for a rule that get that rule's problem
(docs/lead.md §5 for the `Q-` rules, docs/kias.md §7 for V1/V2, docs/snapshot-format.md
"Integrity checks" for `orphan` and `end_before_start`). Keeping every rate in one frozen
mapping lets the CLI accept `--rate Q-C1=0.05` without knowing the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LEAD_RULES: tuple[str, ...] = (
    "Q-C1", "Q-C2", "Q-C3", "Q-C4", "Q-C5", "Q-C6", "Q-C7", "Q-C8", "Q-C9", "Q-C10",
    "Q-C11", "Q-C12", "Q-S1", "Q-S2", "Q-S3", "Q-K1", "Q-K2", "Q-K3", "Q-W1", "Q-I1", "Q-I2",
)
KIAS_RULES: tuple[str, ...] = ("V1", "V2")
INTEGRITY_RULES: tuple[str, ...] = ("orphan", "end_before_start")
RULES: tuple[str, ...] = LEAD_RULES + KIAS_RULES + INTEGRITY_RULES

ERROR_RULES: frozenset[str] = frozenset(
    {"Q-C1", "Q-C2", "Q-C6", "Q-C10", "Q-S1", "Q-K1", "Q-K2", "Q-I1", "Q-I2", "V1", "V2"}
)
"""Error-level rules: with every rate at zero none of them may fire."""

_DEFAULTS: dict[str, float] = {
    # section rules: fraction of the included sections (of the kind the rule needs)
    "Q-C1": 0.01, "Q-C2": 0.01, "Q-C3": 0.05, "Q-C4": 0.05, "Q-C5": 0.005, "Q-C6": 0.03,
    "Q-C7": 0.005, "Q-C8": 0.005, "Q-C9": 0.03, "Q-C10": 0.03, "Q-C11": 0.003, "Q-C12": 0.03,
    # staff rules: fraction of the active staff of the kind the rule needs
    "Q-S1": 0.01, "Q-S2": 0.2, "Q-S3": 0.02, "Q-I1": 0.005, "Q-I2": 0.005,
    # caseload: fraction of case managers (K1, K3) or of students with a disability (K2)
    "Q-K1": 0.03, "Q-K2": 0.01, "Q-K3": 0.03,
    # schoolwide: fraction of the A5/A6 schools
    "Q-W1": 0.2,
    # KIAS: fraction of the resolutions on weapon events (IDEA / non-IDEA students)
    "V1": 0.05, "V2": 0.03,
    # integrity: fraction of Roster rows (orphan) and of students (end_before_start)
    "orphan": 0.0005, "end_before_start": 0.002,
}


@dataclass(frozen=True)
class ProblemRates:
    """Rate per rule id; build with `default()`, `zero()` or `from_mapping()`."""

    items: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        keys = [k for k, _ in self.items]
        unknown = sorted(set(keys) - set(RULES))
        if unknown:
            raise ValueError(f"unknown problem rule(s): {', '.join(unknown)}; known: "
                             f"{', '.join(RULES)}")
        missing = sorted(set(RULES) - set(keys))
        if missing:
            raise ValueError(f"missing problem rule(s): {', '.join(missing)}")
        for k, v in self.items:
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"rate of {k} must be between 0 and 1, got {v}")

    @classmethod
    def default(cls) -> ProblemRates:
        """Small non-zero rates: a sample district shows a few findings of every rule."""
        return cls(tuple((k, _DEFAULTS[k]) for k in RULES))

    @classmethod
    def zero(cls) -> ProblemRates:
        """Every rate 0: clean data, no error-level rule fires."""
        return cls(tuple((k, 0.0) for k in RULES))

    @classmethod
    def from_mapping(cls, rates: Mapping[str, float]) -> ProblemRates:
        """Defaults overridden by `rates`; an unknown key raises ValueError naming it."""
        unknown = sorted(set(rates) - set(RULES))
        if unknown:
            raise ValueError(f"unknown problem rule(s): {', '.join(unknown)}; known: "
                             f"{', '.join(RULES)}")
        merged = {**_DEFAULTS, **{k: float(v) for k, v in rates.items()}}
        return cls(tuple((k, merged[k]) for k in RULES))

    def __getitem__(self, rule: str) -> float:
        return dict(self.items)[rule]

    def as_dict(self) -> dict[str, float]:
        return dict(self.items)

    def any(self) -> bool:
        return any(v > 0 for _, v in self.items)
