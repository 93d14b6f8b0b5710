"""A background thread per process, started with the app and stopped with it (monitor, listener)."""

import threading


class BackgroundThread:
    """Run `_run` in a daemon thread named `thread_name` until `stop()`; `_stop` tells the loop to end."""

    thread_name = "hydromet-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end and wait for it (at most 10 s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        raise NotImplementedError
