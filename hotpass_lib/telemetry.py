"""OpenTelemetry traces of pipeline runs: opt-in, one trace per run, a span per stage.

Off unless ``HOTPASS_TELEMETRY`` (``file`` or ``otlp``) or the params' ``telemetry.exporter``
says otherwise; when off nothing is imported and nothing changes. When on:

- the command (``hotpass run`` / ``hotpass pipeline``) opens the run's span; each stage
  (in the same process, or in a ``hotpass stage`` process under DVC) opens a stage span with
  the run id, stage and row counts; inside the kernels the library's main steps (ingest,
  validate, refine, publish, table reads and writes) open spans of their own;
- the context travels to DVC, the stage processes and the kernels through the environment
  (``TRACEPARENT``, W3C Trace Context, plus ``HOTPASS_TELEMETRY``, ``HOTPASS_TRACE_RUN`` and
  ``HOTPASS_TRACE_FILE``), and the trace id is derived from the run id, so even stages started
  by a bare ``dvc repro`` land in the run's one trace;
- ``file`` appends OTLP/JSON lines (one ``ExportTraceServiceRequest`` per line, the OTLP
  file format) to ``runs/<run id>/trace.otlp.jsonl``, hashed in the manifest with the rest of
  the evidence; ``otlp`` sends OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` with a bounded
  timeout: an unreachable collector costs at most a few seconds and one warning.

Errors are recorded on spans with e-mails and phones masked; attributes are counts and names.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from .settings import Settings

MODES = ("off", "file", "otlp")
ENV_MODE, ENV_RUN, ENV_FILE, ENV_PARENT = (
    "HOTPASS_TELEMETRY",
    "HOTPASS_TRACE_RUN",
    "HOTPASS_TRACE_FILE",
    "TRACEPARENT",
)
TRACE_FILE = "trace.otlp.jsonl"
EXPORT_TIMEOUT_S = 3.0
"""The longest an OTLP export may take (per process, at exit included)."""

_providers: dict[tuple[str, str, str], TracerProvider] = {}
_test_exporter: SpanExporter | None = None
F = TypeVar("F", bound=Callable[..., Any])


def mode(configured: str = "off") -> str:
    """``HOTPASS_TELEMETRY`` if set, else the params' value; ``OTEL_SDK_DISABLED`` wins."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return "off"
    chosen = (os.environ.get(ENV_MODE) or configured or "off").strip().lower()
    if chosen not in MODES:
        from .errors import ConfigError

        raise ConfigError(f"{ENV_MODE}={chosen!r}: expected one of {', '.join(MODES)}")
    return chosen


def use_exporter(exporter: SpanExporter | None) -> None:
    """Send this process's spans to ``exporter`` (tests: an in-memory exporter)."""
    global _test_exporter
    _test_exporter = exporter
    _providers.clear()


def _trace_id(run_id: str) -> int:
    return int(hashlib.sha256(run_id.encode()).hexdigest()[:32], 16) or 1


def _provider(kind: str, run_id: str, trace_file: str) -> TracerProvider:
    key = (kind, run_id, trace_file)
    if key in _providers:
        return _providers[key]
    import atexit

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class RunIds(RandomIdGenerator):
        """Every root span of a run gets the run's trace id."""

        def generate_trace_id(self) -> int:
            return _trace_id(run_id)

    resource = Resource.create(
        {"service.name": "hotpass", "hotpass.run_id": run_id, "process.pid": os.getpid()}
    )
    provider = TracerProvider(resource=resource, id_generator=RunIds())
    if _test_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(_test_exporter))
    elif kind == "file":
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter

        Path(trace_file).parent.mkdir(parents=True, exist_ok=True)
        provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(trace_file)))
    else:
        provider.add_span_processor(
            BatchSpanProcessor(
                cast("SpanExporter", _OnceWarned(_otlp_exporter())),
                schedule_delay_millis=500,
                export_timeout_millis=int(EXPORT_TIMEOUT_S * 1000),
            )
        )
    atexit.register(provider.shutdown)
    _providers[key] = provider
    return provider


def _otlp_exporter() -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # the SDK logs every failed attempt; Hotpass says it once (_OnceWarned)
    logging.getLogger("opentelemetry.exporter.otlp.proto.http").setLevel(logging.CRITICAL)
    logging.getLogger("opentelemetry.sdk.trace.export").setLevel(logging.CRITICAL)
    return OTLPSpanExporter(timeout=EXPORT_TIMEOUT_S)


