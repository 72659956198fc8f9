"""Numbers and schedules a deployment may set in its environment file (README "Running in
production"), read in one way: unset or blank means the default, anything else must parse, and
a value that does not parse is named in one line."""

from __future__ import annotations

import os
from collections.abc import Mapping


class SettingError(ValueError):
    """An environment variable holding a value that cannot be used."""


def number(name: str, default: float, *, minimum: float = 0.0,
           env: Mapping[str, str] | None = None) -> float:
    """The float in environment variable `name` (of `env`, default os.environ), or `default`
    when it is unset or blank."""
    text = (os.environ if env is None else env).get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingError(f"{name} is {text!r}, not a number") from None
    if value < minimum:
        raise SettingError(f"{name} is {text}, below its minimum {minimum:g}")
    return value


def seconds(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    """A whole number of seconds (at least 1) from `name`, or `default`."""
    return max(1, round(number(name, default, minimum=1, env=env)))


def text(name: str, default: str) -> str:
    """The stripped value of `name`, or `default` when it is unset or blank."""
    return os.environ.get(name, "").strip() or default
