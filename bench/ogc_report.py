"""The `## OGC API - Features` section of bench/RESULTS.md: the tables of bench_ogc and each target's verdict."""

from typing import Any

from bench.harness import Stats

# x tipg wanted per (size, case); every case not named must be ahead (> 1x) of tipg and of pygeoapi
TIPG_TARGETS = {("10k", "page of 100"): 3.0, ("10k", "one item"): 2.0, ("1M", "one item"): 2.0}
# this API's own paths: wanted share of the registry's throughput for the same rows
OWN_REFERENCE = {
    "one OGC item (public)": ("one registry station (admin key)", 1.0),
    "one share item (partner key)": ("one registry station (admin key)", 1.0),
    "OGC page of 100 (public)": ("registry page of 100 (GeoJSON, admin key)", 0.8),
    "partner page of 100 (OGC, partner key)": ("registry page of 100 (GeoJSON, admin key)", 0.8),
}


def cell(stats: Stats | None) -> str:
    """Return the p50 cell; a server that finished nothing under load shows one lone request's time."""
    if stats is None:
        return "n/a"
    return f"{stats.p50_ms:.2f}" if stats.requests else f"{stats.p50_ms:.0f} (alone)"


def rate(stats: Stats | None) -> str:
    return "n/a" if stats is None else (f"{stats.rps:.1f}" if stats.requests else "0")


def ratio(ours: Stats, other: Stats | None, seconds: int) -> tuple[str, float | None]:
    """Return our throughput over the other's as text and value (a lower bound when it finished nothing)."""
    if other is None:
        return "n/a", None
    if other.requests:
        value = ours.rps / other.rps
        return f"{value:.1f}x", value
    floor = ours.rps / (8 / seconds)
    return f"> {floor:.0f}x", floor


def _verdict(want: float, tipg: float | None, pyg: float | None, strict: bool) -> str:
    tipg_ok = tipg is None or (tipg > want if strict else tipg >= want)
    pyg_ok = pyg is None or pyg > 1.0
    wording = f"> {want:g}x" if strict else f">= {want:g}x"
    return f"{wording} tipg, > 1x pygeoapi: {'met' if tipg_ok and pyg_ok else 'NOT met'}"


