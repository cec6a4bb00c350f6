"""The public surface of ``booksync.providers`` is exactly each module's ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

import booksync.providers

MODULES = [
    "booksync.providers",
    "booksync.providers.base",
    "booksync.providers.errors",
    "booksync.providers.url_policy",
    "booksync.providers.simplefin",
    "booksync.providers.simplefin_http",
    "booksync.providers.simplefin_json",
    "booksync.providers.simplefin_records",
    "booksync.providers.simplefin_values",
    "booksync.providers.simplefin_wire",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_definitions(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined <= exported, defined - exported


def test_package_reexports_the_contract() -> None:
    from booksync.providers import base, errors

    assert set(base.__all__) | set(errors.__all__) <= set(booksync.providers.__all__)


def test_error_tree() -> None:
    from booksync.providers import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.ProviderError)
        assert cls.__doc__ and cls.code
    codes = [getattr(errors, name).code for name in errors.__all__]
    assert len(codes) == len(set(codes))
    limited = errors.RateLimited("Slow down.", 30.0)
    assert limited.retry_after == 30.0 and str(limited) == "Slow down."
