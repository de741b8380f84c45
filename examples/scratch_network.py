"""The teaching text's network, from scratch in NumPy: layers with forward and backward.

    .venv/bin/python examples/scratch_network.py [--out-dir examples/output]

A two-layer network (Affine -> Sigmoid -> Affine -> SoftmaxWithLoss) learns the
three-species spiral that `geoclf make-samples spiral` writes, with the text's setup:
hidden 10, plain SGD with learning rate 1.0, batches of 30, 300 epochs. It prints the
loss every 10 iterations as the text does, then draws its decision map with geoclf's
own plotting, new points classified on top (the text's last figure).

geoclf itself does the same job with torch (`geoclf train ... --hidden 10 --activation
sigmoid --optimizer sgd --lr 1.0 --batch-size 30 --epochs 300 --lr-schedule constant`);
this file shows what torch does underneath.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# -- layers: each keeps what backward needs from forward -----------------------------------


class Affine:
    """out = x W + b. Backward: dx = dout W^T, dW = x^T dout, db = sum of dout over the batch."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class Sigmoid:
    """out = 1 / (1 + exp(-x)). Backward: dout * out * (1 - out), from the cached output."""

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps exp() from overflowing."""
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """Mean of -log y[class] over the batch; t holds class indices.

    The text adds 1e-7 inside the log to avoid log(0); clipping at the smallest positive
    float does the same without shifting the loss, so the backward (y - t) / batch stays exact.
    """
    batch = y.shape[0]
    return float(-np.log(np.maximum(y[np.arange(batch), t], np.finfo(y.dtype).tiny)).sum() / batch)


class SoftmaxWithLoss:
    """Softmax and cross-entropy in one layer: its backward is simply (y - t) / batch."""

    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.t = t.argmax(axis=1) if t.ndim == 2 else t  # one-hot or indices
        self.y = softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        batch = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch), self.t] -= 1
        return dx * dout / batch


# -- the network and its optimizer -------------------------------------------------------


class TwoLayerNet:
    """Affine -> Sigmoid -> Affine, ending in SoftmaxWithLoss; weights start at 0.01 * N(0, 1)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, rng: np.random.Generator | None = None):
        rng = rng or np.random.default_rng(0)
        W1 = 0.01 * rng.standard_normal((input_size, hidden_size))
        b1 = np.zeros(hidden_size)
        W2 = 0.01 * rng.standard_normal((hidden_size, output_size))
        b2 = np.zeros(output_size)
        self.layers = [Affine(W1, b1), Sigmoid(), Affine(W2, b2)]
        self.loss_layer = SoftmaxWithLoss()
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def predict(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.loss_layer.forward(self.predict(x), t)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class SGD:
    """Plain stochastic gradient descent: param -= lr * grad, in place."""

    def __init__(self, lr: float = 1.0):
        self.lr = lr

    def update(self, params, grads) -> None:
        for param, grad in zip(params, grads):
            param -= self.lr * grad


# -- the text's training run -------------------------------------------------------------


def train(x, t, hidden_size=10, lr=1.0, batch_size=30, max_epoch=300, seed=0, report=print):
    """Train on (x, class indices t) as the text does; returns the model and the reported average losses."""
    rng = np.random.default_rng(seed)
    model = TwoLayerNet(x.shape[1], hidden_size, int(t.max()) + 1, rng)
    optimizer = SGD(lr)
    max_iters = len(x) // batch_size
    total, count, reported = 0.0, 0, []
    for epoch in range(max_epoch):
        order = rng.permutation(len(x))
        x, t = x[order], t[order]
        for iteration in range(max_iters):
            batch = slice(iteration * batch_size, (iteration + 1) * batch_size)
            total += model.forward(x[batch], t[batch])
            count += 1
            model.backward()
            optimizer.update(model.params, model.grads)
            if (iteration + 1) % 10 == 0:
                average = total / count
                reported.append(average)
                if report:
                    report(f"| epoch {epoch + 1} | iter {iteration + 1} / {max_iters} | loss {average:.2f}")
                total, count = 0.0, 0
    return model, reported


def main():
    parser = argparse.ArgumentParser(description="The teaching text's from-scratch network on the spiral.")
    parser.add_argument("--out-dir", type=Path, default=Path("examples/output"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import geopandas as gpd

    import geoclf
    from geoclf.colors import class_colors
    from geoclf.plotting import plot_classes, save_figure

    x, t = geoclf.spiral_xy(per_class=100, noise=0.2, seed=args.seed)  # the data `geoclf make-samples` writes
    model, losses = train(x, t, seed=args.seed)
    accuracy = float((model.predict(x).argmax(axis=1) == t).mean())
    print(f"loss {losses[0]:.2f} -> {losses[-1]:.2f}, training accuracy {accuracy:.3f}")

    # The decision map: every cell of a geoclf Grid over the plane, classified by the NumPy network.
    grid = geoclf.Grid.from_bounds((-1.1, -1.1, 1.1, 1.1), None, size=(400, 400))
    cx, cy = grid.cell_centers(next(grid.windows(block=400)))
    codes = model.predict(np.column_stack([cx, cy])).argmax(axis=1).reshape(grid.height, grid.width)
    names = list(geoclf.SPIRAL_SPECIES)
    samples = gpd.GeoDataFrame({"species": np.asarray(names)[t]}, geometry=gpd.points_from_xy(x[:, 0], x[:, 1]))
    new = np.random.default_rng(args.seed + 1).uniform(-1, 1, size=(12, 2))  # new places to classify
    points = gpd.GeoDataFrame(
        {"predicted": np.asarray(names)[model.predict(new).argmax(axis=1)]}, geometry=gpd.points_from_xy(new[:, 0], new[:, 1])
    )
    left, bottom, right, top = grid.bounds
    figure = plot_classes(
        codes, (left, right, bottom, top), names, class_colors(len(names)), None, samples, "species", points,
        title=f"NumPy TwoLayerNet on the spiral: loss {losses[-1]:.2f}, accuracy {accuracy:.3f}",
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    save_figure(figure, args.out_dir / "scratch_decision_map.png", overwrite=True)
    print(f"wrote {args.out_dir / 'scratch_decision_map.png'}")


if __name__ == "__main__":
    main()
