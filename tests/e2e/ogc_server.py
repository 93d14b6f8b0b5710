"""A real uvicorn serving the registry on a free 127.0.0.1 port, over a seeded database of its own."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from tests.databases import committed_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(label: str, seed: Callable[[str], None]) -> Iterator[str]:
    """Yield the OGC root URL of a served app whose database `seed` filled; stop and drop everything after."""
    with committed_database(label) as url:
        seed(url)
        port = free_port()
        env = os.environ | {"HYDROMET_DATABASE_URL": url, "HYDROMET_ENVIRONMENT": "test",
                            "HYDROMET_DB_POOL_SIZE": "4", "HYDROMET_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env)
        base = f"http://127.0.0.1:{port}/ogc"
        try:
            for _ in range(100):
                assert proc.poll() is None, "uvicorn exited"
                try:
                    if httpx.get(f"{base}/conformance", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)
