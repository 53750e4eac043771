"""Rap sheet merge and presentation: three portions of 25 cycles each (issue 5's bench).

One *merge* is ``merge_rap_sheets`` of the three portions followed by ``with_summary`` (the
hub's work for a completed Rap-Merge entry, without the database); one *render* is the merged,
summarised sheet to HTML (``present.render``: since branch ``raprender`` the Python renderer
``html_page``; the real record is also timed through the published style sheet,
``present.render_xslt``, the route it replaced); *render full* is the same for
``tests/exchanges/rapsheets/full_sheet.py`` (two cycles with every field of the model filled, the
record issue 15's presentation was written for). Each is timed for a budget of
seconds, best of ``repeat`` runs after a warm-up, by wall clock and by process CPU time (the
machine may be shared: CPU-s says what the code costs, wall clock what a caller saw).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    ArrestSegment,
    CaveatInfo,
    Charge,
    ChargeDisposition,
    CourtCharge,
    CourtSegment,
    Cycle,
    HeightInfo,
    Identification,
    Introduction,
    RapSheet,
    Severity,
    Statute,
    SubjectName,
    WeightInfo,
)
from jdx.exchanges.rapsheets.portions import read_portion
from jdx.exchanges.rapsheets.present import render, render_xslt
from jdx.exchanges.rapsheets.summary import all_charges, with_summary

STATES = (("TX", "TX01346790"), ("NC", "NC0142585A"), ("OH", "OH00112233"))
SEVERITIES = (Severity.FELONY, Severity.MISDEMEANOR, Severity.LOCAL_ORDINANCE)
ACTIONS = ("310", "401", "320", "501")
AS_OF = "20261125"


def _cycle(state: str, n: int) -> Cycle:
    date = f"{1980 + n:04d}{(n % 12) + 1:02d}{(n % 27) + 1:02d}"
    ori = f"{state}1010000"
    charges = tuple(
        Charge(
            sequence=str(k + 1),
            description=f"CHARGE {k} OF CYCLE {n}",
            statutes=(Statute(code=f"PC {100 + k}", jurisdiction=state),),
            severity=SEVERITIES[(n + k) % 3],
        )
        for k in range(2)
    )
    court = tuple(
        CourtCharge(
            sequence=str(k + 1),
            description=f"CHARGE {k} OF CYCLE {n}",
            severity=SEVERITIES[(n + k) % 3],
            action_type=ACTIONS[(n + k) % 4],
            dispositions=(ChargeDisposition(date=date, text="CONVICTED"),),
            sentence="30 DAYS",
        )
        for k in range(2)
    )
    return Cycle(
        earliest_date=date,
        tracking_number=f"{state}{n:06d}",
        arrests=(ArrestSegment(agency_ori=ori, date=date, case_number=f"C{n}", charges=charges),),
        courts=(CourtSegment(court_ori=f"{state}101015J", date=date, charges=court),),
    )


def portion(index: int, cycles: int = 25) -> RapSheet:
    """One state's portion; the three share the subject's name, FBI number and a height, so
    the merge has duplicates to suppress as well as items to keep."""
    state, sid = STATES[index]
    return RapSheet(
        introduction=Introduction(caveats=(CaveatInfo(state=state, caveat="SEE ALSO FBI"),)),
        identification=Identification(
            names=(SubjectName("JONES", "JOHN"), SubjectName("JONES", f"J{index}")),
            fbi_number="901100",
            sid_numbers=(sid,),
            birthdates=("19600101",),
            sexes=("Male",),
            heights=(HeightInfo(height="601", date=f"199{index}0101"),),
            weights=(WeightInfo(weight=str(180 + index), date=f"199{index}0101"),),
        ),
        cycles=tuple(_cycle(state, n * 3 + index) for n in range(cycles)),
        agencies=(AgencyInfo(agency_ori=f"{state}1010000", agency_name=f"{state} STATE POLICE"),),
    )


# Issue 15: the fuller records, the package's Nlets 4.1 samples of one subject (Texas 10 cycles
# and 75 charges, North Carolina, the FBI), read by the hub's own reader.
RESPONDERS = ("nlets41-state-full.xml", "nlets41-state-nc.xml", "nlets41-fbi.xml")


def _responder_bytes() -> list[bytes]:
    folder = resources.files("jdx.exchanges.rapsheets").joinpath("samples")
    return [folder.joinpath(name).read_bytes() for name in RESPONDERS]


def _responders() -> list[RapSheet]:
    sheets = [read_portion(data) for data in _responder_bytes()]
    return [s for s in sheets if isinstance(s, RapSheet)]


def _rate(work: Callable[[], object], budget: float, repeat: int) -> dict[str, float]:
    work()  # warm-up: style sheet compiled, caches filled
    best_wall = best_cpu = 0.0
    count = 0
    for _ in range(repeat):
        n = 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        while True:  # at least once: a preempted process may see the budget gone at once
            work()
            n += 1
            if time.perf_counter() - wall0 >= budget:
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        best_wall = max(best_wall, n / wall)
        best_cpu = max(best_cpu, n / cpu if cpu else 0.0)
        count += n
    return {"per_s": best_wall, "per_cpu_s": best_cpu, "timed": count}


def run(*, cycles: int = 25, budget: float = 3.0, repeat: int = 3) -> dict[str, Any]:
    portions = [portion(i, cycles) for i in range(3)]

    def merge() -> RapSheet:
        return with_summary(merge_rap_sheets(portions, as_of=AS_OF), as_of=AS_OF)

    merged = merge()
    assert len(merged.cycles) == 3 * cycles  # nothing lost, nothing duplicated
    html = render(merged, "html", as_of=AS_OF)
    real = _responders()

    def merge_real() -> RapSheet:
        return with_summary(merge_rap_sheets(real, as_of=AS_OF), as_of=AS_OF)

    merged_real = merge_real()
    # Issue 15's record with every field: the test fixture, so the bench renders what the
    # presentation tests check (imported here: the bench runs from the repository root).
    from tests.exchanges.rapsheets.full_sheet import full_sheet

    full = full_sheet()
    return {
        "responders": {
            "portions": list(RESPONDERS),
            "charges": sum(1 for _ in all_charges(merged_real)),
            "merged_cycles": len(merged_real.cycles),
            "html_bytes": len(render(merged_real, "html", as_of=AS_OF).encode()),
            "read_41": _rate(lambda: [read_portion(d) for d in _responder_bytes()], budget, repeat),
            "merge": _rate(merge_real, budget, repeat),
            "render_html": _rate(lambda: render(merged_real, "html", as_of=AS_OF), budget, repeat),
            "render_html_xslt": _rate(lambda: render_xslt(merged_real, "html"), budget, repeat),
        },
        "portions": 3,
        "cycles_per_portion": cycles,
        "merged_cycles": len(merged.cycles),
        "html_bytes": len(html.encode()),
        "merge": _rate(merge, budget, repeat),
        "render_html": _rate(lambda: render(merged, "html", as_of=AS_OF), budget, repeat),
        "full_html_bytes": len(render(full, "html").encode()),
        "render_full_html": _rate(lambda: render(full, "html"), budget, repeat),
        "goals": {"merges_per_s": 1000, "html_renders_per_s": 500},
    }


def table(summary: dict[str, Any]) -> str:
    goals = summary["goals"]
    real = summary["responders"]
    rows = [
        ("merge + summary (3 x 25 cycles)", summary["merge"], goals["merges_per_s"]),
        ("render to HTML (75 cycles)", summary["render_html"], goals["html_renders_per_s"]),
        (
            f"merge + summary (TX, NC, FBI 4.1 samples: {real['charges']} charges)",
            real["merge"],
            goals["merges_per_s"],
        ),
        (
            f"render to HTML ({real['merged_cycles']} cycles, {real['charges']} charges)",
            real["render_html"],
            goals["html_renders_per_s"],
        ),
        (
            f"render to HTML by the style sheet ({real['merged_cycles']} cycles, no goal)",
            real["render_html_xslt"],
            0,
        ),
        ("read three 4.1 portions (no goal)", real["read_41"], 0),
        ("render to HTML (full_sheet)", summary["render_full_html"], goals["html_renders_per_s"]),
    ]
    lines = ["| operation | per s | per CPU-s | goal per s | met |", "|---|---:|---:|---:|---|"]
    for name, rate, goal in rows:
        met = "yes" if rate["per_s"] >= goal else "no"
        lines.append(
            f"| {name} | {rate['per_s']:,.0f} | {rate['per_cpu_s']:,.0f} | {goal:,} | {met} |"
        )
    return "\n".join(lines)
