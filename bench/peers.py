"""The peer servers the OGC benchmarks compare against, installed by the benchmark itself.

    .venv/bin/python -m bench.peers            # make sure both venvs exist (a minute or two the first time)

Each peer gets its own venv under `.venv-bench/<name>` from the pinned list `bench/peers/<name>.txt`
(tipg 1.6.1 and pygeoapi 0.21.0 with everything they import, as measured in bench/RESULTS.md), so
their dependencies never meet the project's. A venv is rebuilt when its list changes.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("tipg", "pygeoapi")


def venv_of(name: str) -> Path:
    """Return the venv of a peer, creating or refreshing it from its pinned list when needed."""
    pins = ROOT / "bench" / "peers" / f"{name}.txt"
    venv = ROOT / ".venv-bench" / name
    stamp = venv / "pins.sha256"
    digest = hashlib.sha256(pins.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return venv
    print(f"[bench] installing {name} into {venv} (pinned in {pins.relative_to(ROOT)})", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", "-r", str(pins)], check=True)
    stamp.write_text(digest)
    return venv


def main() -> int:
    """Install (or check) every peer's venv and print where it is."""
    for name in PEERS:
        print(f"{name}: {venv_of(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