def peer_table(label: str, data: dict[str, Any], seconds: int) -> list[str]:
    """Return the markdown table of one size against tipg and pygeoapi (by req/s)."""
    lines = [
        f"### {label} stations ({data['public_stations']:,} public; load average before: {data['load']}, "
        f"after: {data.get('load_after', '?')})", "",
        "| case | this API p50 ms | tipg p50 ms | pygeoapi p50 ms | this API req/s | tipg req/s | pygeoapi req/s "
        "| x tipg | x pygeoapi | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]  # fmt: skip
    for case, by in data["results"].items():
        ours, tipg, pyg = by["this API"], by["tipg"], by["pygeoapi"]
        want = TIPG_TARGETS.get((label, case))
        (tipg_x, tipg_v), (pyg_x, pyg_v) = ratio(ours, tipg, seconds), ratio(ours, pyg, seconds)
        verdict = _verdict(want or 1.0, tipg_v, pyg_v, strict=want is None)
        failures = {k: v for k, v in data["failed"][case].items() if v}
        lines.append(
            f"| {case} | {cell(ours)} | {cell(tipg)} | {cell(pyg)} | {rate(ours)} | {rate(tipg)} | {rate(pyg)} "
            f"| {tipg_x} | {pyg_x} | {verdict}"
            + (f"; failed (timeouts/errors): {failures}" if failures else "")
            + " |"
        )
    return lines


def own_table(label: str, data: dict[str, Any]) -> list[str]:
    """Return the table of this API's OGC and share paths against its registry's, at one size."""
    own = data["own"]
    lines = [
        f"#### {label}: OGC and share paths against the registry's (same server, same run)",
        "",
        "| case | p50 ms | req/s | reference | share of the reference | target |",
        "| --- | ---: | ---: | --- | ---: | --- |",
    ]
    for case, stats in own.items():
        if case not in OWN_REFERENCE:
            lines.append(f"| {case} | {cell(stats)} | {rate(stats)} | (reference) | | |")
            continue
        ref_name, want = OWN_REFERENCE[case]
        ref = own.get(ref_name)
        if stats is None or ref is None or not ref.rps:
            lines.append(f"| {case} | n/a | n/a | {ref_name} | n/a | >= {want:.0%}: not measured |")
            continue
        share = stats.rps / ref.rps
        verdict = "met" if share >= want else "NOT met"
        lines.append(
            f"| {case} | {cell(stats)} | {rate(stats)} | {ref_name} | {share:.0%} | >= {want:.0%}: {verdict} |"
        )
    return lines


def report(facts: dict[str, str], sizes: dict[str, Any], doc: str, seconds: int = 10) -> str:
    """Return the `## OGC API - Features` section."""
    parts = [
        f"Date: {facts['date']}. Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']} RAM, "
        f"{facts['os']}, Python {facts['python']}; PostgreSQL 15 + PostGIS 3 on the same cores (see the load "
        "averages).", "",
        "Run with `.venv/bin/python -m bench.bench_ogc --db10k URL --db1m URL` (the tables grown with "
        "`bench/generate.py`). " + doc.split("\n\n", 2)[2].replace("\n", " ").strip(), "",
        f"Each cell: `wrk -t2 -c8 -d{seconds}s` after a 2 s warm-up, through 300 ids / 300 boxes / 30 deep "
        "positions cycled. x tipg = this API's req/s over tipg's. numberMatched: see the README (this API never "
        "counts for it per page); tipg and pygeoapi count every match on every page. pygeoapi 0.21 (uvicorn, "
        "Starlette app), tipg 1.6.1 (uvicorn), 2 workers each.",
    ]  # fmt: skip
    for label, data in sizes.items():
        parts += ["", *peer_table(label, data, seconds), "", *own_table(label, data)]
    return "\n".join([*parts, "", WHY_NOT_MET])


# measured by hand on 2026-12-05 at 10k (wrk -t2 -c8, 2 workers; CPU from /proc accounting), not by this script
WHY_NOT_MET = """### Where the OGC and share paths still cost more than the registry's (measured reasons)

The targets marked NOT met above (one OGC or share item at least as fast as one registry station and
2x tipg; OGC and partner pages within 20% of the registry page) are held back by what these routes
do and the registry's do not:

- **The rate limit and usage count.** Every `/ogc` and `/share` request runs one write statement on
  the primary (`domain.sharing.queries.ADMIT`, an upsert of the caller's minute and day counters):
  the limit is exact across workers and machines (`tests/replication/test_shared_state.py` asserts
  that exactly `RATE_LIMIT` requests are admitted and the usage is readable at once). The registry's
  routes (keys of ministries and provinces) are not rate-limited. With ADMIT patched out of the same
  server, one OGC item went from 971 to 1,721 req/s against the registry station's 1,969 (87%), and
  the OGC page from 499 to 628 against the registry page's 740-790 (~85%). Hot-row contention is
  not the cost (pgbench: one identity 6,542 tps, 1,000 identities 6,485); planning the statement
  was (~0.2 ms of 0.41 ms), so it is now prepared on its connection (0.22 ms a call); with that
  and one station by id prepared too, one item went from 1.3x / 1.2x tipg (10k / 1M, the run of
  2026-12-05T14:16) to the ratios above, and from 44-55% of the registry station to ~60%.
- **CPU per request** (database + Python, /proc accounting at 10k, before prepared statements):
  OGC page 2.09 + 1.76 ms against the registry page's 1.48 + 1.17 ms; OGC item 0.26 + 1.0 ms
  against the registry station's 0.09 + 0.71 ms. The difference is the upsert above, the key and
  agreement lookup, and the OGC links and the `numberMatched` tally on each page.

Making the limit approximate (counted per worker and flushed in batches) would close most of the
gap, but it would break the exact cross-process limit the replication tests hold the service to;
the issue asks for those tests to pass unchanged, so the limit stays exact and these targets stay
unmet on this machine."""
