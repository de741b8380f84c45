"""The `geoclf` group, its commands, and the entry point that turns errors into one line."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import traceback
from pathlib import Path

import click

from .. import __version__
from .areas import areas
from .cleanup import sieve, vectorize
from .describe import describe
from .evaluate import evaluate
from .importance import importance
from .info import info
from .options import debug_option
from .plot import plot
from .predict import predict_points, predict_raster
from .samples import make_samples
from .train import cross_validate, train


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="geoclf")
@debug_option
def cli():
    """Classify a map from labelled sample points with a small neural network.

    \b
      geoclf make-samples spiral samples.gpkg
      geoclf train samples.gpkg -o model.geoclf
      geoclf predict-raster "199000,549000,201000,551000" -m model.geoclf -o classes.tif
    """


for command in (make_samples, train, cross_validate, info, predict_raster, predict_points, evaluate, importance, areas, sieve, vectorize, plot, describe):
    cli.add_command(command)


def _show_warnings_as_lines(showwarning, debug: bool):
    """Every warning as one 'geoclf: warning: ...' line on stderr (a library's names its kind); with --debug,
    other libraries' warnings as Python shows them, with their source line."""
    from ..errors import GeoclfWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, GeoclfWarning):
            click.echo(f"geoclf: warning: {message}", err=True)
        elif debug:
            showwarning(message, category, filename, lineno, file, line)
        else:
            first = (str(message).strip().splitlines() or [""])[0]
            click.echo(f"geoclf: warning: {category.__name__}: {first}", err=True)

    return show


def _quiet_libraries(debug: bool) -> None:
    """Keep GDAL's and matplotlib's own chatter off stderr; geoclf says what failed, in one line.

    GDAL's error lines reach Python's logging through rasterio and would print before
    geoclf's message ('_tiffWriteProc: No space left on device.'); --debug shows them.
    Matplotlib warns at import when HOME is read-only; a private config folder avoids it.
    """
    import logging

    if debug:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    else:
        for name in ("rasterio", "pyogrio", "matplotlib"):
            logging.getLogger(name).addHandler(logging.NullHandler())
    if "MPLCONFIGDIR" not in os.environ and not _writable_folder(_matplotlib_config_folder()):
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="geoclf-matplotlib-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["MPLCONFIGDIR"] = folder


def _matplotlib_config_folder() -> Path:
    """Where matplotlib would keep its config and cache (the XDG folders under HOME, as on Linux)."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "matplotlib"


def _writable_folder(path: Path) -> bool:
    """Whether `path` is, or could be made as, a writable folder (without making it)."""
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # what timeout, systemd, Docker, schedulers and a closed terminal send


class Stopped(BaseException):
    """A stop signal, raised where the program is so that every output's `finally` cleans up, as Ctrl-C does."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame):
    raise Stopped(signum)


_NEGATIVE_NUMBERS = re.compile(r"^-\.?\d[^,]*,")


def _not_an_option(arg) -> str:
    """'-120,30,-110,40 [EPSG:4326]' is an extent west of Greenwich, not an option '-1': a leading space tells click
    so (the extent and number parsers ignore spaces)."""
    arg = str(arg)
    return " " + arg if _NEGATIVE_NUMBERS.match(arg) else arg


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn errors into one line on stderr and a non-zero exit code.

    Run as the `geoclf` program (no `argv`), what C libraries print to the terminal is
    held (c_stderr.py): shown as warnings after a success, dropped behind the error line
    after a failure, or shown in full with --debug.
    """
    from ..threads import prepare_threads

    prepare_threads()  # before anything imports torch
    args = [_not_an_option(a) for a in (sys.argv[1:] if argv is None else argv)]
    debug = "--debug" in args
    _quiet_libraries(debug)
    if argv is not None:
        return _run(args, debug)
    from .c_stderr import held_c_stderr

    for stop in STOP_SIGNALS:
        if signal.getsignal(stop) is not signal.SIG_IGN:  # `nohup geoclf ...` asked to outlive the terminal: let it
            signal.signal(stop, _stop)

    with held_c_stderr() as held:
        code = _run(args, debug)
    for line in held:
        if code == 0 or debug:
            click.echo(line if debug else f"geoclf: warning: {line}", err=True)
    return code


def _run(args: list[str], debug: bool) -> int:
    import warnings

    from ..errors import GeoclfError, SettingError
    from ..settings import flag

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warnings_as_lines(warnings.showwarning, debug)
            result = cli.main(args=args, prog_name="geoclf", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:
        click.echo("geoclf: interrupted; no output was written", err=True)
        return 130
    except Stopped as stopped:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            click.echo(f"geoclf: stopped by {signal.Signals(stopped.signum).name}; no output was written", err=True)
        return 128 + stopped.signum
    except click.UsageError as error:  # click's three-line usage message, as one line
        command = error.ctx.command_path if error.ctx else "geoclf"
        click.echo(f"geoclf: error: {error.format_message()} (see '{command} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        click.echo(f"geoclf: error: {error.format_message()}", err=True)
        return error.exit_code
    except GeoclfError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"geoclf: error: {error.render(flag) if isinstance(error, SettingError) else error}", err=True)
        return 1
    except Exception as error:  # a bug, not bad input: say so, still in one line
        if debug:
            traceback.print_exc()
        click.echo(f"geoclf: internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)", err=True)
        return 1
