"""What the shared rate limit costs per request: the rate-window upsert against a bare round trip.

    .venv/bin/python -m bench.bench_ratelimit --database-url URL [--calls 5000]

In a throwaway database on the given server (migrated): N calls of `domain.sharing.queries.hit_rate_window`
over 100 identities (each in its own committed transaction, as the share guard does, on a kept
connection), against N `SELECT 1` in the same shape. Records the medians and p99 in the
`## Rate limit in the database` section of bench/RESULTS.md.
"""

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg
from alembic import command
from sqlalchemy import create_engine, text
from sqlmodel import Session

from api.cli import alembic_config
from bench.harness import machine, replace_section
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.settings import Settings
from domain.sharing.queries import hit_rate_window


def timed(session: Session, calls: int, one: Callable[[int], None]) -> list[float]:
    """Return the milliseconds of each call of `one` followed by a commit."""
    spent = []
    for n in range(calls):
        start = time.perf_counter()
        one(n)
        session.commit()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    name = f"hydromet_bench_rate_{uuid.uuid4().hex[:6]}"
    server = libpq_url(args.database_url).rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    url = sqlalchemy_url(f"{server}/{name}")
    try:
        command.upgrade(alembic_config(Settings(database_url=url)), "head")  # type: ignore[arg-type]
        engine = create_engine(url)
        with Session(engine) as session:
            timed(session, 200, lambda n: hit_rate_window(session, f"key:{n % 100}", 10**9))  # warm-up
            base = timed(session, args.calls, lambda _n: session.execute(text("SELECT 1")).one() and None)
            rate = timed(session, args.calls, lambda n: hit_rate_window(session, f"key:{n % 100}", 10**9))
        engine.dispose()
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
    m = machine()
    section = f"""
Date: {m["date"]}. Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory"]} RAM, {m["os"]}, Python {m["python"]}.
Run with `.venv/bin/python -m bench.bench_ratelimit --database-url URL`; {args.calls:,} calls each, 100 identities,
each call in its own committed transaction on a kept connection to PostgreSQL on the same machine.

| statement + commit | median ms | p99 ms |
| --- | ---: | ---: |
| `SELECT 1` (a bare round trip) | {statistics.median(base):.3f} | {p99(base):.3f} |
| rate-window upsert (`hit_rate_window`) | {statistics.median(rate):.3f} | {p99(rate):.3f} |

The shared limit adds one statement to the share guard's transaction on the primary (which already
upserts the partner's usage count): about {statistics.median(rate) - statistics.median(base):.3f} ms over a bare round trip at the median.
`rate_window` is UNLOGGED: no WAL, nothing shipped to replicas. Load average at the end: {os.getloadavg()[0]:.2f}.
"""
    print(section)
    replace_section("Rate limit in the database", section)


if __name__ == "__main__":
    main()
