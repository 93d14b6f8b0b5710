"""`bench/load.py --replica`: the same mixed load against two API nodes that read from a hot standby.

Two `hydromet serve --workers 1` nodes on free ports, both with HYDROMET_DATABASE_READ_URLS set to a
standby of the bench database's cluster (bench/replicas.py); one `wrk` per node, half of the
connections each, run at the same time (the client spreads the load, as a round-robin balancer
would). Records, in the `## Load: two API nodes and a replica` section of bench/RESULTS.md, each
node's requests and latency percentiles, the spread of requests over the nodes, and where the
nodes sent them (primary or replica, from their /metrics), with the load average before and after.
"""

import argparse
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from bench.harness import machine, replace_section
from bench.load import (
    Served,
    agree,
    make_keys,
    measured_run,
    prepare_database,
    progress,
    request_data,
    serve,
    stop,
)
from bench.load import drop_database as drop
from bench.replicas import free_port, routed, standby_of, wait_replayed

SECTION = "Load: two API nodes and a replica"
NODES = 2


def run(args: argparse.Namespace) -> int:
    """Build the database and its standby, serve two nodes, run the load on both at once, record."""
    url = args.database_url
    prepare_database(url, args.stations)
    try:
        with standby_of(url) as standby_url, tempfile.TemporaryDirectory(prefix="hydromet-load-") as tmp:
            workdir = Path(tmp)
            keys = make_keys(url)
            wait_replayed(url, standby_url)
            nodes = [serve(url, workdir / f"node{i}.log", free_port(), 1, standby_url) for i in range(NODES)]
            try:
                request_data(url, workdir, keys, feed=agree(nodes[0].base, keys))
                progress("warm-up 10 s on both nodes")
                both(nodes, workdir, 10, args.connections, "W")
                before, load_before = [routed(n.base) for n in nodes], os.getloadavg()[0]
                progress(f"counted run {args.seconds} s, {args.connections} connections over {NODES} nodes")
                results = both(nodes, workdir, args.seconds, args.connections, "R")
                after, load_after = [routed(n.base) for n in nodes], os.getloadavg()[0]
            finally:
                for node in nodes:
                    stop(node)
    finally:
        if not args.keep_db:
            drop(url)
    section = report(results, before, after, args, (load_before, load_after))
    print(section)
    if not args.no_record:
        replace_section(SECTION, section)
    errors = sum(r[k] for r in results for k in ("connect", "read", "write", "timeout", "status"))
    return 1 if errors else 0


def both(
    nodes: list[Served], workdir: Path, seconds: int, connections: int, tag: str
) -> list[dict[str, Any]]:
    """Run wrk against every node at once (connections split evenly); return each node's result."""
    results: list[dict[str, Any]] = [{} for _ in nodes]

    def one(i: int) -> None:
        results[i] = measured_run(nodes[i], workdir, seconds, max(1, connections // len(nodes)), f"{tag}{i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(nodes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def report(
    results: list[dict[str, Any]], before: list[dict[str, float]], after: list[dict[str, float]],
    args: argparse.Namespace, loads: tuple[float, float],
) -> str:  # fmt: skip
    """Return the markdown of the section."""
    m, total = machine(), sum(r["requests"] for r in results)
    rows = []
    for i, (r, b, a) in enumerate(zip(results, before, after, strict=True)):
        secs, errors = (
            r["duration_us"] / 1e6,
            sum(r[k] for k in ("connect", "read", "write", "timeout", "status")),
        )
        to_primary, to_replica = (a.get(k, 0) - b.get(k, 0) for k in ("primary", "replica-1"))
        rows.append(
            f"| node {i + 1} | {r['requests']:,} | {r['requests'] / total:.0%} | {r['requests'] / secs:.0f} | "
            f"{r['p50_us'] / 1000:.1f} | {r['p95_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {r['max_us'] / 1000:.0f} | "
            f"{errors} | {to_primary:,.0f} / {to_replica:,.0f} | {a.get('lag_s', float('nan')):.2f} |"
        )
    secs = max(r["duration_us"] for r in results) / 1e6
    return f"""
Date: {m["date"]}. Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory"]} RAM, {m["os"]}, Python {m["python"]}.

Run with `.venv/bin/python -m bench.load --replica --database-url URL` (`--stations`, `--seconds`,
`--connections`). Dataset: {args.stations:,} synthetic stations. Topology: the bench database on the
project's cluster (primary) and a hot standby of that cluster made by `scripts/replica.sh`
(pg_basebackup -R, streaming replication) on the same machine; two API nodes (`hydromet serve
--workers 1`, pool 4+4 per database), each with `HYDROMET_DATABASE_READ_URLS` = the standby; one `wrk`
per node with {max(1, args.connections // NODES)} connections each, at the same time, {secs:.0f} s counted after a 10 s
warm-up, the mix of `## Load` (70% reads, 10% partner feed, 10% writes; the rate limit counted in the
database on every partner request). Everything, PostgreSQL twice included, shares the 2 cores with
other sessions: load average {loads[0]:.2f} before the run, {loads[1]:.2f} after.

| node | requests | share | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | routed to primary / replica | replica lag at end s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Total: {total:,} requests, {total / secs:.0f} req/s, errors {sum(sum(r[k] for k in ("connect", "read", "write", "timeout", "status")) for r in results)}.
Routed counts are the nodes' `hydromet_db_routed_requests_total` (requests that used a database; the
authentication and rate-limit look-ups on the primary are not counted).
"""
