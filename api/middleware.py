"""ASGI middleware: body size limit, security headers, metrics and a key-free access log."""

import json
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hydromet.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    # every page and file of the service loads only from the service itself (README, "Security");
    # inline styles stay (Swagger UI, ReDoc and Leaflet set them), inline scripts do not
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
]
VARY = (b"vary", b"Accept-Encoding")  # a response may differ with it (Gzip), so caches key on it


class BodyTooLarge(HTTPException):
    """Raised while a streamed body passes the limit; an HTTPException, so FastAPI's body parsing
    lets it through (any other error there becomes a 400) and the problem handler renders a 413."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large")


def _problem_413(limit: int, path: str) -> bytes:
    return json.dumps({
        "type": "about:blank", "title": "Request body too large", "status": 413,
        "detail": f"the body exceeds the limit of {limit} bytes", "instance": path,
    }).encode()  # fmt: skip


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413, by Content-Length or while streaming.

    `path_limits` maps path prefixes to their own limit (station imports take larger files).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.path_limits = path_limits or {}

    def limit_of(self, path: str) -> int:
        """Return the body limit of a path: its prefix's own limit, else `max_bytes`."""
        return next((n for prefix, n in self.path_limits.items() if path.startswith(prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_of(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(scope, send)
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = _problem_413(self.limit_of(scope["path"]), scope["path"])
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": body})


class Metrics:
    """Prometheus request counters and latency histograms, labelled by route template."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_seconds", "Latency", ["method", "route"], registry=self.registry
        )


class Observe:
    """Add security headers, record metrics and write an access log line without credentials."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), [500]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if b"vary" not in present:
                    headers.append(VARY)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._record(scope, status[0], time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(scope["method"], route, str(status)).inc()
        self.metrics.latency.labels(scope["method"], route).observe(seconds)
        log.info("%s %s %s %.1fms", scope["method"], scope["path"], status, seconds * 1000)


class Gzip(GZipMiddleware):
    """Starlette's gzip compression, entered only for clients that accept gzip.

    Other requests skip it (one middleware layer less on every response; `Vary: Accept-Encoding` is
    added by Observe).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(
            name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"]
        ):
            return await self.app(scope, receive, send)
        await super().__call__(scope, receive, send)
