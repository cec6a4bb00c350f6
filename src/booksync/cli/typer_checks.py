"""Typer's value checks, built when a value needs one rather than for every parameter.

Typer checks each parameter's value with a Pydantic ``TypeAdapter`` that it
builds the first time the parameter is processed, whatever the value: the
``--help`` option nobody gave, a ``--company`` left out.  Building the first
one imports Pydantic, about 0.15 s of CPU, half of what a short command may
take in all (docs/architecture.md, "Command line").

:func:`defer_value_checks` gives each parameter a stand-in check that
answers what Typer's own answers, without Pydantic, for the two values a
command line gives most: no value at all (Typer's base class answers None,
or ``()`` for a list, before any check runs) and text for a plain ``str``
parameter (Typer's ``str`` check returns a ``str`` as it is).  Any other
value builds Typer's own check, which replaces the stand-in for good, so
numbers with bounds, paths, choices and their error messages stay Typer's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer.core import _TyperParameter

__all__ = ["defer_value_checks"]


@dataclass(frozen=True)
class DeferredCheck(RuntimeParam):
    """Typer's check of one parameter, built on the first value that needs it."""

    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.annotation is str and isinstance(value, str) and self._plain_text():
            return value
        built = build_runtime_param(self.descriptor)
        param._runtime_param = built
        return built._coerce_value(value, param=param, ctx=ctx)

    def _plain_text(self) -> bool:
        """No parser or file of the parameter's own: Typer's check is ``str(value)``."""
        return self.parameter_info.parser is None and self.descriptor.file_annotation is None


def _deferred(self: _TyperParameter) -> RuntimeParam:
    if self._runtime_param is None:
        descriptor = self.type_descriptor
        self._runtime_param = DeferredCheck(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            descriptor=descriptor,
        )
    return self._runtime_param


def defer_value_checks() -> None:
    """Every Typer parameter of this process builds its check only for a value that needs it."""
    _TyperParameter.get_runtime_param = _deferred  # type: ignore[method-assign]