class _OnceWarned:
    """An exporter that, once it fails, warns once (naming the endpoint) and stops trying."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner, self.failed = inner, False

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        if self.failed:
            return SpanExportResult.FAILURE
        result = self.inner.export(spans)
        if result != SpanExportResult.SUCCESS:
            self.failed = True
            endpoint = getattr(
                self.inner, "_endpoint", os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            )
            logging.getLogger("hotpass").warning(
                "telemetry: could not export spans to %s; tracing continues without it", endpoint
            )
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))


def _masked(exc: BaseException) -> str:
    from .privacy import mask_text

    return mask_text(f"{type(exc).__name__}: {exc}")[:2000]


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    run_dir: Path | None = None,
    configured: str = "off",
) -> Iterator[Any]:
    """A span named ``name``, child of the current span, else of ``TRACEPARENT``; yields
    ``None`` (and does nothing) when telemetry is off. ``run_id`` and ``run_dir`` start
    telemetry for a run (the command's and each stage's span); without them a span is
    recorded only inside a run that already started it (kernels, stage processes)."""
    kind = mode(configured)
    run_id = run_id or os.environ.get(ENV_RUN)
    if kind == "off" or not run_id:
        yield None
        return
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    trace_file = os.environ.get(ENV_FILE) or str((run_dir or Path(".")) / TRACE_FILE)
    tracer = _provider(kind, run_id, trace_file).get_tracer("hotpass_lib")
    propagator = TraceContextTextMapPropagator()
    context = None
    if not trace.get_current_span().get_span_context().is_valid:
        context = propagator.extract({"traceparent": os.environ.get(ENV_PARENT, "")})
    saved = {k: os.environ.get(k) for k in (ENV_MODE, ENV_RUN, ENV_FILE, ENV_PARENT)}
    with tracer.start_as_current_span(
        name,
        context=context,
        attributes=_plain(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        carrier: dict[str, str] = {}
        propagator.inject(carrier)
        os.environ.update(  # processes started inside this span join the trace
            {
                ENV_MODE: kind,
                ENV_RUN: run_id,
                ENV_FILE: trace_file,
                ENV_PARENT: carrier["traceparent"],
            }
        )
        try:
            yield current
        except BaseException as exc:
            message = _masked(exc)
            current.set_status(Status(StatusCode.ERROR, message))
            current.add_event("exception", {"exception.message": message})
            raise
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _plain(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes OpenTelemetry accepts: numbers, booleans and text (None dropped)."""
    return {
        k: v if isinstance(v, (bool, int, float, str)) else str(v)
        for k, v in attributes.items()
        if v is not None
    }


def rows(tables: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """``{prefix.<table>.rows: n}`` for a mapping of frames (or of mappings of frames)."""
    out: dict[str, int] = {}
    for name, value in tables.items():
        if isinstance(value, Mapping):
            out.update(rows(value, f"{prefix}.{name}"))
        elif hasattr(value, "__len__") and hasattr(value, "columns"):
            out[f"{prefix}.{name}.rows"] = len(value)
    return out


def _tables_of(result: Any, args: tuple[Any, ...]) -> Mapping[str, Any]:
    """The frames a step returned (a mapping, or a result with ``tables``), else the ones
    it was given first (a writer)."""
    tables = getattr(result, "tables", None)
    for found in (tables() if callable(tables) else tables, result, args[0] if args else None):
        if isinstance(found, Mapping):
            return found
    return {}


def traced(name: str) -> Callable[[F], F]:
    """Record each call of the decorated library step as a span inside a traced run (a
    dictionary lookup when telemetry is off)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not os.environ.get(ENV_RUN) or os.environ.get(ENV_MODE, "off") == "off":
                return fn(*args, **kwargs)
            with span(name) as current:
                result = fn(*args, **kwargs)
                if current is not None:
                    current.set_attributes(rows(_tables_of(result, args), "hotpass"))
                return result

        return inner  # type: ignore[return-value]

    return wrap


def finish(settings: Settings, run_id: str) -> None:
    """End of a command's run: flush and close this process's exporters (bounded), then
    re-hash the evidence so the manifest covers the whole trace. A trace whose run wrote
    no stage (``dvc repro`` found nothing stale) is removed with its empty run folder."""
    for provider in list(_providers.values()):
        provider.shutdown()
    _providers.clear()
    run_dir = settings.runs_dir / run_id
    trace = run_dir / TRACE_FILE
    if not trace.is_file():
        return
    if (run_dir / "manifest.json").is_file():
        from .record import reseal

        reseal(settings, run_id)
        return
    trace.unlink()
    with suppress(OSError):
        run_dir.rmdir()


@contextmanager
def run(settings: Settings, run_id: str, attributes: Mapping[str, Any]) -> Iterator[Any]:
    """The span of a whole pipeline run (a command or a flow run), then :func:`finish`."""
    try:
        with span(
            "hotpass.run",
            {"hotpass.run_id": run_id, **attributes},
            run_id=run_id,
            run_dir=settings.runs_dir / run_id,
            configured=settings.config.telemetry.exporter,
        ) as current:
            yield current
    finally:
        finish(settings, run_id)
