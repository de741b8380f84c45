"""The MLP (network.py): shapes, which input each first-layer column comes from, and the checks."""

import pytest
import torch

from geoclf.encoding import Binning, Encoding
from geoclf.errors import SettingError
from geoclf.network import Architecture, resolve_device


def _linears(network):
    return [m for m in network.modules() if isinstance(m, torch.nn.Linear)]


def test_a_plain_mlp_has_one_linear_per_width_and_one_logit_per_class():
    network = Architecture(3, (8, 5), 4).build()
    assert [(m.in_features, m.out_features) for m in _linears(network)] == [(3, 8), (8, 5), (5, 4)]
    assert network(torch.zeros(7, 3)).shape == (7, 4)
    assert Architecture(3, (8, 5), 4).describe() == "3-8-5-4 MLP, relu"


def test_a_residual_mlp_adds_blocks_of_its_width():
    network = Architecture(2, (6, 6, 6), 3, residual=True, dropout=0.1).build()
    assert network(torch.zeros(4, 2)).shape == (4, 3)
    assert sum(isinstance(m, torch.nn.LayerNorm) for m in network.modules()) == 3  # two blocks and the final norm
    with pytest.raises(SettingError, match="residual needs equal hidden widths"):
        Architecture(2, (6, 4), 3, residual=True)


def test_input_sources_say_which_input_each_first_layer_column_comes_from():
    plain = Architecture(3, (4,), 2)
    assert plain.input_sources() == [0, 1, 2]
    encoded = Architecture(3, (4,), 2, encoding=Encoding("sinusoidal", 1, 1.0, (0, 1)))
    assert encoded.input_sources() == [2] + [0] * 6  # the other input first; x, y and a sine and cosine per octave and axis: the location
    binned = Architecture(3, (4,), 2, binning=Binning(2, (2,), ((0.0, 0.5, 1.0),)))
    assert binned.input_sources() == [0, 1, 2, 2]
    for architecture in (plain, encoded, binned):
        assert _linears(architecture.build())[0].in_features == len(architecture.input_sources())


def test_the_meta_device_gives_shapes_without_memory():
    network = Architecture(2, (4096, 4096), 3).build(device="meta")
    assert all(p.is_meta for p in network.parameters())
    assert _linears(network)[1].weight.shape == (4096, 4096)


def test_an_architecture_round_trips_through_its_dict():
    architecture = Architecture(3, (8, 8), 2, "tanh", Encoding("fourier", 4, 1.0, (0, 1)), True, 0.2, Binning(2, (2,), ((0.0, 0.5, 1.0),)))
    assert Architecture.from_dict(architecture.to_dict()) == architecture


@pytest.mark.parametrize("kwargs, needle", [
    ({"hidden": ()}, "hidden needs 1 to 32 layer widths"),
    ({"hidden": (5000,)}, "of 1 to 4096"),
    ({"activation": "gelu"}, "unknown activation 'gelu'"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_bad_architectures_name_the_setting(kwargs, needle):
    with pytest.raises(SettingError, match=needle):
        Architecture(**{"inputs": 2, "hidden": (4,), "outputs": 3, **kwargs})


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(SettingError, match="unknown device 'tpu'"):
        resolve_device("tpu")
