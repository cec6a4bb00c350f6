"""The statement tests share the sync tests' sandbox fixtures and the CLI tests' runner."""

from tests.cli.conftest import acme, cli
from tests.sync.conftest import bank, books, factory, lean_books

__all__ = ["acme", "bank", "books", "cli", "factory", "lean_books"]
