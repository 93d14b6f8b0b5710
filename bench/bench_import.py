"""Benchmark the station import: 10k and 100k-row CSV files through the service, and once over HTTP.

    .venv/bin/python -m bench.bench_import [--sizes 10k,100k] [--keep]

The database `hydromet_bench_import` is created, migrated and given the seeded organizations and
provinces (bench/generate.py's setup). For each size a CSV in the documented columns is generated:
synthetic stations sampled inside Viet Nam's service area (85% on land, 15% at sea, as generate.py),
Vietnamese names with diacritics, ~35% national, ~20% with a WIGOS id, 2 variables each. Timed, each
on an emptied station table except where said, through `import_stations` (parse in Python, COPY into
the staging table, match/check/plan in SQL, write, commit):
  dry run     every check and the plan, then a rollback (an empty registry: all rows would be created)
  create      all rows created, with their WIGOS ids and one revision each
  unchanged   the same file again: every row matched and found equal, nothing written
  update 10%  the same file with 10% of the names and elevations changed
Then the largest file is POSTed once to a real uvicorn (one worker, port 18110) on an emptied table.
The phases come from the service's progress lines. The database is dropped at the end unless --keep.
"""

import argparse
import csv
import io
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import psycopg
from sqlmodel import Session

from bench import generate, harness
from domain.access.models import SYSTEM, Role
from domain.access.service import create_key
from domain.db.engine import libpq_url, make_engine
from domain.imports.rules import Upload
from domain.imports.service import import_stations
from domain.settings import Settings

URL = "postgresql+psycopg://postgres@127.0.0.1:55432/hydromet_bench_import"
PORT = 18110
COLUMNS = [
    "national_code", "name", "network", "station_types", "automation", "status", "latitude", "longitude",
    "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "river", "variables",
]  # fmt: skip
RUNS = ("dry run", "create", "unchanged", "update 10%")


def station_csv(n: int, seed: int = 11, changed: float = 0.0) -> str:
    """Return n synthetic stations as CSV in the documented columns; `changed` of them renamed."""
    rng = np.random.default_rng(seed)
    chosen, lon, lat, sea = generate._kinds_and_points(rng, n)
    names = generate._names(rng, chosen, sea)
    national = (rng.random(n) < 0.35).tolist()
    owners = [generate.names.OWNERS_SPECIALIZED[i] for i in rng.integers(0, 7, n).tolist()]
    wsi = (rng.random(n) < 0.2).tolist()
    elevation = (
        np.where(sea, rng.uniform(0, 5, n), np.minimum(rng.gamma(1.3, 220, n), 3100)).round(1).tolist()
    )
    rivers = [generate.names.RIVERS[i] for i in rng.integers(0, len(generate.names.RIVERS), n).tolist()]
    edit = (np.random.default_rng(seed + 1).random(n) < changed).tolist()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(n):
        kind, owner = chosen[i], "NCHMF" if national[i] else owners[i]
        variables = ";".join(f"{v['name']}:{v['interval_min']}" for v in json.loads(kind.variables))
        writer.writerow([
            f"BI-{i:07d}", names[i] + (" (đổi tên)" if edit[i] else ""),
            "national" if national[i] else "specialized", kind.types.strip("{}").replace(",", ";"),
            "automatic", "operational", f"{lat[i]:.6f}", f"{lon[i]:.6f}", elevation[i] + (1.0 if edit[i] else 0),
            f"0-704-1-BI{i:07d}" if wsi[i] else "", owner, owner, "core",
            rivers[i] if kind.hydro else "", variables,
        ])  # fmt: skip
    return out.getvalue()


