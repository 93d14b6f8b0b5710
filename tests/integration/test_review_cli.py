"""The command line's part of review: a development reviewer key, and an import under review."""

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.cli import main
from domain.access.models import Role
from domain.access.service import authenticate
from domain.db.engine import libpq_url, make_engine, session_scope
from domain.settings import get_settings
from tests.factories_imports import grdc_rows, tagged, to_csv


@pytest.fixture
def cli_db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test database with a ministry under review; remove what it wrote afterwards."""
    tag = f"R{uuid.uuid4().hex[:5].upper()}"
    monkeypatch.setenv("HYDROMET_DATABASE_URL", database_url)
    monkeypatch.setenv("HYDROMET_DEV_ADMIN_KEY_FILE", str(tmp_path / "dev-admin-key"))
    get_settings.cache_clear()
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO organization (code, name, kind, review_required) VALUES (%s, %s, 'ministry', true)",
            (tag, tag),
        )
        added = conn.execute(
            "INSERT INTO organization (code, name, kind) VALUES ('NCHMF', 'NCHMF', 'national_agency')"
            " ON CONFLICT DO NOTHING RETURNING code"
        ).fetchone()
    try:
        yield tag
    finally:
        get_settings.cache_clear()
        with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
            conn.execute("DELETE FROM change_request WHERE organization = %s", (tag,))
            conn.execute("DELETE FROM station WHERE national_code LIKE %s", (f"{tag}-%",))
            conn.execute("DELETE FROM organization WHERE code = %s", (tag,))
            conn.execute("DELETE FROM api_key WHERE label = 'development reviewer'")
            if added:
                conn.execute("DELETE FROM organization WHERE code = 'NCHMF'")


def test_cli_keeps_a_development_reviewer_key_next_to_the_admin_key(
    cli_db: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "dev-reviewer"]) == 0
    path = tmp_path / "dev-reviewer-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text().strip()
    assert secret in capsys.readouterr().out
    with session_scope(make_engine(get_settings())) as session:
        principal = authenticate(session, secret=secret)
    assert (principal.organization, principal.role) == ("NCHMF", Role.reviewer)
    assert main(["keys", "dev-reviewer"]) == 0
    assert secret not in capsys.readouterr().out  # reused, not shown again
    assert path.read_text().strip() == secret


def test_cli_import_as_an_editor_under_review_submits_a_change_request(
    cli_db: str, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grdc.csv"
    path.write_text(to_csv(tagged(grdc_rows(owner=cli_db), cli_db)[:3]), encoding="utf-8")
    assert main(["import", "stations", str(path), "--org", cli_db]) == 0
    out = capsys.readouterr().out
    assert f"{cli_db} is under review: nothing written; change request" in out and "3 created" in out
    with psycopg.connect(libpq_url(database_url)) as conn:
        stations = conn.execute("SELECT count(*) FROM station WHERE national_code LIKE %s", (f"{cli_db}-%",))
        requests = conn.execute("SELECT kind, status FROM change_request WHERE organization = %s", (cli_db,))
        assert stations.fetchone() == (0,)
        assert requests.fetchall() == [("import", "submitted")]
