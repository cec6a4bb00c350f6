"""``booksync sandbox serve``: the simulated bank in the foreground.

For demos and for trying the SimpleFIN connector by hand: it prints the base
URL and a fresh setup token to paste into ``booksync connect simplefin``;
more tokens come from ``GET /simplefin/create``.  The access URL a token
turns into is never printed here (it holds the password).
"""

from __future__ import annotations

import signal
from types import FrameType

import typer

from booksync.cli.output import say
from booksync.sandbox.server import start

sandbox_app = typer.Typer(
    help="The sandbox bank (simulated SimpleFIN server).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port (0: any free one)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated world."),
    bulk: int = typer.Option(
        0, "--bulk", min=0, help="Add an account holding this many transactions (benchmarks)."
    ),
) -> None:
    """Run the sandbox bank until Ctrl-C."""
    handle = start(host, port, seed, bulk_transactions=bulk)
    say(f"Sandbox bank listening on {handle.url}")
    say(f"SimpleFIN setup token: {handle.setup_token()}", soft_wrap=True)
    say(f"More tokens: GET {handle.url}/simplefin/create   Stop: Ctrl-C")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        handle.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        handle.stop()
    say("Sandbox bank stopped.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a process manager, ``kill``) stops the bank like Ctrl-C does."""
    raise KeyboardInterrupt
