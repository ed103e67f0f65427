"""A dict that keeps at most ``limit`` entries, dropping the oldest first.

For what a worker keeps between requests (rendered rows, opened session
cookies, signed CSRF tokens): reads are plain dict reads; a write beyond the
limit drops the entries written longest ago, so a long-running worker's
memory levels off instead of growing with every new cookie or row it sees.
"""

from __future__ import annotations

from threading import Lock
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self._lock = Lock()

    def keep(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (as the newest entry) and return it; the oldest go beyond ``limit``."""
        with self._lock:
            self.pop(key, None)
            self[key] = value
            while len(self) > self.limit:
                del self[next(iter(self))]
        return value

    def clear(self) -> None:
        with self._lock:
            super().clear()
