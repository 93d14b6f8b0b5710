"""bootstrap.sh with-db (what `make test` runs under): a cluster it started outside the project is stopped."""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = str(ROOT / "scripts" / "bootstrap.sh")
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"
PORT = "18116"  # a cluster of this test's own, never the suite's


@pytest.fixture
def outside() -> Iterator[dict[str, str]]:
    """The environment of a cluster under /var/tmp (outside the project folder), removed afterwards."""
    data = Path(f"/var/tmp/hydromet-setup-test-{uuid.uuid4().hex[:8]}")
    env = dict(os.environ, HYDROMET_PGDATA=str(data), HYDROMET_PGPORT=PORT)
    env.pop("HYDROMET_DATABASE_URL", None)
    try:
        yield env
    finally:
        subprocess.run([BOOTSTRAP, "stop-db"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def running(env: dict[str, str]) -> bool:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    status = subprocess.run([*prefix, PG_CTL, "-D", env["HYDROMET_PGDATA"], "status"], capture_output=True)
    return status.returncode == 0


def with_db(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BOOTSTRAP, "with-db", "bash", "-c", command], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.slow
def test_a_cluster_started_outside_the_project_is_stopped_when_the_run_ends(outside: dict[str, str]) -> None:
    seen = with_db(outside, f"psql -h 127.0.0.1 -p {PORT} -U postgres -tAc 'select 42' postgres")
    assert seen.returncode == 0 and seen.stdout.strip() == "42", seen.stderr
    assert not running(outside)
    failed = with_db(outside, "exit 3")  # a failing suite stops it too, and keeps its exit status
    assert failed.returncode == 3 and not running(outside)


@pytest.mark.slow
def test_a_cluster_that_was_already_running_is_left_running(outside: dict[str, str]) -> None:
    subprocess.run([BOOTSTRAP, "db"], env=outside, check=True, capture_output=True, timeout=180)
    assert with_db(outside, "true").returncode == 0
    assert running(outside)
