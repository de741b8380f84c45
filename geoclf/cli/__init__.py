"""The `geoclf` command: a thin click layer over the library, one module per command group.

Each command parses its options, calls one library function and reports. Errors
the user can fix arrive as GeoclfError and are printed as one line; `--debug`
shows the traceback of anything. The layout follows rasterio's `rio`: shared
options in options.py, the group and the entry point in main.py.
"""

from .main import cli, main

__all__ = ["cli", "main"]
