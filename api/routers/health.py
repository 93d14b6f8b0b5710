"""Liveness with database reachability, and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from domain.db.routing import describe

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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
