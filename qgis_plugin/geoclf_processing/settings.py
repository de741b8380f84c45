"""geoclf's settings as QGIS parameters, built from geoclf's own description of them.

description.json is what `geoclf describe --json` prints (regenerate it with
`make plugin-description`; a test checks it is current), as the GRASS provider builds
its algorithms from GRASS's interface descriptions. So every setting geoclf declares
reaches the dialog with geoclf's label, default, bounds and help, and nothing here
repeats a choice list or a default.
"""

import html
import json
import os
import re

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

DESCRIPTION = os.path.join(os.path.dirname(__file__), "description.json")
_described = {}


def description():
    """The parsed description.json (read once)."""
    if not _described:
        with open(DESCRIPTION, encoding="utf-8") as stream:
            _described.update(json.load(stream))
    return _described


def training_settings():
    """What train (and cross-validate) take besides the inputs."""
    return description()["training_settings"]


def map_settings():
    """What predict-raster takes besides the grid, the outputs and the mask."""
    return description()["map_settings"]


def parameter_name(setting):
    """A setting's Processing parameter name: its field name in capitals (lr -> LR)."""
    return setting["name"].upper()


def setting_parameter(setting):
    """The QGIS parameter of one described setting, with geoclf's label, default, bounds, help and advanced flag."""
    name, label, default = parameter_name(setting), setting["label"], setting["default"]
    if setting["choices"]:
        parameter = QgsProcessingParameterEnum(name, label, options=setting["choices"], defaultValue=setting["choices"].index(default))
    elif setting["kind"] == "bool":
        parameter = QgsProcessingParameterBoolean(name, label, defaultValue=default)
    elif setting["kind"] in ("int", "float"):
        number = QgsProcessingParameterNumber.Integer if setting["kind"] == "int" else QgsProcessingParameterNumber.Double
        bounds = {}
        low = setting["minimum"] if setting["minimum"] is not None else setting["above"]
        high = setting["maximum"] if setting["maximum"] is not None else setting["below"]
        if low is not None:
            bounds["minValue"] = low
        if high is not None:
            bounds["maxValue"] = high
        parameter = QgsProcessingParameterNumber(name, label, number, default, setting["optional"], **bounds)
    else:
        parameter = QgsProcessingParameterString(name, label, defaultValue=default, optional=setting["optional"])
    parameter.setHelp(setting["help"] + (" Empty: geoclf chooses." if setting["optional"] else ""))
    if setting["advanced"]:
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return parameter


def settings_help(settings):
    """The settings explained for the algorithm's help panel, in geoclf's words: "<b>Label</b>: help" per line."""
    lines = []
    for setting in settings:
        chosen = " Empty: geoclf chooses." if setting["optional"] else ""
        lines.append(f"<b>{html.escape(setting['label'])}</b> ({setting['flag']}): {html.escape(setting['help'])}{chosen}")
    return "<br>".join(lines)


def setting_arguments(algorithm, parameters, context, settings):
    """The command-line arguments for the `settings` the user changed; geoclf's own defaults apply to the rest."""
    arguments = []
    for setting in settings:
        name, flag, kind = parameter_name(setting), setting["flag"], setting["kind"]
        if setting["choices"]:
            value = setting["choices"][algorithm.parameterAsEnum(parameters, name, context)]
        elif kind == "bool":
            value = algorithm.parameterAsBoolean(parameters, name, context)
        elif kind in ("int", "float"):
            if parameters.get(name) in (None, ""):  # an optional number left empty: geoclf chooses it
                continue
            value = algorithm.parameterAsInt(parameters, name, context) if kind == "int" else algorithm.parameterAsDouble(parameters, name, context)
        else:
            value = algorithm.parameterAsString(parameters, name, context).strip()
            if not value and setting["optional"]:
                continue
        if value == setting["default"]:
            continue
        if kind == "bool":
            arguments.append(flag if value else "--no-" + flag[2:])
        else:
            arguments += [flag, repr(value) if kind == "float" else str(value)]
    return arguments


def in_labels(message, labels=None):
    """A geoclf message with each setting's --flag, and each flag of `labels`, shown as its dialog label:
    "'Learning rate' must be ...", "'Pixel size' must be ..."."""
    named = {setting["flag"]: setting["label"] for setting in training_settings() + map_settings()}
    named.update(labels or {})
    for flag, label in named.items():
        message = re.sub(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", f"'{label}'", message)
    return message
