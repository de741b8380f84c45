"""The `geoclf` group, its commands, and the entry point that turns errors into one line."""

from __future__ import annotations

import sys
import traceback

import click

from .. import __version__
from .describe import describe
from .evaluate import evaluate
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


for command in (make_samples, train, cross_validate, info, predict_raster, predict_points, evaluate, plot, describe):
    cli.add_command(command)


def _show_warnings_as_lines(showwarning):
    """geoclf's own warnings as one 'geoclf: warning: ...' line each on stderr; others as Python shows them."""
    from ..errors import GeoclfWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, GeoclfWarning):
            click.echo(f"geoclf: warning: {message}", err=True)
        else:
            showwarning(message, category, filename, lineno, file, line)

    return show


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn errors into one line on stderr and a non-zero exit code."""
    import warnings

    from ..errors import GeoclfError, SettingError
    from ..settings import flag

    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warnings_as_lines(warnings.showwarning)
            result = cli.main(args=args, prog_name="geoclf", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:
        click.echo("geoclf: interrupted; no output was written", err=True)
        return 130
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
