"""`hydromet import stations FILE [--dry-run] [--org CODE]` against the test database (committed, then removed)."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.cli import main
from domain.db.engine import libpq_url
from domain.settings import get_settings
from tests.factories_imports import grdc_rows, tagged, to_csv


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """Point the command at the test database; yield (tag, owner org); remove what it wrote afterwards."""
    tag = f"C{uuid.uuid4().hex[:5].upper()}"
    orgs = (f"{tag}-OWN", f"{tag}-ED")
    monkeypatch.setenv("HYDROMET_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for org in orgs:
            conn.execute(
                "INSERT INTO organization (code, name, kind) VALUES (%s, %s, 'ministry')", (org, org)
            )
    try:
        yield tag, orgs[0]
    finally:
        get_settings.cache_clear()
        with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
            conn.execute("DELETE FROM station WHERE national_code LIKE %s", (f"{tag}-%",))
            conn.execute("DELETE FROM organization WHERE code = ANY(%s)", (list(orgs),))


def count(url: str, tag: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM station WHERE national_code LIKE %s", (f"{tag}-%",)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_cli_dry_run_then_import_then_reimport(
    cli_db: tuple[str, str], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tag, owner = cli_db
    path = tmp_path / "grdc.csv"
    path.write_text(to_csv(tagged(grdc_rows(owner=owner), tag)), encoding="utf-8")
    assert main(["import", "stations", str(path), "--dry-run"]) == 0
    assert count(database_url, tag) == 0
    assert main(["import", "stations", str(path)]) == 0
    assert count(database_url, tag) == 27
    assert main(["import", "stations", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  import: read 27 good rows and 0 errors (csv)" in out
    assert out.count("dry run, nothing written: 27 created, 0 updated, 0 unchanged") == 1
    assert out[-1] == "imported: 0 created, 0 updated, 27 unchanged"


def test_cli_refusal_prints_every_bad_row_and_exits_1(
    cli_db: tuple[str, str], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tag, owner = cli_db
    rows = tagged(grdc_rows(owner=owner), tag)
    rows[3] |= {"latitude": "90", "longitude": "180"}
    rows[5]["owner"] = "NO-SUCH-ORG"
    path = tmp_path / "grdc.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    assert main(["import", "stations", str(path)]) == 1
    out = capsys.readouterr().out
    assert "  line 5, latitude '90': placeholder coordinates (90, 180)" in out
    assert "  line 7, owner 'NO-SUCH-ORG': unknown organization NO-SUCH-ORG" in out
    assert "import refused: 2 error(s) on 2 line(s); nothing was written" in out
    assert count(database_url, tag) == 0


def test_cli_as_an_editor_of_another_organization_changes_none_of_its_stations(
    cli_db: tuple[str, str], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tag, owner = cli_db
    path = tmp_path / "grdc.csv"
    path.write_text(to_csv(tagged(grdc_rows(owner=owner), tag)[:4]), encoding="utf-8")
    assert main(["import", "stations", str(path)]) == 0
    columns = ["national_code", "name", "network", "station_types", "automation", "latitude", "longitude"]
    renamed = [r | {"name": r["name"] + " (sửa)"} for r in tagged(grdc_rows(), tag)[:4]]
    path.write_text(to_csv(renamed, columns), encoding="utf-8")
    assert main(["import", "stations", str(path), "--org", f"{tag}-ED"]) == 1
    assert f"is owned by {owner}: an editor of {tag}-ED" in capsys.readouterr().out
    assert main(["import", "stations", str(path), "--org", "NO-SUCH-ORG"]) == 2
    assert main(["import", "stations", str(tmp_path / "missing.csv")]) == 2
