"""The one-school refresh's partitions: the state numbers of the schools LEAD reports on (L-2).

They are dynamic (a district opens and closes schools), so the weekly refresh registers the
included schools of its snapshot as it stages them (`lead/stg_sections`), and a one-school run
started from the command line registers its own school first.
"""

import dagster as dg

SCHOOLS_NAME = "school"
"""Kept apart from SCHOOLS: DynamicPartitionsDefinition.name is typed Optional."""
SCHOOLS = dg.DynamicPartitionsDefinition(name=SCHOOLS_NAME)


def add_school_partitions(instance: dg.DagsterInstance, numbers: list[str]) -> list[str]:
    """Add the school numbers not yet partitions; returns the ones added."""
    have = set(instance.get_dynamic_partitions(SCHOOLS_NAME))
    new = sorted({n for n in numbers if n} - have)
    if new:
        instance.add_dynamic_partitions(SCHOOLS_NAME, new)
    return new
