"""Liveness with database reachability, and Prometheus metrics."""

import logging
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlmodel import Session

from api.deps import ReadSessionDep
from domain.db.routing import describe
from domain.review.service import queue_state

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and each database: the primary, the read replicas and their lag")
def health(request: Request) -> JSONResponse:
    """Answer 200 when the primary answers (503 when not), and list every database.

    A replica's status comes from the replication monitor's last check (every fraction of a second):
    ok, lagging (more than HYDROMET_REPLICA_MAX_LAG_S behind), unreachable, not_standby, unchecked.
    """
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database is a 503, never a 500
        database = "unreachable"
    status = 200 if database == "ok" else 503
    databases = describe(request.app.state.router, primary_ok=database == "ok")
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "databases": databases}
    return JSONResponse(body, status_code=status)


class ReviewQueue(Collector):
    """The review queue, read from the database at scrape time (the same answer from every API process)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        try:
            state = queue_state(self.session)
        except Exception:  # an unreachable database must not take the other metrics down
            log.warning("review queue metrics unavailable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "hydromet_change_requests_submitted",
            "Change requests waiting for a decision",
            value=state.submitted,
        )
        yield GaugeMetricFamily(
            "hydromet_change_requests_oldest_age_seconds",
            "How long the oldest submitted change request has waited (0 when none)",
            value=state.oldest_age_s,
        )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request, session: ReadSessionDep) -> Response:
    queue = CollectorRegistry(auto_describe=False)
    queue.register(ReviewQueue(session))
    body = generate_latest(request.app.state.metrics.registry) + generate_latest(queue)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
