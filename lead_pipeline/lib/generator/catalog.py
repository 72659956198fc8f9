"""Course catalogs by school level: what a Kentucky elementary, middle, high or alternative
school offers, with state course codes (leading zeros kept), the placeholder and
content-required codes the checks name, dual-credit and special-education courses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CourseSpec:
    number: str
    name: str
    code: str
    dept: str  # teacher pool; "hr" = the homeroom teacher
    grades: tuple[str, ...]
    slot: str  # courses sharing a slot are alternatives: a student takes one of them
    weight: float = 1.0
    take: float = 1.0  # share of eligible students taking the slot (first course of a slot)
    term: str = "Y"  # Y whole year, S1/S2 a semester, X the null-dated intersession term
    size: int = 25
    content: str | None = None
    method: str | None = None
    special: str = "01"
    mode: str = "rand"  # hr: sections follow the elementary homerooms
    who: str = "all"  # iep: only students with a disability and an active locked IEP
    active: bool = True


ELEM = ("KG", "01", "02", "03", "04", "05")
MID = ("06", "07", "08")
HIGH = ("09", "10", "11", "12", "14")


def _label(g: str) -> str:
    return "Kindergarten" if g == "KG" else f"Grade {int(g)}"


def elementary(grades: tuple[str, ...]) -> list[CourseSpec]:
    out: list[CourseSpec] = []
    for g in (g for g in grades if g in ("P3", "P4")):
        out.append(CourseSpec(f"PS{g[1]}", f"Preschool (age {g[1]})", f"0099{g[1]}0", "hr",
                              (g,), f"pre{g}", mode="hr", size=18))
    elem = tuple(g for g in grades if g in ELEM)
    for g in elem:
        g2 = "00" if g == "KG" else g
        lab = _label(g)
        out += [
            CourseSpec(f"ELA{g2}", f"{lab} Reading/Language Arts", f"2300{g2}", "hr", (g,),
                       f"ela{g}", mode="hr", content="502"),
            CourseSpec(f"MAT{g2}", f"{lab} Mathematics", f"2700{g2}", "hr", (g,), f"mat{g}",
                       mode="hr", content="40"),
            CourseSpec(f"SCI{g2}", f"{lab} Science", f"3000{g2}", "hr", (g,), f"sci{g}",
                       mode="hr", content="25"),
            CourseSpec(f"SOC{g2}", f"{lab} Social Studies", f"4500{g2}", "hr", (g,),
                       f"soc{g}", mode="hr", content="101"),
            CourseSpec(f"ART{g2}", f"{lab} Art", "500100", "art", (g,), f"art{g}", mode="hr",
                       content="60"),
            CourseSpec(f"MUS{g2}", f"{lab} Music", "530100", "music", (g,), f"mus{g}",
                       mode="hr", content="70"),
            CourseSpec(f"PE{g2}", f"{lab} Physical Education", "360100", "pe", (g,),
                       f"pe{g}", mode="hr", content="80"),
        ]
    if elem:
        out += [
            CourseSpec("RES01", "Resource Reading", "230090", "sped", elem, "resr", take=0.6,
                       size=8, content="502", special="05", who="iep"),
            CourseSpec("RES02", "Resource Math", "270090", "sped", elem, "resm", take=0.5,
                       size=8, content="40", special="05", who="iep"),
            CourseSpec("INT01", "Reading Intervention", "800500", "interv",
                       tuple(g for g in elem if g in ("01", "02", "03")) or elem, "int",
                       take=0.08, size=12),
            CourseSpec("SPX01", "Spanish Exploration", "909999", "lang",
                       tuple(g for g in elem if g in ("04", "05")) or elem, "spx", take=0.25,
                       content="89"),
            CourseSpec("ENR01", "Winter Intersession", "990100", "art", elem, "enr",
                       take=0.05, term="X", size=20),
            CourseSpec("KEY01", "Keyboarding (retired)", "060101", "music", elem, "key",
                       take=0.03, size=20, active=False),
        ]
    return out


def middle(grades: tuple[str, ...]) -> list[CourseSpec]:
    mid = tuple(g for g in grades if g in MID)
    if not mid:
        return []
    out: list[CourseSpec] = []
    for g in mid:
        lab = _label(g)
        out += [
            CourseSpec(f"LA{g}", f"Language Arts {int(g)}", f"2301{g}", "ela", (g,), f"la{g}",
                       size=26, content="502"),
            CourseSpec(f"MA{g}", f"Mathematics {int(g)}", f"2701{g}", "math", (g,), f"ma{g}",
                       size=26, content="40"),
            CourseSpec(f"SC{g}", f"Science {int(g)}", f"3001{g}", "sci", (g,), f"sc{g}",
                       size=26, content="25"),
            CourseSpec(f"SS{g}", f"Social Studies {int(g)}", f"4501{g}", "ss", (g,), f"ss{g}",
                       size=26, content="101"),
            CourseSpec(f"PE{g}", f"{lab} PE/Health", f"3601{g}", "pe", (g,), f"pe{g}",
                       size=30, content="80"),
        ]
    out += [
        CourseSpec("ADV06", "Advisory", "909995", "ela", mid, "adv", size=24),
        CourseSpec("BND06", "Band", "530106", "music", mid, "mel", weight=0.3, content="70"),
        CourseSpec("ART06", "Art", "500106", "art", mid, "mel", weight=0.3, content="60"),
        CourseSpec("SPA06", "Spanish Exploratory", "160106", "lang", mid, "mel", weight=0.2,
                   content="89"),
        CourseSpec("EXP06", "Exploratory Wheel", "499910", "tech", mid, "mel", weight=0.2,
                   content="502"),
        CourseSpec("RLA06", "Resource Language Arts", "230195", "sped", mid, "resr", take=0.6,
                   size=10, content="502", special="05", who="iep"),
        CourseSpec("RMA06", "Resource Math", "270195", "sped", mid, "resm", take=0.5, size=10,
                   content="40", special="05", who="iep"),
        CourseSpec("ENR06", "Intersession Enrichment", "990106", "tech", mid, "enr", take=0.05,
                   term="X", size=20),
        CourseSpec("STH06", "Study Hall (retired)", "909990", "tech", mid, "sth", take=0.02,
                   size=20, active=False),
    ]
    return out


def high(grades: tuple[str, ...]) -> list[CourseSpec]:
    hs = tuple(g for g in grades if g in HIGH)
    if not hs:
        return []
    up = tuple(g for g in hs if g in ("11", "12", "14")) or hs

    def per(g: str) -> list[CourseSpec]:
        eng = {"09": ("230101", "English I"), "10": ("230102", "English II"),
               "11": ("230103", "English III")}.get(g, ("230104", "English IV"))
        math = {"09": [("270101", "Algebra I", 0.7), ("270201", "Geometry", 0.3)],
                "10": [("270201", "Geometry", 0.6), ("270301", "Algebra II", 0.4)],
                "11": [("270301", "Algebra II", 0.5), ("270401", "Pre-Calculus", 0.3),
                       ("499915", "Applied Math (school defined)", 0.2)]}.get(
            g, [("270401", "Pre-Calculus", 0.4), ("270501", "Statistics", 0.4),
                ("960001", "Credit Recovery Math", 0.2)])
        sci = {"09": [("260101", "Biology", 1.0, None, "25")],
               "10": [("400101", "Chemistry", 1.0, None, "27")],
               "11": [("400201", "Physics", 0.8, None, "25"),
                      ("230168", "AP Chemistry", 0.2, None, "27")]}.get(
            g, [("400301", "Environmental Science", 0.8, None, "25"),
                ("400202", "Online Physics", 0.2, "02", "25")])
        soc = {"09": [("450101", "World Civilization", 1.0, "102")],
               "10": [("450801", "U.S. History", 1.0, "101")],
               "11": [("450501", "Government", 0.75, "101"),
                      ("230170", "AP World History", 0.25, "102")]}.get(
            g, [("450601", "Economics", 1.0, "101")])
        out = [CourseSpec(f"E{g}", eng[1], eng[0], "ela", (g,), f"eng{g}", content="502")]
        out += [CourseSpec(f"M{g}{i}", n, c, "math", (g,), f"math{g}", weight=w,
                           content="40") for i, (c, n, w) in enumerate(math)]
        out += [CourseSpec(f"S{g}{i}", n, c, "sci", (g,), f"sci{g}", weight=w, method=m,
                           content=ct) for i, (c, n, w, m, ct) in enumerate(sci)]
        out += [CourseSpec(f"H{g}{i}", n, c, "ss", (g,), f"soc{g}", weight=w, content=ct)
                for i, (c, n, w, ct) in enumerate(soc)]
        return out

    out = [c for g in hs for c in per(g)]
    low = tuple(g for g in hs if g in ("09", "10")) or hs
    out += [
        CourseSpec("PE09", "Physical Education", "360201", "pe", low, "pe", size=30,
                   content="80"),
        CourseSpec("HLT09", "Health", "360301", "pe", low, "hlt", take=0.5, term="S1",
                   size=30, content="81"),
        CourseSpec("CMP09", "Computer Literacy", "060201", "tech", low, "cmp", take=0.5,
                   term="S2", content="30"),
        CourseSpec("ADV09", "Advisory", "909995", "ela", hs, "adv", size=24),
        CourseSpec("SPA1", "Spanish I", "160101", "lang", hs, "el1", weight=0.25, content="89"),
        CourseSpec("GER1", "German I", "161101", "lang", hs, "el1", weight=0.1, content="90"),
        CourseSpec("AGR1", "Principles of Agriculture", "040101", "tech", hs, "el1",
                   weight=0.15, content="10"),
        CourseSpec("BUS1", "Business Principles", "060101", "tech", hs, "el1", weight=0.15,
                   content="30"),
        CourseSpec("ART1", "Art I", "500101", "art", hs, "el1", weight=0.15, content="60"),
        CourseSpec("BND1", "Band", "530101", "music", hs, "el1", weight=0.2, content="70"),
        CourseSpec("DCE1", "Dual Credit English 101", "230111", "ela", up, "el2", weight=0.15,
                   method="12", content="502"),
        CourseSpec("DCP1", "Dual Credit Psychology", "459901", "ss", up, "el2", weight=0.1,
                   method="12", content="101"),
        CourseSpec("DCX1", "Dual Credit (college course)", "950001", "tech", up, "el2",
                   weight=0.1, method="12"),
        CourseSpec("APR1", "AP Research", "230171", "ela", up, "el2", weight=0.1,
                   content="502"),
        CourseSpec("TSP1", "Technical Spanish", "165698", "lang", up, "el2", weight=0.1,
                   content="89"),
        CourseSpec("SDC1", "Personal Finance (school defined)", "909999", "math", up, "el2",
                   weight=0.1, content="40"),
        CourseSpec("CRR1", "Credit Recovery", "960001", "tech", up, "el2", weight=0.1),
        CourseSpec("SH1", "Study Hall", "909995", "tech", up, "el2", weight=0.1),
        CourseSpec("RE09", "Resource English", "230199", "sped", hs, "resr", take=0.5,
                   size=10, content="502", special="05", who="iep"),
        CourseSpec("RM09", "Resource Math", "270199", "sped", hs, "resm", take=0.4, size=10,
                   content="40", special="05", who="iep"),
        CourseSpec("ENR09", "Intersession Workshop", "990109", "tech", hs, "enr", take=0.05,
                   term="X", size=20),
        CourseSpec("KEY09", "Keyboarding (retired)", "060102", "tech", hs, "key", take=0.02,
                   size=20, active=False),
    ]
    return out


def alternative(grades: tuple[str, ...]) -> list[CourseSpec]:
    g = grades
    return [
        CourseSpec("ALA1", "Alternative Language Arts", "230100", "alt", g, "ala", size=12,
                   content="502", special="02"),
        CourseSpec("AMA1", "Alternative Mathematics", "270100", "alt", g, "ama", size=12,
                   content="40", special="02"),
        CourseSpec("ASC1", "Alternative Science", "300100", "alt", g, "asc", size=12,
                   content="25", special="02"),
        CourseSpec("ASS1", "Alternative Social Studies", "450100", "alt", g, "ass", size=12,
                   content="101", special="02"),
        CourseSpec("LSK1", "Life Skills", "909999", "alt", g, "lsk", take=0.6, size=12,
                   content="502", special="02"),
        CourseSpec("APE1", "Physical Education", "360100", "pe", g, "ape", size=20,
                   content="80"),
        CourseSpec("ARS1", "Resource Support", "230199", "sped", g, "res", take=0.5, size=8,
                   content="502", special="05", who="iep"),
        CourseSpec("AEN1", "Intersession Credit Lab", "990110", "alt", g, "enr", take=0.05,
                   term="X", size=12),
    ]


def catalog(kind: str, grades: tuple[str, ...]) -> list[CourseSpec]:
    """The courses a school of `kind` offers to its `grades`."""
    if kind == "alt":
        return alternative(grades)
    return elementary(grades) + middle(grades) + high(grades)


SUMMER = [
    CourseSpec("SUM1", "Summer Reading Camp", "230000", "hr", (), "sum", weight=0.5, size=15,
               content="502"),
    CourseSpec("SUM2", "Summer Math Camp", "270000", "math", (), "sum", weight=0.5, size=15,
               content="40"),
]
