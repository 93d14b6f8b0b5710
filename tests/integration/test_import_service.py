"""The import service on the real database: the same results as the station service, and all or nothing."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from domain.access.models import SYSTEM, Principal, Role
from domain.imports.rules import ImportConflict, ImportRejected, ImportReport, Upload
from domain.imports.service import import_stations
from domain.station import queries as station_queries
from domain.station.models import Station, StationRevision
from domain.station.rules import archipelago_province, search_text
from domain.station.service import OFFSHORE_PROVINCE_KM, snapshot
from tests.factories import make_org
from tests.factories_imports import FIXTURES, grdc_rows, isd_rows, to_csv


def run(
    db: Session, body: str, *, principal: Principal = SYSTEM, dry_run: bool = False, **kw: Any
) -> ImportReport:
    upload = Upload(body.encode(), "text/csv", "stations.csv")
    return import_stations(db, principal=principal, upload=upload, dry_run=dry_run, **kw)


@pytest.fixture(autouse=True)
def nchmf(db: Session) -> None:
    make_org(db, "NCHMF")


def stations(db: Session, prefix: str) -> list[Station]:
    stmt = (
        select(Station)
        .where(col(Station.national_code).startswith(prefix))
        .order_by(col(Station.national_code))
    )
    return list(db.exec(stmt).all())


def latest_state(db: Session, station: Station) -> dict[str, Any]:
    stmt = select(StationRevision).where(col(StationRevision.station_id) == station.id)
    revision = db.exec(stmt.order_by(col(StationRevision.revision).desc())).first()
    assert revision is not None and revision.revision == station.revision
    return dict(revision.state)


def assert_same_state(kept: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(kept) == set(expected)
    for key in ("created_at", "updated_at"):
        assert datetime.fromisoformat(kept.pop(key)) == datetime.fromisoformat(expected.pop(key))
    assert kept.pop("location")["coordinates"] == pytest.approx(
        expected.pop("location")["coordinates"], abs=1e-9
    )
    assert kept == expected


def test_revisions_keep_the_same_state_as_the_station_service_snapshot(db: Session) -> None:
    rows = isd_rows()
    run(db, to_csv(rows))
    rows[0] |= {"name": "Trạm Sa Pa", "status": "closed", "wigos_ids": "", "elevation_m": ""}
    assert run(db, to_csv(rows)).updated == 1
    for station in stations(db, "ISD-48802"):
        db.refresh(station)
        assert_same_state(latest_state(db, station), snapshot(station))
    sa_pa = stations(db, "ISD-488020")[0]
    assert (sa_pa.revision, sa_pa.status, sa_pa.wigos_ids, sa_pa.elevation_m) == (2, "closed", [], None)
    assert sa_pa.closed_date is not None  # as update_station does when a station is closed
    assert station_queries.select_wsi_holders(db, ["0-20000-0-48802"]) == {}


def test_province_and_search_text_follow_the_station_service_rules(db: Session) -> None:
    run(db, to_csv(isd_rows()))
    run(db, to_csv(grdc_rows()))
    imported = stations(db, "ISD-") + stations(db, "GRDC-")
    assert len(imported) == 129
    for station in imported:
        lon, lat = (float(c) for c in snapshot(station)["location"]["coordinates"])
        expected = archipelago_province(lon, lat) or station_queries.province_of(
            db, lon, lat, OFFSHORE_PROVINCE_KM
        )
        assert (station.national_code, station.province) == (station.national_code, expected)
        assert station.search_text == search_text(station.name, station.national_code)
    assert {s.province for s in imported if s.national_code in ("ISD-488600", "ISD-489200")} == {
        "VN-DN",
        "VN-34",
    }


def test_a_wis2box_update_keeps_the_code_and_refolds_the_search_text(db: Session) -> None:
    run(db, to_csv(isd_rows()))
    wis2box = (FIXTURES / "wis2box_station_list.csv").read_text().rsplit("VINASAT", 1)[0]
    with pytest.raises(ImportRejected) as caught:  # the command line's system principal has no organization
        run(db, wis2box)
    assert caught.value.extra["errors"][0]["reason"].startswith("required for a new station: name the owner")
    assert run(db, wis2box, default_owner="NCHMF").created == 1
    lang = stations(db, "ISD-488200")[0]
    assert (lang.name, lang.search_text) == ("LANG", "lang isd-488200")


def test_a_failure_while_writing_leaves_nothing_of_the_import(db: Session) -> None:
    db.execute(
        text("""
        CREATE FUNCTION import_test_fail() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
        CREATE TRIGGER import_test_fail BEFORE INSERT ON station_revision
        FOR EACH ROW EXECUTE FUNCTION import_test_fail();
    """)
    )
    db.commit()
    rows = isd_rows()
    with pytest.raises(Exception, match="disk full"):
        run(db, to_csv(rows))
    assert stations(db, "ISD-") == []
    assert (
        db.execute(text("SELECT count(*) FROM station_wigos_id WHERE wsi LIKE '0-20000-%'")).scalar_one() == 0
    )


def test_a_unique_violation_from_a_concurrent_writer_is_an_import_conflict(db: Session) -> None:
    db.execute(
        text("""
        CREATE FUNCTION import_test_taken() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'duplicate key' USING ERRCODE = 'unique_violation'; END $$;
        CREATE TRIGGER import_test_taken BEFORE INSERT ON station
        FOR EACH ROW EXECUTE FUNCTION import_test_taken();
    """)
    )
    db.commit()
    with pytest.raises(ImportConflict, match="nothing was written"):
        run(db, to_csv(grdc_rows()))
    assert stations(db, "GRDC-") == []


def test_a_dry_run_then_a_real_run_in_one_transaction_agree(db: Session) -> None:
    lines: list[str] = []
    dry = run(db, to_csv(grdc_rows()), dry_run=True, progress=lines.append)
    assert stations(db, "GRDC-") == []
    real = run(db, to_csv(grdc_rows()))
    assert (dry.created, dry.dry_run, real.created, real.dry_run) == (27, True, 27, False)
    assert lines[0] == "read 27 good rows and 0 errors (csv)" and lines[-1].startswith("checked: 27 created")


def test_a_refused_import_carries_the_report_and_writes_nothing(db: Session) -> None:
    rows = grdc_rows()
    rows[2]["latitude"] = "90"
    rows[2]["longitude"] = "180"
    with pytest.raises(ImportRejected) as caught:
        run(db, to_csv(rows))
    assert caught.value.extra["errors"][0]["line"] == 4
    assert (caught.value.extra["created"], caught.value.extra["dry_run"]) == (26, False)
    assert stations(db, "GRDC-") == []


def test_an_editor_principal_is_held_to_its_organization(db: Session) -> None:
    run(db, to_csv(grdc_rows()[:2]))
    make_org(db, "MONRE")
    editor = Principal(organization="MONRE", role=Role.editor)
    with pytest.raises(ImportRejected) as caught:
        run(db, to_csv(grdc_rows()[:3], ["national_code", "name", "network", "station_types", "automation",
                                         "latitude", "longitude"]), principal=editor)  # fmt: skip
    assert [e["line"] for e in caught.value.extra["errors"]] == [2, 3]
    assert caught.value.extra["created"] == 1
