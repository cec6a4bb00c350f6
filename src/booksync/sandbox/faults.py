"""Faults the sandbox bank can be told to produce on its next ``/accounts`` requests.

Each kind is one failure real bridges produce and booksync must map into its
provider error tree (DESIGN.md section 4): ``http_500`` (transient),
``timeout`` (an answer that comes after the client gave up), ``rate_limit``
(429 with ``Retry-After``), ``revoke`` (403, and the access is withdrawn for
good), ``malformed`` (a 200 whose body is not JSON, or JSON of the wrong
shape) and ``payment_required`` (402, the bridge's unpaid-subscription answer).
Faults queue in order; each request takes at most one.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "MALFORMED_VARIANTS", "Fault", "FaultQueue"]

FAULT_KINDS = ("http_500", "timeout", "rate_limit", "revoke", "malformed", "payment_required")
MALFORMED_VARIANTS = ("not_json", "wrong_shape")


@dataclass(frozen=True)
class Fault:
    """One queued failure; ``delay`` and ``retry_after`` are seconds."""

    kind: str
    delay: float = 2.0
    retry_after: int = 30
    variant: str = "not_json"

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.variant not in MALFORMED_VARIANTS:
            raise ValueError(f"unknown malformed variant {self.variant!r}")
        if self.delay < 0 or self.retry_after < 0:
            raise ValueError("delay and retry_after must not be negative")


class FaultQueue:
    """A thread-safe queue of faults for the next requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault, count: int = 1) -> int:
        """Queue ``count`` copies of ``fault``; return how many are now waiting."""
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._queue.extend([fault] * count)
            return len(self._queue)

    def take(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)
