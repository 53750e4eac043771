"""The dashboards' NamUs figures (issue 19): jobs per day, the review queue's age per region."""

from __future__ import annotations

import datetime as dt

import pytest

from jdx.exchanges.cases import figures
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.hub import Hub
from tests.conftest import new_agency
from tests.exchanges.cases.test_import import missing, unidentified
from tests.exchanges.cases.test_review import import_cases, in_state


def test_jobs_per_day_and_the_queues_age_count_what_was_imported(hub: Hub) -> None:
    mine, theirs = new_agency(hub, "Jobs figures"), new_agency(hub, "Other jobs")
    import_cases(hub, mine, [in_state(missing(), "CA"), in_state(unidentified(), "CA")])
    import_cases(hub, mine, [in_state(missing(), "NY")])
    import_cases(hub, theirs, [in_state(missing(), "CA")])
    today = dt.datetime.now(dt.UTC).date()
    with hub.engine.connect() as conn:
        days = figures.jobs_per_day(conn, "prod", mine.id, days=7, today=today)
        test_realm = figures.jobs_per_day(conn, "test", mine.id, days=7, today=today)
        queues = figures.review_queue_ages(conn, "prod", None)
        one_region = figures.review_queue_ages(conn, "prod", ["nowhere"])
    # after the queries: a case the queue created while they ran is not younger than "now"
    now = dt.datetime.now(dt.UTC)
    assert [(d.day, d.jobs, d.cases, d.rejected) for d in days] == [(today, 2, 3, 0)]
    assert test_realm == []
    assert sum(q.waiting for q in queues) >= 4
    # The session's hub holds other tests' cases too, some made old on purpose: only that
    # every queue has an oldest case, none received after now, is true of all of them.
    assert all(q.oldest is not None and q.oldest_days(now) >= 0 for q in queues)
    half_a_day = figures.QueueAge("r", 1, now - dt.timedelta(hours=12))
    assert half_a_day.oldest_days(now) == pytest.approx(0.5)
    waiting = {q.region: q.waiting for q in queues}
    assert waiting[DEMO_REGIONS["CA"]] >= 3 and waiting[DEMO_REGIONS["NY"]] >= 1
    assert one_region == []
