"""A sliding-window limit on failed authentications, per client address.

Kept in each worker's memory: it costs nothing on the success path and no database write on
the failure path (which an attacker controls). With N workers a client gets at most N times
the limit before every worker refuses it; that is the documented trade-off.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimiter:
    def __init__(
        self,
        max_failures: int = 20,
        window_seconds: float = 60.0,
        *,
        max_clients: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_clients = max_clients
        self._now = monotonic
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _trim(self, client: str, now: float) -> deque[float] | None:
        stamps = self._failures.get(client)
        if stamps is None:
            return None
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[client]
            return None
        return stamps

    def retry_after(self, client: str) -> int | None:
        """Seconds until the client may try again, or None when it is not limited."""
        with self._lock:
            now = self._now()
            stamps = self._trim(client, now)
            if stamps is None or len(stamps) < self.max_failures:
                return None
            # Allowed again once enough of the window's failures have aged out.
            oldest_blocking = stamps[len(stamps) - self.max_failures]
            return max(1, math.ceil(oldest_blocking + self.window - now))

    def record_failure(self, client: str) -> None:
        with self._lock:
            now = self._now()
            stamps = self._trim(client, now)
            if stamps is None:
                stamps = deque(maxlen=self.max_failures * 2)
                self._failures[client] = stamps
                if len(self._failures) > self.max_clients:
                    self._failures.popitem(last=False)
            self._failures.move_to_end(client)
            stamps.append(now)
