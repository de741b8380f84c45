"""`geoclf describe`: the settings of train and predict-raster as declared once (geoclf/config.py), for people or as JSON.

The QGIS plugin builds its parameters from the JSON form, as the GRASS provider
builds its own from GRASS's interface descriptions.
"""

from __future__ import annotations

import json

import click

from .options import debug_option


def description() -> dict:
    """What `describe --json` prints: geoclf's version, the declared settings of train (and cross-validate) and of predict-raster."""
    from .. import __version__
    from ..choices import FOLD_METHODS
    from ..config import MapSettings, TrainingConfig
    from ..settings import describe_settings

    return {
        "geoclf_version": __version__,
        "training_settings": describe_settings(TrainingConfig),
        "fold_methods": list(FOLD_METHODS),
        "map_settings": describe_settings(MapSettings),
        "command_options": {name: command_options(name) for name in PLUGIN_COMMANDS},
    }


PLUGIN_COMMANDS = ("train", "predict-raster", "predict-points", "evaluate", "importance", "areas", "sieve", "vectorize", "make-samples")  # the commands the QGIS plugin runs


def command_options(name: str) -> list[str]:
    """Every option of `geoclf NAME` by its long flag, so the plugin's tests can check each has its parameter."""
    from .main import cli

    return [max(param.opts, key=len) for param in cli.commands[name].params if isinstance(param, click.Option)]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="As JSON: name, flag, label, kind, default, bounds, choices, help.")
@debug_option
def describe(as_json):
    """List the settings of train (and cross-validate) and of predict-raster: flag, default and meaning."""
    described = description()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for title, key in (("train, cross-validate", "training_settings"), ("predict-raster", "map_settings")):
        click.echo(f"{title}:")
        for item in described[key]:
            default = "chosen by geoclf" if item["optional"] else item["default"]
            choices = f" ({', '.join(item['choices'])})" if item["choices"] else ""
            click.echo(f"  {item['flag']:<24} {item['label']}{choices}; default {default}")
            click.echo(f"  {'':<24} {item['help']}")
