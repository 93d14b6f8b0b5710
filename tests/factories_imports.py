"""Station lists for the import tests, built from the real NOAA ISD and GRDC files in seed/data."""

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seed" / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
IMPORTS = "/api/v1/imports/stations"
COLUMNS = [
    "national_code", "name", "network", "station_types", "automation", "status", "latitude", "longitude",
    "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "river", "basin", "variables",
]  # fmt: skip


def _elevation(value: str) -> str:
    return "" if not value.strip() or float(value) <= -999 else str(float(value))


def isd_rows(owner: str = "NCHMF") -> list[dict[str, str]]:
    """Return NOAA ISD's Vietnamese stations in our columns (codes ISD-<USAF>, WSIs for block 48)."""
    rows = []
    with (SEED / "isd_history_vietnam_stations.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            usaf, operational = r["USAF"], r["END"] >= "20240101"
            rows.append({
                "national_code": f"ISD-{usaf}" if usaf != "999999" else f"ISD-W{r['WBAN']}",
                "name": r["STATION NAME"].title(), "network": "national",
                "station_types": "synoptic;aeronautical" if r["ICAO"].strip() else "synoptic",
                "automation": "automatic" if operational else "manual",
                "status": "operational" if operational else "closed",
                "latitude": r["LAT"], "longitude": r["LON"], "elevation_m": _elevation(r["ELEV(M)"]),
                "wigos_ids": f"0-20000-0-{usaf[:5]}" if usaf.startswith("48") and usaf.endswith("0") else "",
                "owner": owner, "operator": owner, "data_policy": "core", "river": "", "basin": "",
                "variables": "air_temperature:60;pressure:60;precipitation:60",
            })  # fmt: skip
    return rows


def grdc_rows(owner: str = "NCHMF") -> list[dict[str, str]]:
    """Return GRDC's Vietnamese river gauges in our columns (codes GRDC-<number>)."""
    rows = []
    with (SEED / "grdc_catalogue_vietnam_stations.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append({
                "national_code": f"GRDC-{r['grdc_no']}", "name": r["station"].strip().title(),
                "network": "national", "station_types": "hydrological", "automation": "manual",
                "status": "operational", "latitude": r["lat"], "longitude": r["long"],
                "elevation_m": _elevation(r["altitude"]), "wigos_ids": "", "owner": owner, "operator": "",
                "data_policy": "core", "river": r["river"].strip().title(), "basin": "",
                "variables": "water_level:60;discharge:1440",
            })  # fmt: skip
    return rows


def to_csv(
    rows: Sequence[dict[str, str]],
    columns: Sequence[str] | None = None,
    *,
    delimiter: str = ",",
    crlf: bool = False,
) -> str:
    """Return the rows as CSV text with these columns (the first row's by default), quoted as Excel does."""
    out = io.StringIO()
    fields = list(columns or rows[0])
    writer = csv.DictWriter(
        out,
        fieldnames=fields,
        delimiter=delimiter,
        lineterminator="\r\n" if crlf else "\n",
        extrasaction="ignore",
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_feature_collection(rows: Sequence[dict[str, str]]) -> dict[str, Any]:
    """Return the rows as a GeoJSON FeatureCollection in the API's shape (lists as JSON lists)."""

    def props(row: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {k: (v or None) for k, v in row.items() if k not in ("latitude", "longitude")}
        out["station_types"] = row["station_types"].split(";")
        out["wigos_ids"] = [w for w in row["wigos_ids"].split(";") if w]
        out["elevation_m"] = float(row["elevation_m"]) if row["elevation_m"] else None
        out["variables"] = [
            {"name": n, "interval_min": int(i)}
            for n, i in (v.split(":") for v in row["variables"].split(";"))
        ]
        return out

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(r["longitude"]), float(r["latitude"])]},
                "properties": props(r),
            }
            for r in rows
        ],
    }


def post_csv(client: TestClient, headers: dict[str, str], body: str | bytes, **params: Any) -> Response:
    """POST a CSV body to the import endpoint."""
    data = body.encode() if isinstance(body, str) else body
    return client.post(IMPORTS, content=data, params=params, headers=headers | {"Content-Type": "text/csv"})


def post_geojson(
    client: TestClient, headers: dict[str, str], body: dict[str, Any], **params: Any
) -> Response:
    """POST a GeoJSON body to the import endpoint."""
    data = json.dumps(body, ensure_ascii=False).encode()
    return client.post(
        IMPORTS, content=data, params=params, headers=headers | {"Content-Type": "application/geo+json"}
    )


def count_like(db: Session, pattern: str) -> int:
    """Return how many stations have a national code LIKE the pattern."""
    return int(
        db.execute(
            text("SELECT count(*) FROM station WHERE national_code LIKE :p"), {"p": pattern}
        ).scalar_one()
    )


def tagged(rows: Sequence[dict[str, str]], tag: str) -> list[dict[str, str]]:
    """Return the rows with codes prefixed by `tag` and WSIs made unique to it (tests share one database)."""
    out = []
    for row in rows:
        wsis = [w.rsplit("-", 1) for w in row["wigos_ids"].split(";") if w]
        out.append(
            row
            | {
                "national_code": f"{tag}-{row['national_code']}",
                "wigos_ids": ";".join(f"0-704-9-{tag}{w[1]}" for w in wsis),
            }
        )
    return out
