"""Input encodings (encoding.py): small exact cases for the location encodings and the binning."""

import numpy as np
import pytest
import torch

from geoclf.encoding import Binning, Encoding, spherical_spread, unit_vectors
from geoclf.errors import SettingError


def test_sinusoidal_octaves_double_per_axis_and_the_width_counts_them():
    encoding = Encoding("sinusoidal", frequencies=3, scale=0.5, columns=(0, 1))
    matrix = encoding.frequency_matrix()
    assert matrix.tolist() == [[0.5, 0], [1, 0], [2, 0], [0, 0.5], [0, 1], [0, 2]]
    assert encoding.width(3) == 1 + 2 + 2 * 6  # the other input, x and y, then a sine and a cosine per row


def test_the_encoder_passes_other_inputs_first_then_x_y_and_their_sines_and_cosines():
    encoding = Encoding("sinusoidal", frequencies=1, scale=0.25, columns=(1, 2))
    inputs = torch.tensor([[7.0, 1.0, 2.0]])
    out = encoding.build()(inputs)
    phase = 2 * np.pi * 0.25 * np.array([1.0, 2.0])
    assert np.allclose(out.numpy(), [[7.0, 1.0, 2.0, *np.sin(phase), *np.cos(phase)]], atol=1e-6)


def test_fourier_frequencies_follow_the_seed():
    first = Encoding("fourier", frequencies=8, columns=(0, 1), seed=3).frequency_matrix()
    assert np.array_equal(first, Encoding("fourier", frequencies=8, columns=(0, 1), seed=3).frequency_matrix())
    assert not np.array_equal(first, Encoding("fourier", frequencies=8, columns=(0, 1), seed=4).frequency_matrix())


def test_an_encoding_round_trips_through_its_dict():
    encoding = Encoding("fourier", 4, 2.0, (0, 1), True, 0.1, 5)
    assert Encoding.from_dict(encoding.to_dict()) == encoding
    assert Encoding.from_dict(None) == Encoding() and not Encoding().active


@pytest.mark.parametrize("kwargs, needle", [
    ({"kind": "wavelet"}, "unknown encoding 'wavelet'"),
    ({"kind": "sinusoidal", "frequencies": 30}, "are octaves: at most 24"),
    ({"kind": "fourier", "scale": 0.0}, "encoding_scale must be positive"),
])
def test_bad_encodings_name_the_setting(kwargs, needle):
    with pytest.raises(SettingError, match=needle):
        Encoding(**kwargs)


def test_unit_vectors_and_spread_on_the_sphere():
    points = np.radians([[0.0, 0.0], [90.0, 0.0], [0.0, 90.0]])
    assert np.allclose(unit_vectors(points), np.eye(3), atol=1e-12)
    assert spherical_spread(np.array([[10.0, 20.0], [10.0, 20.0]])) == pytest.approx(1e-6)  # one place: the floor
    assert spherical_spread(np.array([[0.0, 0.0], [2.0, 0.0]])) == pytest.approx(np.radians(1.0), rel=1e-4)


def test_binning_replaces_each_binned_column_by_its_bins():
    scaled = np.column_stack([np.linspace(-1, 1, 50), np.linspace(0, 3, 50), np.zeros(50)])
    binning = Binning.fit(scaled, candidates=(1, 2), bins=4)
    assert binning.columns == (1,)  # a column of one value stays raw
    assert len(binning.edges[0]) == 5 and binning.width(3) == 3 - 1 + 4
    encoded = binning.build([1])(torch.from_numpy(scaled).float())
    assert encoded.shape == (50, 6)
    assert torch.equal(encoded[:, :2], torch.from_numpy(scaled[:, [0, 2]]).float())  # the others, first, unchanged
    assert Binning.from_dict(binning.to_dict()) == binning
    with pytest.raises(SettingError, match="feature_bins must be 0"):
        Binning(1)
