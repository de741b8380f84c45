"""Each setting declared once, as field metadata on a config dataclass: default, bounds, choices, help, label.

The command line generates its options from these declarations (geoclf/cli/options.py),
`geoclf describe --json` prints them, and the QGIS plugin builds its parameters from
that description, so a new setting reaches both by being declared here. Errors about a
setting name it as a field (`SettingError`); each front end shows its own name for it.
"""

from __future__ import annotations

import typing
from dataclasses import MISSING, Field, field, fields

from .errors import SettingError


def setting(default, help: str, label: str, *, choices=None, minimum=None, maximum=None, above=None, below=None,
            advanced: bool = True, kind: str | None = None) -> Field:
    """A dataclass field that declares an option: `minimum`/`maximum` are inclusive bounds, `above`/`below` strict ones.

    A default of None means "geoclf chooses it" (say how in `help`). `kind` overrides
    the type read from the annotation; "widths" is a comma-separated list of integers.
    """
    metadata = {
        "help": help, "label": label, "choices": tuple(choices) if choices else None, "advanced": advanced, "kind": kind,
        "minimum": minimum, "maximum": maximum, "above": above, "below": below,
    }
    return field(default=default, metadata=metadata)


def flag(name: str) -> str:
    """The command-line option of a field: hidden_size -> --hidden-size."""
    return "--" + name.replace("_", "-")


def value_kind(config_class, item: Field) -> str:
    """'bool', 'int', 'float', 'str' or 'widths': what the option holds, from its declaration or its annotation."""
    if item.metadata.get("kind"):
        return item.metadata["kind"]
    annotation = typing.get_type_hints(config_class)[item.name]
    candidates = [t for t in typing.get_args(annotation) if t is not type(None)] or [annotation]
    return candidates[0].__name__


def declared(config_class) -> list[Field]:
    """The fields of `config_class` that are options (declared with `setting`)."""
    return [item for item in fields(config_class) if "help" in item.metadata]


def describe_settings(config_class) -> list[dict]:
    """The declarations as plain data (the `geoclf describe --json` form): one dict per option, in declaration order."""
    described = []
    for item in declared(config_class):
        meta = item.metadata
        default = item.default if item.default is not MISSING else None
        kind = value_kind(config_class, item)
        described.append({
            "name": item.name,
            "flag": flag(item.name),
            "label": meta["label"],
            "kind": kind,
            "default": ",".join(map(str, default)) if kind == "widths" else default,
            "optional": default is None,
            "choices": list(meta["choices"]) if meta["choices"] else None,
            **{bound: meta[bound] for bound in ("minimum", "maximum", "above", "below")},
            "advanced": meta["advanced"],
            "help": meta["help"],
        })
    return described


def check_settings(config) -> None:
    """Every declared choice and bound of `config`'s values; raises SettingError naming the first one broken."""
    for item in declared(type(config)):
        value, meta = getattr(config, item.name), item.metadata
        if value is None:
            continue
        if meta["choices"] and value not in meta["choices"]:
            raise SettingError(f"unknown {{{item.name}}} {{value!r}}; choose from {{allowed}}", value=value,
                               allowed=", ".join(meta["choices"]))
        broken = _broken_bound(value, meta)
        if broken:
            raise SettingError(f"{{{item.name}}} must be {broken}, got {{value}}", value=value)


def _broken_bound(value, meta) -> str | None:
    """The bound `value` breaks, in words ('at least 1', 'in [0, 1)'), or None; NaN breaks every bound."""
    low_inclusive, high_inclusive = meta["minimum"] is not None, meta["maximum"] is not None
    low = meta["minimum"] if low_inclusive else meta["above"]
    high = meta["maximum"] if high_inclusive else meta["below"]
    low_ok = low is None or (value >= low if low_inclusive else value > low)
    high_ok = high is None or (value <= high if high_inclusive else value < high)
    if low_ok and high_ok and value == value:
        return None
    if low is None and high is None:
        return "a number"
    if low is not None and high is not None:
        return f"in {'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
    if low is not None:
        if low == 0:
            return "zero or positive" if low_inclusive else "positive"
        return f"at least {low:g}" if low_inclusive else f"above {low:g}"
    return f"at most {high:g}" if high_inclusive else f"below {high:g}"
