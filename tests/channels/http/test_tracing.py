"""Optional OpenTelemetry tracing: off by default (no exporter made), and on, a span per request
named by its route, the stop web service's hot path included. No span leaves the process: the
"on" test gives an in-memory exporter instead of the OTLP one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http import trace_exporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.testclient import TestClient

from jdx.channels.http.app import create_app
from jdx.hub import Hub, create_hub
from jdx.tracing import tracer_provider
from tests.conftest import AgencyFixture, stop_record

# Nothing listens there, and nothing is sent there: the tests never export over the network.
ENDPOINT = "http://127.0.0.1:9/v1/traces"


@pytest.fixture
def made_exporters(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every OTLP exporter made while the test runs (the real class, recorded)."""
    made: list[Any] = []

    class Recorded(trace_exporter.OTLPSpanExporter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(trace_exporter, "OTLPSpanExporter", Recorded)
    return made


@pytest.fixture
def traced_hub(hub: Hub) -> Iterator[Hub]:
    """The suite's database, with tracing asked for."""
    traced = create_hub(hub.settings.model_copy(update={"otlp_traces_endpoint": ENDPOINT}))
    traced.refresh_domains(force=True)
    yield traced
    traced.dispose()


def test_off_by_default_no_exporter_is_made(
    hub: Hub, agency: AgencyFixture, made_exporters: list[Any]
) -> None:
    assert hub.settings.otlp_traces_endpoint == ""
    assert tracer_provider(hub.settings) is None
    app = create_app(hub=hub)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        record = stop_record(agency)
        assert client.post("/sdcs/v1/stops", json=record, headers=agency.auth()).status_code == 200
    assert made_exporters == []
    assert app.tracer_provider is None  # type: ignore[attr-defined]


def test_an_endpoint_makes_an_otlp_exporter_to_it(
    traced_hub: Hub, made_exporters: list[Any]
) -> None:
    provider = tracer_provider(traced_hub.settings)
    assert provider is not None
    try:
        [exporter] = made_exporters
        assert exporter._endpoint == ENDPOINT
    finally:
        provider.shutdown()  # no span was made: nothing to send


def test_on_each_request_gives_a_span_named_by_its_route(
    traced_hub: Hub, agency: AgencyFixture
) -> None:
    spans = InMemorySpanExporter()
    provider = tracer_provider(traced_hub.settings, spans)
    assert provider is not None
    app = create_app(hub=traced_hub, tracing=provider)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        record = stop_record(agency)
        posted = client.post("/sdcs/v1/stops", json=record, headers=agency.auth())
        assert posted.status_code == 200
        lea_id = record["LEARecordID"]
        assert client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth()).status_code == 200
        assert client.get("/healthz").status_code == 200
    provider.force_flush()
    finished = {span.name: span for span in spans.get_finished_spans()}
    provider.shutdown()
    assert set(finished) == {
        "POST /sdcs/v1/stops",  # the hot path, which FastAPI's routing never sees
        "GET /sdcs/v1/stops/{lea_record_id}",
        "GET /healthz",
    }
    post = finished["POST /sdcs/v1/stops"]
    assert post.attributes is not None
    assert post.attributes["http.route"] == "/sdcs/v1/stops"
    assert post.attributes["http.response.status_code"] == 200
    assert post.resource.attributes["service.name"] == "jdx"
