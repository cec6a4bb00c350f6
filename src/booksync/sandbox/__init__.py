"""The sandbox bank: a simulated bank served over real HTTP in SimpleFIN's wire format.

It lets booksync's demo and tests run against a real protocol with no outside
service (docs/architecture.md).  It knows nothing of booksync's database: the
world (``world.py``) is its own back office, and the server (``server.py``)
speaks only the providers' wire formats plus a few control endpoints.
"""

from booksync.sandbox.model import SandboxError
from booksync.sandbox.payments import PaymentPlan
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World

__all__ = ["PaymentPlan", "SandboxError", "SandboxHandle", "World", "start"]
