"""geoclf/settings.py: each training setting declared once, and the CLI, `describe` and the errors built from it."""

import dataclasses
import json
import math
from pathlib import Path

import pytest

from geoclf.cli.describe import description
from geoclf.cli.main import cli
from geoclf.config import MapSettings, TrainingConfig
from geoclf.errors import SettingError
from geoclf.settings import declared, describe_settings, flag

PLUGIN_DESCRIPTION = Path(__file__).resolve().parents[2] / "qgis_plugin" / "geoclf_processing" / "description.json"


@pytest.mark.parametrize("config_class", [TrainingConfig, MapSettings])
def test_every_field_of_a_settings_class_is_a_declared_setting(config_class):
    assert [item.name for item in declared(config_class)] == [item.name for item in dataclasses.fields(config_class)]
    for item in declared(config_class):
        assert item.metadata["help"].endswith(".") and item.metadata["label"][0].isupper(), item.name


@pytest.mark.parametrize(
    "command, config_class", [("train", TrainingConfig), ("cross-validate", TrainingConfig), ("predict-raster", MapSettings)]
)
def test_each_declaration_is_a_cli_option_with_its_default_and_choices(command, config_class):
    options = {param.name: param for param in cli.commands[command].params}
    for item in declared(config_class):
        option = options[item.name]
        assert option.opts[0] == flag(item.name)
        default = item.default if item.name != "hidden" else ",".join(map(str, item.default))
        assert option.default == default, item.name
        if item.metadata["choices"]:
            assert tuple(option.type.choices) == item.metadata["choices"], item.name


def test_the_cli_options_build_the_config_the_library_would():
    context = cli.commands["train"].make_context("train", ["s.gpkg", "--hidden", "8,4", "--no-calibrate", "--residual"])
    settings = {item.name: context.params[item.name] for item in declared(TrainingConfig)}
    assert TrainingConfig(**settings) == TrainingConfig(hidden=(8, 4), calibrate=False, residual=True)


def test_describe_lists_every_setting_with_its_default_bounds_and_choices():
    described = {item["name"]: item for item in description()["training_settings"]}
    defaults = TrainingConfig()
    assert list(described) == [item.name for item in dataclasses.fields(TrainingConfig)]
    assert described["hidden"]["default"] == "64,64" and described["hidden"]["kind"] == "widths"
    assert described["lr"]["default"] == defaults.lr and described["lr"]["above"] == 0 and described["lr"]["kind"] == "float"
    assert described["weight_decay"]["optional"] and described["weight_decay"]["default"] is None
    assert described["activation"]["choices"] == ["relu", "sigmoid", "tanh"] and not described["activation"]["advanced"]
    assert described["calibrate"]["kind"] == "bool" and described["calibrate"]["default"] is True
    assert description()["fold_methods"][0] == "block"  # the CLI's default fold method comes first
    mapped = {item["name"]: item for item in description()["map_settings"]}
    assert mapped["confidence_measure"]["choices"] == ["top", "entropy"] and mapped["cog"]["default"] is False
    json.dumps(describe_settings(TrainingConfig))  # plain data


def test_the_plugins_description_is_what_describe_prints_now():
    """The plugin builds its parameters from this file: after declaring a setting, run `make plugin-description`."""
    shipped = json.loads(PLUGIN_DESCRIPTION.read_text())
    assert shipped == json.loads(json.dumps(description())), "run `make plugin-description` to regenerate it"


@pytest.mark.parametrize(
    "config, field, fragment",
    [
        (TrainingConfig(lr=0.0), "lr", "must be positive, got 0.0"),
        (TrainingConfig(lr=math.nan), "lr", "must be positive, got nan"),
        (TrainingConfig(dropout=1.0), "dropout", "must be in [0, 1), got 1.0"),
        (TrainingConfig(epochs=10**6), "epochs", "must be in [1, 100000]"),
        (TrainingConfig(seed=-1), "seed", "must be zero or positive, got -1"),
        (TrainingConfig(encoding="fourier", encoding_frequencies=10**9), "encoding_frequencies", "must be in [1, 256]"),
        (TrainingConfig(scaling="robust"), "scaling", "'robust'; choose from standard, minmax"),
        (TrainingConfig(patience=5), "patience", "watches the hold-out loss"),
        (MapSettings(resampling="lanczos"), "resampling", "'lanczos'; choose from nearest, bilinear, cubic, average"),
        (MapSettings(workers=0), "workers", "must be at least 1, got 0"),
        (MapSettings(workers=2, scheduler="tcp://127.0.0.1:1"), "workers", "not both"),
    ],
)
def test_a_broken_setting_is_named_by_its_field_and_each_front_end_shows_its_own_name(config, field, fragment):
    with pytest.raises(SettingError) as caught:
        config.check()
    assert fragment in str(caught.value) and field in str(caught.value)
    on_the_command_line = caught.value.render(flag)
    assert flag(field) in on_the_command_line and fragment in on_the_command_line
    assert "{" not in on_the_command_line
    labelled = caught.value.render(lambda name: f"'{name.upper()}'")
    assert f"'{field.upper()}'" in labelled


def test_a_message_names_every_setting_it_involves():
    with pytest.raises(SettingError) as caught:
        TrainingConfig(patience=5).check()
    assert caught.value.render(flag) == (
        "--patience watches the hold-out loss, but there is no hold-out; give --val-fraction (e.g. 0.2)"
    )
    assert str(caught.value).startswith("patience watches") and "give val_fraction" in str(caught.value)
