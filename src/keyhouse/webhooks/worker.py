"""The in-server worker: a daemon thread that runs the expiry sweep and sends webhooks.

Every server process runs one (so `--workers 4` runs four); they share the work safely
through the database (see `delivery` and `sweep`). Turn it off with
KEYHOUSE_WEBHOOK_WORKER=false and run `keyhouse sweep` from cron instead.
"""

from __future__ import annotations

import logging
import threading
import time

from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from keyhouse.webhooks.delivery import DEFAULT_BATCH, deliver_due
from keyhouse.webhooks.sweep import sweep

logger = logging.getLogger(__name__)


class WebhookWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.delivery_interval = settings.webhook_delivery_interval_seconds
        self.sweep_interval = settings.expiry_sweep_interval_seconds
        self.timeout = settings.webhook_timeout_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Observability for tests and logs: completed rounds of each kind.
        self.sweeps = 0
        self.delivery_rounds = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="keyhouse-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the loop to end and wait for it (a send in flight finishes first)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout if timeout is not None else self.timeout * 2 + 5)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        next_sweep = time.monotonic()  # sweep at once on start
        while not self._stop.is_set():
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_interval
            self._deliver()
            # Event.wait, not sleep: stop() ends the wait at once.
            self._stop.wait(self.delivery_interval)

    def _sweep(self) -> None:
        try:
            report = sweep(self.db, now=clock.now())
            if report.expiring or report.expired:
                logger.info(
                    "expiry sweep: %d expiring, %d expired, %d deliveries queued",
                    report.expiring,
                    report.expired,
                    report.queued,
                )
        except Exception:
            logger.exception("expiry sweep failed; trying again at the next interval")
        finally:
            self.sweeps += 1

    def _deliver(self) -> None:
        try:
            # Drain what is due, batch by batch, unless asked to stop.
            while not self._stop.is_set():
                report = deliver_due(
                    self.db, now=clock.now(), limit=DEFAULT_BATCH, timeout=self.timeout
                )
                if report.claimed + report.paused < DEFAULT_BATCH:
                    break
        except Exception:
            logger.exception("webhook delivery round failed; trying again shortly")
        finally:
            self.delivery_rounds += 1
