"""Small rap sheets for the tests, built from the model."""

from __future__ import annotations

from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    ArrestSegment,
    CaveatInfo,
    Charge,
    CourtCharge,
    CourtSegment,
    Cycle,
    Identification,
    Introduction,
    RapSheet,
    Severity,
    SubjectName,
)

FBI = "901100"


def cycle(
    date: str,
    *,
    ori: str = "TX1010000",
    charges: tuple[tuple[str, Severity, int | None], ...] = (("THEFT", Severity.FELONY, None),),
    actions: tuple[tuple[Severity, str], ...] = (),
) -> Cycle:
    return Cycle(
        earliest_date=date,
        arrests=(
            ArrestSegment(
                agency_ori=ori,
                date=date,
                charges=tuple(Charge(description=d, severity=s, counts=n) for d, s, n in charges),
            ),
        ),
        courts=(
            (
                CourtSegment(
                    court_ori="TX101015J",
                    date=date,
                    charges=tuple(
                        CourtCharge(description="THEFT", severity=s, action_type=a)
                        for s, a in actions
                    ),
                ),
            )
            if actions
            else ()
        ),
    )


def sheet(
    state: str,
    sid: str,
    *,
    cycles: tuple[Cycle, ...] = (),
    caveat: str | None = None,
    agencies: tuple[AgencyInfo, ...] = (),
    **ident: object,
) -> RapSheet:
    fields: dict[str, object] = {
        "names": (SubjectName("JONES", "JOHN"),),
        "fbi_number": FBI,
        "sid_numbers": (sid,),
        **ident,
    }
    return RapSheet(
        introduction=Introduction(
            caveats=(CaveatInfo(state=state, caveat=caveat),) if caveat else ()
        ),
        identification=Identification(**fields),  # type: ignore[arg-type]
        cycles=cycles,
        agencies=agencies,
    )
