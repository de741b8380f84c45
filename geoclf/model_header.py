"""A model file's header, read and checked field by field before any weight is allocated.

The file is safetensors: 8 bytes of header length, a JSON header (geoclf's metadata and
a table of the tensors' shapes and offsets), then the tensors. Everything a hostile or
damaged file could use to make geoclf allocate gigabytes or draw a wrong map (widths,
frequencies, scaling, temperature, extent) is checked here, from the header alone, and
a failure names the field. Only then does model.py read the weights.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

import numpy as np

from .errors import GeoclfError

FORMAT = "geoclf-model"
FORMAT_VERSION = 6  # 2: location encodings, residual blocks, dropout, temperature; 3: binned inputs; 4: blends;
# 5: detail near the samples; 6: a blend's shares far from them. Older files load
METADATA_KEY = "geoclf"
SAMPLE_POINTS = "sample_points"  # a tensor beside the network's weights
MAX_HEADER_BYTES = 64 * 2**20  # a million-class model would not need it; a bigger one is not ours
MAX_INPUTS = 4096


@dataclass(frozen=True)
class Header:
    """What the header says: geoclf's metadata, each tensor's shape, and where the tensors end."""

    meta: dict
    shapes: dict[str, tuple[int, ...]]
    size: int  # bytes the whole file must have

    @classmethod
    def parse(cls, start: bytes, name: str) -> "Header":
        """The header from the file's first bytes (8 + its length suffice): refused if not a geoclf model."""
        not_ours = NotAModel(name)
        if len(start) < 8:
            raise not_ours
        (length,) = struct.unpack("<Q", start[:8])
        if length > MAX_HEADER_BYTES or len(start) < 8 + length:
            raise not_ours
        try:
            table = json.loads(start[8 : 8 + length])
            meta = json.loads(table.pop("__metadata__")[METADATA_KEY])
            shapes = {key: tuple(int(n) for n in entry["shape"]) for key, entry in table.items()}
            end = max((int(entry["data_offsets"][1]) for entry in table.values()), default=0)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            raise not_ours from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise not_ours
        return cls(meta, shapes, 8 + length + end)

    @staticmethod
    def length_needed(first8: bytes) -> int:
        """How many bytes from the start hold the header, or 0 if they cannot (not a safetensors file)."""
        if len(first8) < 8:
            return 0
        (length,) = struct.unpack("<Q", first8[:8])
        return 8 + length if length <= MAX_HEADER_BYTES else 0


class NotAModel(GeoclfError):
    def __init__(self, name: str):
        super().__init__(f"{name} is not a geoclf model (corrupt, truncated or another kind of file); train it again with `geoclf train`")


def field_error(name: str, field: str, problem: str) -> GeoclfError:
    """One line that names the file, the field and what is wrong with it."""
    return GeoclfError(f"{name}: the model file's {field!r} {problem}; the file was changed or damaged, train the model again")


def check_format_version(meta: dict, name: str) -> int:
    """The format version as a number; a newer one than this geoclf reads asks for an upgrade."""
    version = meta.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise field_error(name, "format_version", f"must be a whole number, got {version!r}")
    if version > FORMAT_VERSION:
        raise GeoclfError(
            f"{name} was written by geoclf {meta.get('geoclf_version')} (model format {version}); upgrade geoclf to read it"
        )
    return version


def check_fields(meta: dict, name: str) -> None:
    """Every field the map depends on: types, sizes, finiteness, and that they agree with one another."""
    for field, kind in (("architecture", dict), ("scaling", dict), ("inputs", list), ("classes", list), ("colors", list),
                        ("extent", list), ("training", dict), ("metrics", dict), ("history", list)):
        if not isinstance(meta.get(field, kind()), kind):
            raise field_error(name, field, f"must be a {'JSON object' if kind is dict else 'list'}, got {meta.get(field)!r:.60}")
    classes, colors, inputs = meta.get("classes", []), meta.get("colors", []), meta.get("inputs", [])
    if not classes or not all(isinstance(c, str) for c in classes) or len(set(classes)) != len(classes):
        raise field_error(name, "classes", "must be a list of distinct class names")
    if len(colors) != len(classes) or not all(isinstance(c, str) and _is_hex_colour(c) for c in colors):
        raise field_error(name, "colors", f"must hold one '#rrggbb' colour per class ({len(classes)})")
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise field_error(name, "inputs", f"must list 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    _check_scaling(meta.get("scaling", {}), len(inputs), name)
    temperature = meta.get("temperature", 1.0)
    if not _is_number(temperature) or not 0 < temperature < math.inf:
        raise field_error(name, "temperature", f"must be a positive finite number, got {temperature!r}")
    extent = meta.get("extent")
    if not (isinstance(extent, list) and len(extent) == 4 and all(_is_number(v) and math.isfinite(v) for v in extent)):
        raise field_error(name, "extent", f"must be four finite numbers xmin, ymin, xmax, ymax, got {extent!r:.60}")
    if extent[0] > extent[2] or extent[1] > extent[3]:
        raise field_error(name, "extent", f"is inverted: {extent}")
    crs = meta.get("crs")
    if crs is not None:
        _check_crs(crs, name)
    if not isinstance(meta.get("label", ""), str):
        raise field_error(name, "label", "must be text")


def check_tensors(header: Header, expected: dict[str, tuple[int, ...]], name: str) -> None:
    """The file's tensors are exactly the network's (same names, same shapes), plus the sample points."""
    shapes = dict(header.shapes)
    points = shapes.pop(SAMPLE_POINTS, None)
    if points is not None and (len(points) != 2 or points[1] != 2):
        raise field_error(name, SAMPLE_POINTS, f"must be n x 2 coordinates, got shape {points}")
    if shapes != expected:
        raise field_error(name, "architecture", "does not match the weights stored beside it")


def _check_scaling(scaling: dict, inputs: int, name: str) -> None:
    from .choices import SCALINGS

    if scaling.get("method") not in SCALINGS:
        raise field_error(name, "scaling.method", f"must be one of {', '.join(SCALINGS)}, got {scaling.get('method')!r:.40}")
    for part in ("offset", "scale"):
        values = scaling.get(part)
        if not isinstance(values, list) or len(values) != inputs or not all(_is_number(v) for v in values):
            raise field_error(name, f"scaling.{part}", f"must hold one number per input ({inputs})")
        if not np.isfinite(values).all():
            raise field_error(name, f"scaling.{part}", "holds a number that is not finite")
    if not (np.asarray(scaling["scale"], dtype=float) > 0).all():
        raise field_error(name, "scaling.scale", "must be positive for every input (a zero spread would divide by zero)")


def _check_crs(crs, name: str) -> None:
    import pyproj

    if not isinstance(crs, str):
        raise field_error(name, "crs", f"must be WKT text, got {crs!r:.60}")
    try:
        pyproj.CRS.from_wkt(crs)
    except pyproj.exceptions.CRSError:
        raise field_error(name, "crs", f"is not a CRS pyproj can read ({crs[:40]!r}...)") from None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_hex_colour(text: str) -> bool:
    return len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
