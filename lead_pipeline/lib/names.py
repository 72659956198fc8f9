"""The values that may become part of a file name, and the one test each must pass.

School and district numbers name workbooks (`schools/LEAD_005.xlsx`); nothing else from a snapshot
may. Each pattern is the contract of docs/snapshot-format.md "Integrity checks" (the integrity check
of the snapshot tests the same pattern, so a value that reaches a file name has passed it), and
every function building a file name calls `checked` again: a value that did not pass is never turned
into a path, whatever route it took (a one-school run, a test, a later change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    description: str
    """What the value must look like, in an operator's words (used in messages)."""

    def matches(self, value: str | None) -> bool:
        return value is not None and self.regex.fullmatch(value) is not None


DISTRICT_NUMBER = Pattern(re.compile(r"[0-9]{3}"), "3 digits")
SCHOOL_NUMBER = Pattern(re.compile(r"[0-9]{3,4}"), "3 or 4 digits")
STATE_COURSE_CODE = Pattern(re.compile(r"[0-9]{6}"), "6 digits")
STATE_ID = Pattern(re.compile(r"[0-9]+"), "digits only")


class UnsafeName(ValueError):
    """A value that did not pass its pattern was about to become part of a file name."""


def checked(pattern: Pattern, value: object, what: str) -> str:
    """`value` as text when it passes `pattern`; otherwise UnsafeName (the value is not
    quoted: it may hold anything, control bytes included)."""
    text = None if value is None else str(value)
    if not pattern.matches(text):
        raise UnsafeName(f"{what} is not {pattern.description}: refusing to use it in a "
                         "file name")
    assert text is not None
    return text
