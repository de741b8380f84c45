"""The teaching texts reproduced: the NumPy network's gradients, its training run, cross-entropy three ways, ReLU."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import geoclf

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import cross_entropy  # noqa: E402
import scratch_network as scratch  # noqa: E402
import why_relu  # noqa: E402
from conftest import assert_real_picture  # noqa: E402

RNG = np.random.default_rng(42)


def relative_error(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


def numerical_gradient(f, array: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of `array` (changed in place, restored)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + h
        up = f()
        array[index] = kept - h
        down = f()
        array[index] = kept
        grad[index] = (up - down) / (2 * h)
    return grad


def test_affine_backward():
    x, W, b = RNG.standard_normal((5, 4)), RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    dout = RNG.standard_normal((5, 3))
    layer = scratch.Affine(W, b)
    layer.forward(x)
    dx = layer.backward(dout)
    dW, db = (g.copy() for g in layer.grads)
    loss = lambda: float((layer.forward(x) * dout).sum())  # noqa: E731
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-6
    assert relative_error(dW, numerical_gradient(loss, W)) < 1e-6
    assert relative_error(db, numerical_gradient(loss, b)) < 1e-6
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    (tx @ tW + tb).backward(torch.tensor(dout))
    for ours, theirs in ((dx, tx.grad), (dW, tW.grad), (db, tb.grad)):
        assert relative_error(ours, theirs.numpy()) < 1e-6


def test_sigmoid_backward():
    x, dout = RNG.standard_normal((6, 4)) * 3, RNG.standard_normal((6, 4))
    layer = scratch.Sigmoid()
    layer.forward(x)
    dx = layer.backward(dout)
    assert relative_error(dx, numerical_gradient(lambda: float((layer.forward(x) * dout).sum()), x)) < 1e-6
    tx = torch.tensor(x, requires_grad=True)
    torch.sigmoid(tx).backward(torch.tensor(dout))
    assert relative_error(dx, tx.grad.numpy()) < 1e-6


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_backward(one_hot):
    x, t = RNG.standard_normal((8, 3)) * 2, RNG.integers(0, 3, 8)
    layer = scratch.SoftmaxWithLoss()
    labels = np.eye(3)[t] if one_hot else t
    loss = layer.forward(x, labels)
    dx = layer.backward()
    np.testing.assert_allclose(dx, (scratch.softmax(x) - np.eye(3)[t]) / 8)  # (y - t) / batch
    assert relative_error(dx, numerical_gradient(lambda: layer.forward(x, labels), x)) < 1e-6
    tx = torch.tensor(x, requires_grad=True)
    torch_loss = torch.nn.functional.cross_entropy(tx, torch.tensor(t))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    assert relative_error(dx, tx.grad.numpy()) < 1e-6


def test_two_layer_net_matches_torch_autograd():
    model = scratch.TwoLayerNet(2, 10, 3, np.random.default_rng(0))
    for p in model.params:  # larger weights than the 0.01 start, so every gradient is well away from 0
        p *= 100
    x, t = RNG.standard_normal((30, 2)), RNG.integers(0, 3, 30)
    loss = model.forward(x, t)
    model.backward()
    W1, b1, W2, b2 = (torch.tensor(p, requires_grad=True) for p in model.params)
    tx = torch.tensor(x)
    torch_loss = torch.nn.functional.cross_entropy(torch.sigmoid(tx @ W1 + b1) @ W2 + b2, torch.tensor(t))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for ours, theirs in zip(model.grads, (W1, b1, W2, b2)):
        assert relative_error(ours, theirs.grad.numpy()) < 1e-6


def test_weights_start_small():
    model = scratch.TwoLayerNet(2, 10, 3, np.random.default_rng(0))
    W1, b1, W2, b2 = model.params
    assert 0.005 < W1.std() < 0.02 and not b1.any() and not b2.any() and W2.shape == (10, 3)


def test_the_text_training_run():
    x, t = geoclf.spiral_xy(per_class=100, noise=0.2, seed=0)
    lines = []
    model, losses = scratch.train(x, t, hidden_size=10, lr=1.0, batch_size=30, max_epoch=300, report=lines.append)
    assert len(lines) == 300
    assert re.fullmatch(r"\| epoch 1 \| iter 10 / 10 \| loss \d\.\d\d", lines[0])
    assert lines[-1].startswith("| epoch 300 | iter 10 / 10 | loss ")
    assert losses[0] > 1.0  # starts near ln 3 = 1.10
    assert 0.07 < losses[-1] < 0.15  # the text: about 0.11
    assert np.mean(np.diff(losses[:100]) < 0) > 0.6  # it falls
    assert (model.predict(x).argmax(axis=1) == t).mean() >= 0.95


def test_cross_entropy_three_ways_agree():
    logits, target = torch.randn(1, 10), torch.tensor([1])
    fused, two_step, by_hand = cross_entropy.three_ways(logits, target)
    assert abs(fused - two_step) < 1e-6 and abs(fused - by_hand) < 1e-6
    logits, target = torch.randn(16, 10), torch.randint(0, 10, (16,))
    fused, two_step, by_hand = cross_entropy.three_ways(logits, target)
    assert abs(fused - two_step) < 1e-6 and abs(fused - by_hand) < 1e-6
    assert abs(fused - cross_entropy.per_sample(logits, target).mean()) < 1e-6


def test_fused_cross_entropy_is_stable_where_softmax_then_log_is_not():
    big, target = torch.tensor([[100.0, 90.0, 0.0]]), torch.tensor([1])
    assert torch.isfinite(cross_entropy.three_ways(big, target)[0])
    assert cross_entropy.three_ways(big, target)[0].item() == pytest.approx(10.0, abs=1e-3)
    assert not torch.isfinite(cross_entropy.naive_softmax_then_log(big, target))


def test_sigmoid_gradients_vanish_relu_gradients_do_not():
    sigmoid, relu = why_relu.gradient_norms("sigmoid", 10), why_relu.gradient_norms("relu", 10)
    assert len(sigmoid) == len(relu) == 11
    assert sigmoid[0] / sigmoid[-1] < 1e-6  # the first layer gets almost nothing
    assert relu[0] > 1000 * sigmoid[0]


@pytest.mark.parametrize("script, picture", [("scratch_network.py", "scratch_decision_map.png"), ("why_relu.py", "why_relu.png"), ("cross_entropy.py", None)])
def test_examples_run_from_the_command_line(tmp_path, script, picture):
    args = [sys.executable, str(EXAMPLES / script)] + (["--out-dir", str(tmp_path)] if picture else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    if picture:
        assert_real_picture(tmp_path / picture)
    else:
        assert "their mean" in done.stdout
