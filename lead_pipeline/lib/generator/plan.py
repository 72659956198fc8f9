"""The district plan: which schools exist, their classification, grades and size.

Decided before any row is drawn so every school's chunk can be generated on its own (its own
random stream, its own id ranges taken in school order) and cross-school references (a teacher
transferred to another school) point at schools that are known to exist.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.generator.calendar import default_snapshot_date

# local grade name -> (state grade, relative size of the grade)
GRADES: dict[str, tuple[str, float]] = {
    "P3": ("98", 0.25), "P4": ("99", 0.4), "KG": ("00", 1.0),
    **{f"{g:02d}": (f"{g:02d}", 1.0) for g in range(1, 13)},
    "14": ("14", 0.03),
}
KIND_GRADES: dict[str, tuple[str, ...]] = {
    "elem": ("P3", "P4", "KG", "01", "02", "03", "04", "05"),
    "middle": ("06", "07", "08"),
    "high": ("09", "10", "11", "12", "14"),
    "mh": ("06", "07", "08", "09", "10", "11", "12", "14"),
    "k12": ("P4", "KG", *(f"{g:02d}" for g in range(1, 13))),
    "alt": ("06", "07", "08", "09", "10", "11", "12"),
    "k8": ("KG", *(f"{g:02d}" for g in range(1, 9))),
}
PLACES = (
    "Maple Grove", "Cedar Creek", "Lincoln", "Oak Hill", "River Bend", "Bluegrass", "Pine Knot",
    "Willow Run", "Clark", "Boone", "Harmony", "Fairview", "Ashland Park", "Stonewall",
    "Hazelwood", "Millcreek", "Shelby", "Dixie Heights", "Beechwood", "Red Oak", "Laurel",
    "Meadowview", "Cumberland", "Spring Valley", "Brookside", "Highland", "Eastwood",
    "Westport", "Northside", "Southgate",
)


@dataclass(frozen=True)
class SchoolPlan:
    index: int
    school_id: int
    number: str
    name: str
    classification: str
    kind: str
    grades: tuple[str, ...]
    n_students: int
    variant: int
    has_prior: bool
    has_summer: bool
    inactive_trial: bool
    null_term: bool

    @property
    def included(self) -> bool:
        return self.kind != "k8"

    @property
    def alternative(self) -> bool:
        return self.classification in ("A5", "A6")

    @property
    def term_kind(self) -> str:
        return "quarter" if self.kind in ("elem", "middle", "k8") else "semester"


@dataclass(frozen=True)
class DistrictPlan:
    district_id: int
    number: str
    name: str
    end_year: int
    snapshot_date: dt.date
    schools: tuple[SchoolPlan, ...]
    incidents: float | None = None
    """Behavior incidents per student of a school; None: a random 3-8% per school."""

    @property
    def included_schools(self) -> tuple[SchoolPlan, ...]:
        return tuple(s for s in self.schools if s.included)


def _a1_kinds(n: int) -> list[str]:
    if n == 1:
        return ["k12"]
    if n == 2:
        return ["elem", "mh"]
    high = max(1, round(n * 0.2))
    middle = max(1, round(n * 0.2))
    return ["elem"] * (n - high - middle) + ["middle"] * middle + ["high"] * high


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights` (exact sum, deterministic)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _school_name(i: int, kind: str, classification: str) -> str:
    place = PLACES[i % len(PLACES)] + ("" if i < len(PLACES) else f" {i // len(PLACES) + 1}")
    if classification == "A5":
        return f"{place} Academy"
    if classification == "A6":
        return f"{place} Day Treatment Center"
    if kind == "k8":
        return f"St. {place.split()[0]} Catholic School" if i % 2 else f"{place} Christian School"
    return {"elem": f"{place} Elementary", "middle": f"{place} Middle School",
            "high": f"{place} High School", "mh": f"{place} Middle/High School",
            "k12": f"{place} School"}[kind]


def build_plan(students: int, schools: int | None, end_year: int,
               snapshot_date: dt.date | None, district_number: str, district_name: str,
               ref: Codes) -> DistrictPlan:
    """Lay out the district: `schools` included schools plus a few small excluded ones."""
    n_incl = schools if schools is not None else max(3, round(students / 667))
    if n_incl < 1:
        raise ValueError("schools must be at least 1")
    n_excl = max(1, round(n_incl * 0.04))
    if students < 25 * (n_incl + n_excl):
        raise ValueError(f"{students} students are too few for {n_incl + n_excl} schools "
                         "(at least 25 per school)")
    n_alt = 0 if n_incl < 2 else max(1, round(n_incl * 0.06))
    kinds = _a1_kinds(n_incl - n_alt)
    spec: list[tuple[str, str]] = [("A1", k) for k in kinds]
    alt_cls = [("A5" if j % 2 == 0 else "A6", "alt") for j in range(n_alt)]
    excl = [(ref.excluded_classifications[0] if j % 2 == 0 else "R1", "k8")
            for j in range(n_excl)]
    # interleave so small districts still put the alternative school among the first few
    spec = spec[:2] + alt_cls + spec[2:] + excl
    avg = students / n_incl  # alternative and non-public schools are small ones
    small = {"alt": min(150, max(25, round(avg * 0.1))),
             "k8": min(120, max(25, round(avg * 0.06)))}
    fixed = [small.get(k, 0) for _, k in spec]
    rest = students - sum(fixed)
    weights = [sum(GRADES[g][1] for g in KIND_GRADES[k]) if k not in ("alt", "k8") else 0.0
               for _, k in spec]
    a1 = _apportion(rest, [w for w in weights if w > 0])
    it = iter(a1)
    counts = [f if f else next(it) for f in fixed]
    step = 5 if len(spec) <= 199 else 1
    width = max(3, len(str(step * len(spec))))
    plans = []
    for i, ((cls, kind), n) in enumerate(zip(spec, counts, strict=True)):
        plans.append(SchoolPlan(
            index=i, school_id=i + 1, number=f"{step * (i + 1):0{width}d}",
            name=_school_name(i, kind, cls), classification=cls, kind=kind,
            grades=KIND_GRADES[kind], n_students=n, variant=i % 3 - 1,
            has_prior=kind != "k8" and i % 2 == 0, has_summer=kind in ("elem", "high", "mh")
            and i % 3 == 0, inactive_trial=i % 2 == 1 or i == 0, null_term=i % 4 == 0,
        ))
    if math.fsum(p.n_students for p in plans) != students:
        raise AssertionError("apportioning students lost some")
    return DistrictPlan(
        district_id=1, number=district_number, name=district_name, end_year=end_year,
        snapshot_date=snapshot_date or default_snapshot_date(end_year), schools=tuple(plans),
    )
