"""What ``GET /metrics`` reports, in the Prometheus text format (``prometheus-client``).

Each app has its own registry, so two apps in one process (tests) never mix their counts, and
each ``serve --workers N`` process reports its own: a scraper adds them up by instance. Labels
come from fixed sets (the service ids, HTTP statuses), never from what a caller sends, so no
request can make the registry grow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: a CDS call from a few milliseconds (a small prefetch) to the fallback's deadline.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Source(Collector):
    """Counters and gauges a feature keeps itself (the notifications), read at scrape time."""

    def __init__(self, prefix: str, stats: Callable[[], Mapping[str, float]]) -> None:
        self.prefix, self.stats = prefix, stats

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        values = self.stats()
        counters = CounterMetricFamily(
            self.prefix, f"{self.prefix.replace('_', ' ')} by event", labels=["event"]
        )
        for name, value in sorted(values.items()):
            if name.startswith("gauge:"):
                gauge = GaugeMetricFamily(f"{self.prefix}_{name[6:]}", f"{self.prefix} {name[6:]}")
                gauge.add_metric([], value)
                yield gauge
            else:
                counters.add_metric([name], value)
        yield counters

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        return iter(())


class Metrics:
    """The service's counters, histogram and gauges."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.calls = Counter(
            "spinemets_cds_calls",
            "CDS Hooks and SDC calls answered, by service and HTTP status",
            ["service", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "spinemets_cds_call_seconds",
            "Time to answer a CDS Hooks or SDC call, by service",
            ["service"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.shed = Counter(
            "spinemets_calls_shed",
            "Calls answered 503 at once: the worker had its limit in flight, or ran behind",
            registry=registry,
        )
        self.in_flight = Gauge(
            "spinemets_calls_in_flight", "Calls being handled by this worker", registry=registry
        )
        self.fallback = Counter(
            "spinemets_fallback_reads",
            "Reads from a CDS client's fhirServer (prefetch missing or failed), by outcome",
            ["outcome"],
            registry=registry,
        )
        self.hangups = Counter(
            "spinemets_client_hangups",
            "Requests whose client went away before the answer",
            registry=registry,
        )

    def add_source(self, prefix: str, stats: Callable[[], Mapping[str, float]]) -> None:
        """Report ``stats()`` as counters ``prefix_total{event=…}`` (``gauge:x``: a gauge)."""
        self.registry.register(_Source(prefix, stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)
