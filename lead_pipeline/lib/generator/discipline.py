"""KIAS discipline rows: behavior and resolution types (district-wide), and each school's
incidents, events, participants, weapons and resolutions.

Weapon resolutions carry a firearm discipline method valid for the student's IDEA status on
the incident date (docs/kias.md §3.3, §7), so V1/V2 find only what the problem module plants.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.generator.context import SchoolContext, frame
from lead_pipeline.lib.generator.people import IEP_EXPIRED, IEP_LOCKED, IEP_NEW, Students

# docs/kias.md §6.1: every state resolution code
STATE_RES: tuple[tuple[str, str], ...] = (
    ("001", "Removal to IAES by school personnel"), ("002", "Removal to IAES (IDEA)"),
    ("450", "In-School Suspension"), ("470", "Hearing Officer Removal"),
    ("510", "Out-of-School Suspension with services"),
    ("520", "Out-of-School Suspension without services"),
    ("550", "Expulsion with services - partial year"),
    ("555", "Expulsion with services - remainder of year"),
    ("560", "Expulsion without services - partial year"),
    ("565", "Expulsion without services - remainder of year"),
    ("710", "Law Enforcement Referral - not charged"),
    ("730", "Law Enforcement Referral - misdemeanor"),
    ("750", "Law Enforcement Referral - felony"),
    ("770", "Law Enforcement Referral - unknown result"),
    ("460", "Saturday School"), ("570", "Bus Suspension"), ("850", "Restorative Conference"),
    ("860", "Loss of Privileges"), ("870", "Community Service"),
)
LOCAL_RES = ("Parent Contact", "Lunch Detention")
CONTEXT = np.array(["110", "115", "120", "125", "130", "140", "150", "199", "210", "230",
                    "299"], dtype=object)
CONTEXT_P = np.array([6, 6, 20, 18, 5, 14, 6, 8, 7, 6, 4], dtype=float)
ON_SITE = np.array(["101", "105", "110", "120", "130", "140", "150", "160"], dtype=object)
OFF_SITE = np.array(["210", "230", "299"], dtype=object)
FIREARMS = np.array(["100", "200", "300", "400", "500"], dtype=object)


def behavior_types(ref: Codes) -> pl.DataFrame:
    """The district's behavior types: ordinary codes, the drug and weapon codes of the
    reference table, the four bullying incident types and one unmapped local type."""
    rows: list[tuple[str, str | None, str | None, str]] = [
        ("Fighting", "1110", None, "violent"), ("Assault - Physical", "1120", None, "violent"),
        ("Threat/Intimidation", "1140", None, "serious"),
        ("Disruptive Behavior", "1210", None, "minor"),
        ("Defiance/Insubordination", "1220", None, "minor"),
        ("Tobacco/Vaping", "1510", None, "minor"), ("Theft", "1610", None, "serious"),
        ("Vandalism", "1710", None, "serious"), ("Harassment", "1810", None, "serious"),
    ]
    drug_names = ("Drug Possession", "Drug Use", "Drug Distribution", "Drug Paraphernalia")
    weapon_names = ("Firearm Possession", "Weapon Possession - Other", "Explosive Device",
                    "Weapon Use")
    rows += [(drug_names[i % 4] + ("" if i < 4 else f" {i}"), c, None, "drug")
             for i, c in enumerate(ref.event_codes("drug"))]
    rows += [(weapon_names[i % 4] + ("" if i < 4 else f" {i}"), c, None, "weapon")
             for i, c in enumerate(ref.event_codes("weapon"))]
    rows += [("Bullying - Physical", "2015", "2015", "violent"),
             ("Cyberbullying", "2016", "2016", "serious"),
             ("Bullying - Verbal", "2017", "2017", "serious"),
             ("Bullying - Relational", "2018", "2018", "serious"),
             ("Tardy (local)", None, None, "minor")]
    return frame({
        "typeID": np.arange(1, len(rows) + 1, dtype=np.int64), "name": [r[0] for r in rows],
        "stateEventCode": [r[1] for r in rows], "incidentType": [r[2] for r in rows],
        "_class": [r[3] for r in rows]}, schema_overrides={
        "stateEventCode": pl.Utf8, "incidentType": pl.Utf8})


def resolution_types() -> pl.DataFrame:
    names = [n for _, n in STATE_RES] + list(LOCAL_RES)
    codes = [c for c, _ in STATE_RES] + [None] * len(LOCAL_RES)
    return frame({"typeID": np.arange(1, len(names) + 1, dtype=np.int64),
                         "name": names, "stateResCode": codes},
                        schema_overrides={"stateResCode": pl.Utf8})


# weights of the first resolution by behavior class, over STATE_RES then LOCAL_RES
_W = {
    "minor": [0, 0, 40, 0, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 4, 2, 4, 6, 2, 15, 15],
    "serious": [1, 1, 30, 0, 25, 6, 1, 0.5, 0.5, 0.3, 0, 0, 0, 0, 2, 1, 3, 3, 2, 10, 5],
    "violent": [2, 2, 20, 1, 35, 10, 2, 1, 1, 0.5, 0, 0, 0, 0, 1, 1, 3, 2, 1, 8, 2],
    "drug": [6, 3, 10, 2, 20, 20, 8, 4, 4, 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 5, 0],
    "weapon": [6, 4, 5, 4, 15, 20, 10, 6, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0],
}
_LE = [STATE_RES.index(x) for x in STATE_RES if x[0] in ("710", "730", "750", "770")]


def _timestamps(rng: np.random.Generator, dates: np.ndarray) -> pl.Series:
    """Incident times as the SIS writes them: date only, date and time, or with seconds."""
    n = len(dates)
    minute = rng.integers(7 * 60 + 30, 15 * 60 + 30, n)
    df = frame({"u": rng.random(n), "day": pl.Series(dates).dt.strftime("%Y-%m-%d"),
                       "hhmm": _hhmm(minute)})
    return df.select(
        pl.when(pl.col("u") < 0.3).then(pl.col("day"))
        .when(pl.col("u") < 0.9).then(pl.col("day") + " " + pl.col("hhmm"))
        .otherwise(pl.col("day") + " " + pl.col("hhmm") + ":00").alias("timestamp")
    ).to_series()


def _hhmm(minutes: np.ndarray) -> pl.Series:
    return pl.Series(minutes // 60).cast(pl.Utf8).str.zfill(2) + ":" + \
        pl.Series(minutes % 60).cast(pl.Utf8).str.zfill(2)


def idea_on(st: Students, idx: np.ndarray, d: np.ndarray) -> np.ndarray:
    """docs/kias.md §3.3 IDEA(P,d): a locked IEP (or the SpecialEDState mirroring it) active on
    d."""
    locked = np.isin(st.iep[idx], [IEP_LOCKED, IEP_NEW, IEP_EXPIRED])
    return locked & (st.iep_start[idx] <= d) & (d <= st.iep_end[idx])


def build_discipline(ctx: SchoolContext, st: Students, btypes: pl.DataFrame,
                     rtypes: pl.DataFrame) -> None:
    rng, cal = ctx.rng, ctx.regular
    young = np.isin(st.grade, ["P3", "P4"])
    pool = np.flatnonzero(st.stable & ~young)
    if len(pool) < 3:
        return
    share = rng.uniform(0.03, 0.08)  # drawn even when fixed: the other draws stay the same
    n_inc = max(3, round(st.n * (share if ctx.plan.incidents is None else ctx.plan.incidents)))
    if ctx.school.index == 0:
        n_inc = max(n_inc, 30)
    days = cal.year.instructional_dates
    days = days[days < ctx.snapshot]
    inc_date = days[rng.integers(0, len(days), n_inc)]
    inc_ids = ctx.ids.take("BehaviorIncident", n_inc)
    ctxc = CONTEXT[rng.choice(len(CONTEXT), n_inc, p=CONTEXT_P / CONTEXT_P.sum())]
    off = np.isin(ctxc, ["210", "230", "299"]) & (rng.random(n_inc) < 0.8)
    loc = np.where(off, OFF_SITE[rng.integers(0, 3, n_inc)],
                   ON_SITE[rng.integers(0, len(ON_SITE), n_inc)])
    status = np.where(rng.random(n_inc) < 0.86, "CM",
                      np.where(rng.random(n_inc) < 0.65, "IP", "DF")).astype(object)
    ctx.add("BehaviorIncident", frame({
        "incidentID": inc_ids, "calendarID": np.full(n_inc, cal.calendar_id, np.int64),
        "timestamp": _timestamps(rng, inc_date), "status": status, "context": ctxc,
        "location": loc}, schema_overrides={"status": pl.Utf8, "context": pl.Utf8,
                                            "location": pl.Utf8}))
    # events: one per incident, a second for some
    two = rng.random(n_inc) < 0.1
    ev_inc = np.r_[np.arange(n_inc), np.flatnonzero(two)]
    ev_inc.sort()
    n_ev = len(ev_inc)
    w = np.array([{"minor": 30, "serious": 8, "violent": 10, "drug": 4, "weapon": 2}[c]
                  for c in btypes["_class"]], dtype=float)
    etype = rng.choice(btypes.height, n_ev, p=w / w.sum())
    wtypes = np.flatnonzero(btypes["_class"].to_numpy() == "weapon")
    forced = min(2, n_ev)  # every school has a couple of weapon events
    etype[:forced] = wtypes[0]
    cls = btypes["_class"].to_numpy()[etype]
    ev_ids = ctx.ids.take("BehaviorEvent", n_ev)
    violent = (cls == "violent") & (rng.random(n_ev) < 0.6)
    ctx.add("BehaviorEvent", frame({
        "eventID": ev_ids, "incidentID": inc_ids[ev_inc],
        "typeID": btypes["typeID"].to_numpy()[etype], "victimReferral":
        violent.astype(np.int8)}))
    # participants: an offender, sometimes a victim and a participant (distinct students)
    p = len(pool)
    offender = pool[rng.integers(0, p, n_ev)]
    if ctx.school.index == 0 or rng.random() < 0.5:  # one IDEA, one non-IDEA weapon offender
        idea_pool = pool[idea_on(st, pool, np.full(p, inc_date[0]))]
        non_pool = pool[~idea_on(st, pool, np.full(p, inc_date[0]))]
        if forced >= 1 and len(idea_pool):
            offender[0] = idea_pool[rng.integers(0, len(idea_pool))]
        if forced >= 2 and len(non_pool):
            offender[1] = non_pool[rng.integers(0, len(non_pool))]
    pos = np.searchsorted(pool, offender)
    victim = pool[(pos + rng.integers(1, max(2, p // 2), n_ev)) % p]
    partic = pool[(pos + rng.integers(max(2, p // 2), max(3, p), n_ev)) % p]
    has_v = (rng.random(n_ev) < 0.35) & (victim != offender)
    has_p = (rng.random(n_ev) < 0.15) & (partic != offender) & (partic != victim)
    r_ev = np.r_[np.arange(n_ev), np.flatnonzero(has_v), np.flatnonzero(has_p)]
    r_stu = np.r_[offender, victim[has_v], partic[has_p]]
    r_role = np.r_[np.full(n_ev, "Offender"), np.full(has_v.sum(), "Victim"),
                   np.full(has_p.sum(), "Participant")].astype(object)
    order = np.lexsort((np.arange(len(r_ev)), r_ev))
    r_ev, r_stu, r_role = r_ev[order], r_stu[order], r_role[order]
    n_r = len(r_ev)
    role_ids = ctx.ids.take("BehaviorRole", n_r)
    r_cls = cls[r_ev]
    inj = np.where((r_role == "Victim") & (r_cls == "violent"),
                   np.where(rng.random(n_r) < 0.25, "4", np.where(rng.random(n_r) < 0.4, "2",
                                                                  None)), None)
    ctx.add("BehaviorRole", frame({
        "roleID": role_ids, "eventID": ev_ids[r_ev], "personID": st.person_id[r_stu],
        "role": r_role, "injury": inj}, schema_overrides={"role": pl.Utf8, "injury": pl.Utf8}))
    # weapons: firearm/explosive codes on weapon-event offenders, a knife (600) elsewhere
    is_off = r_role == "Offender"
    wpn = is_off & (r_cls == "weapon")
    w1 = np.where(wpn, FIREARMS[rng.choice(5, n_r, p=[0.3, 0.1, 0.1, 0.2, 0.3])], None)
    knife = is_off & ~wpn & (r_cls != "minor") & (rng.random(n_r) < 0.03)
    w1 = np.where(knife, np.where(rng.random(n_r) < 0.7, "600", "999"), w1)
    two_w = wpn & (rng.random(n_r) < 0.25)
    w2 = np.where(two_w, FIREARMS[(np.searchsorted(FIREARMS, w1.astype(str)) + 1 +
                                   rng.integers(0, 4, n_r)) % 5], None)
    w2 = np.where(w2 == w1, None, w2)
    wr = np.r_[np.flatnonzero(w1 != None), np.flatnonzero(w2 != None)]  # noqa: E711
    wc = np.r_[w1[w1 != None], w2[w2 != None]]  # noqa: E711
    ctx.add("BehaviorWeapon", frame({"roleID": role_ids[wr], "weaponCode": wc},
                                           schema_overrides={"weaponCode": pl.Utf8}))
    firearm = np.isin(w1, FIREARMS) | np.isin(w2, FIREARMS)

    # resolutions: offenders get one or two, some victims a parent contact
    n_types = rtypes.height
    first = np.full(n_r, -1)
    for c, wts in _W.items():
        m = is_off & (r_cls == c)
        ww = np.asarray(wts, dtype=float)
        first[m] = rng.choice(n_types, int(m.sum()), p=ww / ww.sum())
    vic = ~is_off & (rng.random(n_r) < 0.15)
    first[vic] = len(STATE_RES)  # Parent Contact
    res_role = np.flatnonzero(first >= 0)
    res_type = first[res_role]
    le = is_off & np.isin(r_cls, ["weapon", "drug", "violent"]) & (rng.random(n_r) < 0.35)
    le_type = np.asarray(_LE)[rng.integers(0, len(_LE), n_r)]
    res_role = np.r_[res_role, np.flatnonzero(le)]
    res_type = np.r_[res_type, le_type[le]]
    order = np.lexsort((np.arange(len(res_role)), res_role))
    res_role, res_type = res_role[order], res_type[order]
    if ctx.school.index == 0:  # every state code at least once in the district
        k = min(len(STATE_RES), len(res_type))
        res_type[:k] = np.arange(k)
    _resolutions(ctx, st, rtypes, inc_date[ev_inc[r_ev]], r_stu, role_ids, firearm, ev_ids,
                 r_ev, res_role, res_type, status[ev_inc[r_ev]])


def _resolutions(ctx: SchoolContext, st: Students, rtypes: pl.DataFrame, d: np.ndarray,
                 r_stu: np.ndarray, role_ids: np.ndarray, firearm: np.ndarray,
                 ev_ids: np.ndarray, r_ev: np.ndarray, res_role: np.ndarray,
                 res_type: np.ndarray, status: np.ndarray) -> None:
    rng = ctx.rng
    n = len(res_role)
    code = rtypes["stateResCode"].to_numpy()[res_type]
    inc_d = d[res_role]
    start = inc_d + rng.integers(0, 3, n).astype("timedelta64[D]")
    form = rng.choice(6, n, p=[0.4, 0.3, 0.1, 0.1, 0.05, 0.05])
    expel = np.isin(code, ["550", "555", "560", "565"])
    form = np.where(expel, np.where(rng.random(n) < 0.5, 0, 1), form)
    le = np.isin(code, ["710", "730", "750", "770"])
    form = np.where(le, 1, form)
    days = np.array([0.5, 1, 2, 3, 5, 10])[rng.integers(0, 6, n)]
    days = np.where(expel, rng.integers(30, 180, n), days)
    span = np.where(expel, rng.integers(30, 120, n), rng.integers(0, 10, n))
    span = np.where(le, 0, span)
    end = np.where(np.isin(form, [1]), start + span.astype("timedelta64[D]"),
                   np.where(form == 2, start, np.where(form == 0, start + np.maximum(
                       np.ceil(days).astype(np.int64) - 1, 0).astype("timedelta64[D]"),
                       np.datetime64("NaT"))))
    t0 = rng.integers(8 * 60, 11 * 60, n)
    t1 = t0 + rng.integers(60, 240, n)
    dur = np.select([form == 0, form == 3, form == 4],
                    [days, rng.integers(1, 7, n), np.array([30, 45, 60, 90])[
                        rng.integers(0, 4, n)]], np.nan)
    unit = np.select([form == 0, form == 3, form == 4],
                     [np.where(rng.random(n) < 0.5, "days", None), "hours", "minutes"], None)
    det = np.where(form == 5, rng.integers(1, 4, n).astype(float), np.nan)
    law = np.select([code == "750", code == "730", code == "710", code == "770"],
                    ["01", "02", "03", np.where(rng.random(n) < 0.5, "03", None)], None)
    arrest = (le & (rng.random(n) < 0.3)).astype(np.int8)
    # firearm discipline method, valid for the IDEA status on the incident date (V1/V2)
    stu = r_stu[res_role]
    # weapon involvement is per (student, event): combine every role of the student
    key = frame({"e": ev_ids[r_ev], "p": st.person_id[r_stu], "f": firearm})
    inv = key.group_by("e", "p").agg(pl.col("f").any())
    involved = key.join(inv, on=["e", "p"], how="left", maintain_order="left")[
        "f_right"].to_numpy()[res_role]
    idea = idea_on(st, stu, inc_d)
    method = np.where(idea, rng.choice(["1", "2", "3", "4", "5"], n, p=[.15, .15, .05, .6,
                                                                       .05]),
                      rng.choice(["6", "7", "8", "9", "10", "11", "12"], n,
                                 p=[.1, .15, .05, .1, .05, .5, .05]))
    method = np.where(involved, method, None)
    fmt = pl.Series(dur).fill_nan(None)
    ctx.add("BehaviorResolution", frame({
        "resolutionID": ctx.ids.take("BehaviorResolution", n), "roleID": role_ids[res_role],
        "typeID": rtypes["typeID"].to_numpy()[res_type], "startDate": start,
        "startTime": np.where(form == 2, _hhmm(t0).to_numpy(), None).astype(object),
        "endDate": end,
        "endTime": np.where(form == 2, _hhmm(t1).to_numpy(), None).astype(object),
        "duration": _decimal(fmt), "durationUnit": np.asarray(unit, dtype=object),
        "detentionDuration": _decimal(pl.Series(det).fill_nan(None)),
        "lawEnforcement": np.asarray(law, dtype=object), "auxiliaryCode": arrest,
        "altPlacement": np.asarray(method, dtype=object),
        "_idea": idea, "_involved": involved, "_cm": status[res_role] == "CM",
        "_stable": st.stable[stu],
    }))


def _decimal(s: pl.Series) -> pl.Series:
    """Decimals as text without a trailing .0 ("3", "0.5"), the way a SIS export writes."""
    txt = s.round(4).cast(pl.Utf8)
    return txt.str.replace(r"\.0$", "")
