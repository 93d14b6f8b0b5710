"""The set-up scripts: which Debian packages each target wants (make run only what running needs)."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_ONLY = {"postgresql-15-postgis-3", "postgresql-contrib"}


def wanted(purpose: str) -> set[str]:
    """Return the packages `bootstrap.sh list PURPOSE` names (it installs nothing)."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "bootstrap.sh"), "list", purpose], capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_make_run_wants_only_postgresql_and_postgis() -> None:
    assert wanted("run") == RUN_ONLY


def test_make_test_adds_the_browser_and_gdal_but_not_the_load_generator() -> None:
    packages = wanted("test")
    assert packages >= RUN_ONLY | {"chromium", "fonts-noto-core", "gdal-bin"}
    assert "wrk" not in packages


def test_make_bench_adds_the_load_generator_but_not_the_browser() -> None:
    packages = wanted("bench")
    assert packages >= RUN_ONLY | {"wrk"}
    assert not packages & {"chromium", "gdal-bin"}


def test_every_package_list_says_which_purposes_need_it() -> None:
    for path in sorted((ROOT / "scripts" / "apt").glob("*.txt")):
        first = path.read_text().splitlines()[0]
        assert re.fullmatch(r"# for:( (run|test|bench))+", first), (path.name, first)


def test_an_unknown_purpose_is_refused() -> None:
    got = subprocess.run([str(ROOT / "scripts" / "bootstrap.sh"), "list", "everything"], capture_output=True)
    assert got.returncode == 2 and b"unknown purpose" in got.stderr


@pytest.mark.parametrize(("target", "purpose"), [("run", "run"), ("test", "test"), ("bench", "bench")])
def test_each_make_target_installs_the_packages_of_its_own_purpose(target: str, purpose: str) -> None:
    plan = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    calls = re.findall(r"scripts/bootstrap\.sh all (\w+)", plan)
    assert calls == [purpose], plan
