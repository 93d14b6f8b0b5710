"""The seed loader on a fresh migrated database: the real ISD and GRDC stations, and a second run adds nothing."""

import os
import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from api.cli import alembic_config
from domain.db.engine import libpq_url, sqlalchemy_url
from domain.settings import Settings
from seed.load import SeedReport, seed_all
from seed.stations import distance_m, grdc_stations, isd_stations, wmo_positions

pytestmark = pytest.mark.slow
SERVER_URL = os.environ.get("HYDROMET_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:55432/postgres")
ISD_STATIONS, GRDC_STATIONS = 102, 27
WMO_WSI = re.compile(r"^0-20000-0-\d{5}$")


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(SERVER_URL), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        tables = sorted(set(inspect(conn).get_table_names()) - {"spatial_ref_sys"})
        return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Engine, SeedReport, dict[str, int], SeedReport, dict[str, int]]]:
    """Seed a throwaway database twice (the seed commits); yield both reports and the row counts after each."""
    name = f"hydromet_seed_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    url = sqlalchemy_url(SERVER_URL.rsplit("/", 1)[0] + "/" + name)
    engine = create_engine(url, poolclass=NullPool)
    try:
        command.upgrade(alembic_config(Settings(database_url=url)), "head")  # type: ignore[arg-type]
        with Session(engine) as session:
            first = seed_all(session, progress=lambda _line: None)
        after_first = _row_counts(engine)
        with Session(engine) as session:
            second = seed_all(session, progress=lambda _line: None)
        yield engine, first, after_first, second, _row_counts(engine)
    finally:
        engine.dispose()
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_seed_files_parse_into_102_isd_and_27_grdc_stations() -> None:
    isd, isd_rejected = isd_stations()
    grdc, grdc_rejected = grdc_stations()
    assert (len(isd), len(grdc)) == (ISD_STATIONS, GRDC_STATIONS)
    assert isd_rejected == [] and grdc_rejected == []


def test_the_first_run_loads_every_isd_and_grdc_station(seeded: tuple) -> None:  # type: ignore[type-arg]
    engine, first, counts, _, _ = seeded
    assert first.rejected == []
    assert first.stations == ISD_STATIONS + GRDC_STATIONS
    assert first.provinces == 63
    assert counts["province"] == 63
    with engine.connect() as conn:
        by_source = dict(
            conn.execute(
                text("SELECT split_part(national_code, '-', 1), count(*) FROM station GROUP BY 1")
            ).all()
        )
    assert by_source == {"ISD": ISD_STATIONS, "GRDC": GRDC_STATIONS}


def test_every_seeded_wsi_agrees_within_5_km_with_wmo_volume_a(seeded: tuple) -> None:  # type: ignore[type-arg]
    engine = seeded[0]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT national_code, wigos_ids, ST_X(location), ST_Y(location) FROM station"
                " WHERE national_code LIKE 'ISD-%'"
            )
        ).all()
        held = int(conn.execute(text("SELECT count(*) FROM station_wigos_id WHERE is_primary")).scalar_one())
    wmo = wmo_positions()
    with_wsi = {code: (wsis, (lon, lat)) for code, wsis, lon, lat in rows if wsis}
    assert len(with_wsi) == 24 == held
    for code, (wsis, position) in with_wsi.items():
        assert len(wsis) == 1 and WMO_WSI.match(wsis[0]), code
        index = wsis[0].rsplit("-", 1)[1]
        assert distance_m(wmo[index], position) <= 5000, code


def test_isd_numbers_that_are_another_site_in_wmos_list_get_no_wsi(seeded: tuple) -> None:  # type: ignore[type-arg]
    engine = seeded[0]
    with engine.connect() as conn:
        wsis = dict(conn.execute(text("SELECT national_code, wigos_ids FROM station")).all())
    # Noi Bai airport is 21 km from WMO 48820 (Ha Noi/Lang); Vinh 8 km, Phu Bai 13 km (WMO 48852 is Hue),
    # Da Nang airport 16 km from WMO 48855; Sa Pa's 48802 is not in WMO's list at all.
    for code in ("ISD-488200", "ISD-488450", "ISD-488520", "ISD-488550", "ISD-488020"):
        assert wsis[code] == [], code
    assert wsis["ISD-488390"] == ["0-20000-0-48839"]  # Bach Long Vi agrees to 0.1 km


def test_seeded_stations_have_a_province_except_the_open_sea_platform_and_closed_ones_a_date(
    seeded: tuple,
) -> None:  # type: ignore[type-arg]
    engine = seeded[0]
    with engine.connect() as conn:
        without_province = (
            conn.execute(text("SELECT national_code FROM station WHERE province IS NULL")).scalars().all()
        )
        bad_closed = conn.execute(
            text("SELECT count(*) FROM station WHERE (status = 'closed') <> (closed_date IS NOT NULL)")
        ).scalar_one()
    # Huyền Trân platform (110.617, 8.017): open sea over 150 km from any province, so none (README)
    assert without_province == ["ISD-489190"]
    assert bad_closed == 0


def test_a_second_run_adds_nothing(seeded: tuple) -> None:  # type: ignore[type-arg]
    _, _, after_first, second, after_second = seeded
    assert (second.organizations, second.provinces, second.stations) == (0, 0, 0)
    assert second.rejected == []
    assert after_second == after_first
