"""Synthetic district snapshots for development, demos and tests (docs/snapshot-format.md).

`generate()` writes a snapshot folder whose data is clean for every error-level rule when
all problem rates are zero, and otherwise carries the planted problems listed in
`planted.json`, each at its rule's finding grain.
"""

from lead_pipeline.lib.generator.generate import GenerationSummary, generate
from lead_pipeline.lib.generator.rates import ERROR_RULES, RULES, ProblemRates

__all__ = ["ERROR_RULES", "RULES", "GenerationSummary", "ProblemRates", "generate"]
