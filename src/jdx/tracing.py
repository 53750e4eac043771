"""Optional OpenTelemetry tracing: a span per HTTP request, sent to an OTLP/HTTP collector.

Off unless ``otlp_traces_endpoint`` names a collector: no SDK is loaded, no exporter made, and
FastAPI's own telemetry is turned off, so a request pays nothing for it. On, each process of
``jdx serve`` sends its spans in batches, in the background, to the endpoint (OpenTelemetry's
``BatchSpanProcessor``: a collector that is down costs dropped spans, never a slower answer).
The SDK and the exporter are the ``tracing`` extra (``pip install 'jdx[tracing]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jdx.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

SERVICE = "jdx"


class TracingUnavailable(RuntimeError):
    """Tracing is asked for but the ``tracing`` extra is not installed."""


def tracer_provider(
    settings: Settings, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """The provider of this process's spans, or None when tracing is off (the default).

    ``exporter`` replaces the OTLP exporter (tests give an in-memory one, to read the spans)."""
    if not settings.otlp_traces_endpoint:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise TracingUnavailable(
            "JDX_OTLP_TRACES_ENDPOINT is set but OpenTelemetry's SDK is not installed: "
            "pip install 'jdx[tracing]'"
        ) from exc
    if exporter is None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            raise TracingUnavailable(
                "JDX_OTLP_TRACES_ENDPOINT is set but the OTLP exporter is not installed: "
                "pip install 'jdx[tracing]'"
            ) from exc
        exporter = OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint)
    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE, "service.instance.id": settings.node_id})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
