"""``booksync provider list``: the online providers, what each needs and can do."""

from __future__ import annotations

from dataclasses import asdict

import typer

from booksync.cli.output import emit_json, table

provider_app = typer.Typer(help="The online providers booksync connects banks through.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(provider_app, name="provider")


@provider_app.command("list")
def provider_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the providers: what each needs to connect, what each supports."""
    from booksync.app.providers import providers

    found = providers()
    if as_json:
        emit_json([asdict(p) for p in found])
        return

    def limit(value: int | None, unit: str) -> str:
        return "no limit" if value is None else f"{value} {unit}"

    table("Providers", ["provider", "needs", "connect", "pending", "fetches by",
                        "history", "quota"],
          [[f"{p.name} ({p.title})", p.needs, p.connect, "yes" if p.pending else "no",
            p.cursor_or_window if p.max_window_days is None
            else f"window of {p.max_window_days} days",
            limit(p.max_history_days, "days"), limit(p.requests_per_day, "calls a day")]
           for p in found])
