"""The bot's own bounded worker pool.

Bolt acks on the request thread; everything slow (store, carrier, PDF, e-mail, Slack uploads) runs
here so that a burst of slow work can never starve acks. When the pool and its queue are full, new
work is refused at once and the agent is told to try again: better than a silent 3-second timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, workers: int = 8, queue: int = 200) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="returnbot-work")
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, job: Callable[[], None]) -> bool:
        """Run `job` in the background; False when the pool is full (nothing was queued)."""
        if not self._slots.acquire(blocking=False):
            return False
        with self._idle:
            self._pending += 1
        try:
            self._executor.submit(self._run, job)
        except RuntimeError:  # shut down
            self._done()
            return False
        return True

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a job reports its own failures to the agent; this is the last guard
            log.exception("background job failed")
        finally:
            self._done()

    def _done(self) -> None:
        self._slots.release()
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = 30) -> bool:
        """Block until no job is queued or running (the shell and tests use this)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
