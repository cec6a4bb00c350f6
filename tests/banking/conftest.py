"""The banking tests share the sync tests' sandbox fixtures."""

from tests.sync.conftest import bank, books, factory

__all__ = ["bank", "books", "factory"]
