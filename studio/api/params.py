"""Typed parameter schemas.

A generator describes its generation and training parameters once, here; the window builds its
forms from the schema, the command line builds ``--set KEY=VALUE`` parsing from it, and every value
is validated against it with a message that names the parameter. This is the one place parameters
are checked: a whole number from a fixed set (``choices=(32, 64, 128)``) and a rule across fields
(:class:`Rule`, e.g. a width divisible by the number of heads) are part of the schema, so the
window's form, the command line and the job all refuse the same values with the same message,
before anything is written to disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from .errors import ParamError

Kind = Literal["int", "float", "str", "bool", "choice", "path"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind, default, range or choices, and help text for the user."""

    name: str
    kind: Kind
    default: Any
    help: str = ""
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    # Text for ``choice`` parameters; whole numbers for an ``int`` taken from a fixed set.
    choices: tuple[Any, ...] = ()
    # A float spanning decades (a learning rate) is edited on a log scale by the window.
    log_scale: bool = False
    # Advanced parameters sit behind a disclosure in the window.
    advanced: bool = False
    # ``None`` is an allowed value (an unset limit, an optional path).
    optional: bool = False
    # Shown only while another parameter has one of some values, e.g. ("architecture", ("mlp",))
    # for a setting only one architecture uses. The value is still validated and passed.
    only_when: tuple[str, tuple[Any, ...]] | None = None

    def __post_init__(self) -> None:
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter '{self.name}' needs choices")
        if self.choices and self.kind not in ("choice", "int"):
            raise ValueError(
                f"parameter '{self.name}': only choice and int parameters have choices"
            )
        if self.kind == "int" and not all(
            isinstance(c, int) and not isinstance(c, bool) for c in self.choices
        ):
            raise ValueError(f"int parameter '{self.name}' needs whole-number choices")
        if self.default is not None or not self.optional:
            # Defaults go through the same check as user input, so a schema cannot lie.
            self.coerce(self.default)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's kind, or raise :class:`ParamError`."""
        if value is None or (isinstance(value, str) and value.lower() == "none" and self.optional):
            if self.optional:
                return None
            raise ParamError(self.name, "a value is required")
        converted = self._convert(value)
        self._check_range(converted)
        return converted

    def _convert(self, value: Any) -> Any:
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ParamError(self.name, f"expected true or false, got {value!r}")
        if kind == "int":
            if isinstance(value, bool):
                raise ParamError(self.name, f"expected a whole number, got {value!r}")
            if isinstance(value, float) and value.is_integer():
                return int(value)
            try:
                return int(str(value).strip()) if not isinstance(value, int) else value
            except ValueError:
                raise ParamError(self.name, f"expected a whole number, got {value!r}") from None
        if kind == "float":
            if isinstance(value, bool):
                raise ParamError(self.name, f"expected a number, got {value!r}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ParamError(self.name, f"expected a number, got {value!r}") from None
            if not math.isfinite(number):
                raise ParamError(self.name, f"expected a finite number, got {value!r}")
            return number
        if kind == "choice":
            text = str(value)
            if text not in self.choices:
                raise ParamError(self.name, f"{text!r} is not one of {', '.join(self.choices)}")
            return text
        # str and path stay text; a path is resolved by whoever opens it.
        if not isinstance(value, str):
            raise ParamError(self.name, f"expected text, got {value!r}")
        return value

    def _check_range(self, value: Any) -> None:
        if self.kind not in ("int", "float"):
            return
        if self.choices and value not in self.choices:
            allowed = ", ".join(str(choice) for choice in self.choices)
            raise ParamError(self.name, f"{value} is not one of {allowed}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(self.name, f"{value} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(self.name, f"{value} is above the maximum {self.maximum:g}")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "default": self.default,
            "label": self.title,
            "help": self.help,
        }
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        if self.choices:
            data["choices"] = list(self.choices)
        for flag in ("log_scale", "advanced", "optional"):
            if getattr(self, flag):
                data[flag] = True
        if self.only_when is not None:
            data["only_when"] = {"param": self.only_when[0], "values": list(self.only_when[1])}
        return data


@dataclass(frozen=True)
class Rule:
    """A check across parameters, run once each value is valid on its own.

    ``check`` gets every validated value and returns a message for the user, or ``None`` when the
    values fit together; the message is shown beside ``param`` (the one the user should change).
    """

    param: str
    check: Callable[[Mapping[str, Any]], str | None]
    #: What the rule asks, for ``studio describe`` and the docs.
    help: str = ""


class Schema:
    """An ordered set of :class:`Param` and cross-field :class:`Rule`; validates values."""

    def __init__(self, params: Iterable[Param] = (), rules: Iterable[Rule] = ()) -> None:
        self._params: dict[str, Param] = {}
        for param in params:
            if param.name in self._params:
                raise ValueError(f"parameter '{param.name}' declared twice")
            self._params[param.name] = param
        self.rules: tuple[Rule, ...] = tuple(rules)
        for rule in self.rules:
            if rule.param not in self._params:
                raise ValueError(f"rule names unknown parameter '{rule.param}'")

    def __iter__(self) -> Iterator[Param]:
        return iter(self._params.values())

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def names(self) -> list[str]:
        return list(self._params)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self}

    def with_defaults(self, overrides: Mapping[str, Any]) -> Schema:
        """A copy whose defaults are replaced, e.g. a generator's preferred batch size."""
        for name in overrides:
            if name not in self._params:
                raise ValueError(f"cannot override unknown parameter '{name}'")
        return Schema(
            (replace(p, default=overrides[p.name]) if p.name in overrides else p for p in self),
            self.rules,
        )

    def with_labels(self, labels: Mapping[str, str]) -> Schema:
        """A copy with these labels: what the window shows a user ("Learning rate", not "lr")."""
        for name in labels:
            if name not in self._params:
                raise ValueError(f"cannot label unknown parameter '{name}'")
        return Schema(
            (replace(p, label=labels[p.name]) if p.name in labels else p for p in self),
            self.rules,
        )

    def __add__(self, other: Schema) -> Schema:
        return Schema([*self, *other], [*self.rules, *other.rules])

    def validate(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every parameter's value: given ones coerced and checked, the rest their defaults.

        Raises :class:`ParamError` for the first problem :meth:`problems` would list.
        """
        values = dict(values or {})
        unknown = [name for name in values if name not in self._params]
        if unknown:
            known = ", ".join(self._params) or "none"
            raise ParamError(unknown[0], f"unknown parameter (known: {known})")
        result = {p.name: p.coerce(values[p.name]) if p.name in values else p.default for p in self}
        for rule in self.rules:
            message = rule.check(result)
            if message:
                raise ParamError(rule.param, message)
        return result

    def problems(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Every problem with ``values`` by parameter name (the window shows each in place).

        Rules run only when every value is valid on its own, as in :meth:`validate`.
        """
        found: dict[str, str] = {}
        result: dict[str, Any] = {}
        for param in self:
            try:
                result[param.name] = param.coerce(values.get(param.name, param.default))
            except ParamError as error:
                found[param.name] = error.message
        if not found:
            for rule in self.rules:
                message = rule.check(result)
                if message and rule.param not in found:
                    found[rule.param] = message
        return found

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self]


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """Turn command-line ``KEY=VALUE`` strings into a mapping; values are coerced by a Schema."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParamError(pair, "expected KEY=VALUE")
        result[key.strip()] = value
    return result