def empty_stations(url: str) -> None:
    """Remove every station (and with it WIGOS ids and revisions) and refresh the statistics."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE station CASCADE")
        conn.execute("VACUUM ANALYZE station")


def timed_import(settings: Settings, body: str, *, dry_run: bool) -> dict[str, Any]:
    """Import through the service; return the counts and the seconds of each phase."""
    marks: list[tuple[str, float]] = []

    def mark(line: str) -> None:
        marks.append((line.split(" ", 1)[0].rstrip(":"), time.perf_counter()))

    engine = make_engine(settings)
    start = time.perf_counter()
    with Session(engine) as session:
        upload = Upload(body.encode(), "text/csv", "bench.csv")
        report = import_stations(session, principal=SYSTEM, upload=upload, dry_run=dry_run, progress=mark)
    total = time.perf_counter() - start
    engine.dispose()
    at = dict(marks)
    phases = {
        "parse": at["read"] - start,
        "stage": at["staged"] - at["read"],
        "check": next(t for name, t in marks if name == "checked") - at["staged"],
        "write": marks[-1][1] - next(t for name, t in marks if name == "checked"),
    }
    counts = {k: getattr(report, k) for k in ("created", "updated", "unchanged")}
    return {"seconds": total, "phases": phases, "counts": counts, "errors": len(report.errors)}


def time_http(settings: Settings, body: str) -> dict[str, Any]:
    """POST the file once to a real uvicorn; return the seconds and the report."""
    engine = make_engine(settings)
    with Session(engine) as session:
        _, secret = create_key(session, organization="NCHMF", role=Role.admin, label="bench import")
    engine.dispose()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}
    with harness.api_server(str(settings.database_url), PORT, workers=1) as base:
        start = time.perf_counter()
        response = httpx.post(
            base + "/api/v1/imports/stations", content=body.encode(), headers=headers, timeout=600
        )
        seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"HTTP import -> {response.status_code}: {response.text[:500]}")
    return {"seconds": seconds, "report": {k: v for k, v in response.json().items() if k != "errors"}}


def run_size(settings: Settings, n: int) -> dict[str, Any]:
    """Time the four service runs at one size."""
    body, changed = station_csv(n), station_csv(n, changed=0.1)
    result: dict[str, Any] = {"rows": n, "megabytes": len(body.encode()) / 1e6, "runs": {}}
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("dry run", lambda: timed_import(settings, body, dry_run=True)),
        ("create", lambda: timed_import(settings, body, dry_run=False)),
        ("unchanged", lambda: timed_import(settings, body, dry_run=False)),
        ("update 10%", lambda: timed_import(settings, changed, dry_run=False)),
    ]
    empty_stations(str(settings.database_url))
    for name, step in steps:
        result["runs"][name] = step()
        harness.progress(f"  {n:,} rows, {name}: {result['runs'][name]}")
    result["load"] = harness.load_average()
    return result


def plot(results: list[dict[str, Any]]) -> str:
    """Draw seconds against rows for each run; return the picture's path relative to bench/."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    rows = [r["rows"] for r in results]
    for name in RUNS:
        ax.plot(rows, [r["runs"][name]["seconds"] for r in results], marker="o", label=name)
    ax.axhline(30, color="grey", linestyle="--", linewidth=0.8, label="target at 100k: 30 s")
    ax.set(xscale="log", yscale="log", xlabel="rows in the file", ylabel="seconds", title="Station import")
    ax.legend()
    fig.tight_layout()
    path = harness.BENCH / "plots" / "import.png"
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return "plots/import.png"


def section(
    results: list[dict[str, Any]], machine: dict[str, str], http: dict[str, Any], picture: str
) -> str:
    """Return the body of the `## Import` section of RESULTS.md."""
    lines = [
        f"Date: {machine['date']}. Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']} RAM, "
        f"{machine['os']}, Python {machine['python']}; PostgreSQL 15 on the same cores, shared with other sessions.",
        "",
        "Run with `.venv/bin/python -m bench.bench_import` (database `hydromet_bench_import`, dropped after).",
        "Synthetic station lists in the documented CSV columns (points sampled inside the service area, 15% at",
        "sea; Vietnamese names; ~20% with a WIGOS id), imported through `import_stations`: parse and check in",
        "Python, COPY into a staging table, match by code or WIGOS id, check and plan in SQL (province by",
        "spatial join), write stations, WIGOS ids and one revision per written station, commit. Each size",
        "starts from an empty station table; `unchanged` re-imports the same file, `update 10%` changes 10% of",
        "the names and elevations. Phases: parse = Python parse and checks, stage = COPY, check = match,",
        "registry checks and plan in SQL, write = writes and commit (a dry run rolls back instead).",
        "",
        f"Target (100k rows in under 30 s): {target_verdict(results)}.",
        "",
        f"![seconds against rows]({picture})",
        "",
        "| rows | file MB | run | total s | parse s | stage s | check s | write s | created | updated | unchanged | load (1 min) |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for name in RUNS:
            run, p = r["runs"][name], r["runs"][name]["phases"]
            c = run["counts"]
            lines.append(
                f"| {r['rows']:,} | {r['megabytes']:.1f} | {name} | {run['seconds']:.1f} | {p['parse']:.1f} | "
                f"{p['stage']:.1f} | {p['check']:.1f} | {p['write']:.1f} | {c['created']:,} | {c['updated']:,} | "
                f"{c['unchanged']:,} | {r['load']} |"
            )
    lines += [
        "",
        f"Over HTTP (uvicorn, one worker, `POST /api/v1/imports/stations` with the {http['rows']:,}-row file as",
        f"`text/csv`, admin key, empty station table): {http['seconds']:.1f} s, report {http['report']}.",
    ]
    return "\n".join(lines)


def target_verdict(results: list[dict[str, Any]]) -> str:
    """Say whether the 100k-row runs met the 30 s target."""
    big = [r for r in results if r["rows"] >= 100_000]
    if not big:
        return "not measured (no 100k run)"
    worst = max(run["seconds"] for run in big[0]["runs"].values())
    return f"{'met' if worst < 30 else 'NOT met'}, slowest 100k run {worst:.1f} s"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write RESULTS.md, the JSON results and the plot; drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="rows per file")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    settings = Settings(database_url=URL, db_pool_size=2)  # type: ignore[arg-type]
    machine = harness.machine()
    generate.setup(URL)
    try:
        sizes = [generate.parse_size(t) for t in args.sizes.split(",") if t.strip()]
        results = [run_size(settings, n) for n in sizes]
        empty_stations(URL)
        http = {"rows": sizes[-1], **time_http(settings, station_csv(sizes[-1]))}
        harness.progress(f"  HTTP: {http}")
        harness.save_json(
            harness.BENCH / "results" / "import.json", {"machine": machine, "results": results, "http": http}
        )
        harness.replace_section("Import", section(results, machine, http, plot(results)))
    finally:
        if not args.keep:
            with psycopg.connect(libpq_url(URL.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS hydromet_bench_import WITH (FORCE)")
            harness.progress("dropped hydromet_bench_import")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
