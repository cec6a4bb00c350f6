"""Faults the sandbox bank can be told to produce on its next ``/accounts`` requests.

Each kind is one failure real bridges produce and booksync must map into its
provider error tree (docs/banking.md, "Providers"): ``http_500`` (transient),
``timeout`` (an answer that comes after the client gave up), ``rate_limit``
(429 with ``Retry-After``), ``revoke`` (403, and the access is withdrawn for
good), ``malformed`` (a 200 whose body is not JSON, or JSON of the wrong
shape), ``payment_required`` (402, the bridge's unpaid-subscription answer)
and ``echo``: a bank that reflects the request (its URL, its headers with the
``Authorization: Basic`` one, the access URL in every spelling) back in an
error, to prove booksync shows and stores none of it (docs/banking.md,
"Outbound requests"). ``echo`` variants: ``text`` (a 400 text body),
``errors`` (a 400 with SimpleFIN's ``errors`` list), ``auth`` (a 200 whose
``errlist`` holds a ``gen.auth`` error) and ``warning`` (the normal answer
plus an account warning). Faults queue in order; each request takes at most
one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ECHO_VARIANTS",
    "FAULT_KINDS",
    "MALFORMED_VARIANTS",
    "Fault",
    "FaultQueue",
    "checked_variant",
]

FAULT_KINDS = (
    "http_500",
    "timeout",
    "rate_limit",
    "revoke",
    "malformed",
    "payment_required",
    "echo",
)
MALFORMED_VARIANTS = ("not_json", "wrong_shape")
ECHO_VARIANTS = ("text", "errors", "auth", "warning")
_VARIANTS = {"malformed": MALFORMED_VARIANTS, "echo": ECHO_VARIANTS}


def checked_variant(kind: str, variant: str, kinds: tuple[str, ...],
                    variants: Mapping[str, tuple[str, ...]]) -> str:
    """A fault's variant, its kind's first when none is given; an unknown kind or
    variant is refused (every protocol's faults are checked so)."""
    if kind not in kinds:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(kinds)}")
    known = variants.get(kind, ())
    if not variant and known:
        return known[0]
    if variant and variant not in known:
        raise ValueError(f"unknown {kind} variant {variant!r}")
    return variant


@dataclass(frozen=True)
class Fault:
    """One queued failure; ``delay`` and ``retry_after`` are seconds."""

    kind: str
    delay: float = 2.0
    retry_after: int = 30
    variant: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant", checked_variant(
            self.kind, self.variant, FAULT_KINDS, _VARIANTS))
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
