"""Why ReLU: gradients through a deep stack of sigmoids vanish, through ReLUs they do not.

    .venv/bin/python examples/why_relu.py [--depth 10] [--out-dir examples/output]

The same deep MLP (2 -> 32 x depth -> 3) with sigmoid and with ReLU, the same spiral batch,
one backward pass of the cross-entropy loss. The sigmoid's derivative is at most 0.25, so
each layer scales the gradient down; after ten layers the first layers barely learn. ReLU's
derivative is 1 where the unit is active, so the gradient reaches the first layer with orders of
magnitude more left (it still shrinks a little under torch's default initialisation).
Prints the gradient norm of each layer's weights side by side and plots them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import geoclf
from geoclf.network import Architecture


def gradient_norms(activation: str, depth: int, seed: int = 0) -> list[float]:
    """Norm of d loss / d W for each Linear layer, first to last, on the standardized spiral."""
    x, t = geoclf.spiral_xy(per_class=100, seed=seed)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    torch.manual_seed(seed)
    network = Architecture(2, (32,) * depth, 3, activation).build()
    loss = torch.nn.CrossEntropyLoss()(network(torch.tensor(x, dtype=torch.float32)), torch.tensor(t))
    loss.backward()
    return [layer.weight.grad.norm().item() for layer in network if isinstance(layer, torch.nn.Linear)]


def main():
    parser = argparse.ArgumentParser(description="Gradient norm per layer, sigmoid vs ReLU.")
    parser.add_argument("--depth", type=int, default=10, help="Number of hidden layers.")
    parser.add_argument("--out-dir", type=Path, default=Path("examples/output"))
    args = parser.parse_args()

    norms = {name: gradient_norms(name, args.depth) for name in ("sigmoid", "relu")}
    print(f"{'layer':>5}  {'sigmoid':>12}  {'relu':>12}")
    for index, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"]), start=1):
        print(f"{index:>5}  {s:>12.3e}  {r:>12.3e}")
    first_to_last = {name: values[0] / values[-1] for name, values in norms.items()}
    print(f"first-layer / last-layer gradient: sigmoid {first_to_last['sigmoid']:.1e}, relu {first_to_last['relu']:.1e}")

    from geoclf.plotting import plt, save_figure

    figure, ax = plt.subplots(figsize=(7, 4))
    layers = np.arange(1, len(norms["relu"]) + 1)
    ax.semilogy(layers, norms["sigmoid"], "o-", label="sigmoid")
    ax.semilogy(layers, norms["relu"], "s-", label="ReLU")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm of the weights")
    ax.set_title(f"The same {args.depth}-hidden-layer MLP on the spiral, one backward pass")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    save_figure(figure, args.out_dir / "why_relu.png", overwrite=True)
    print(f"wrote {args.out_dir / 'why_relu.png'}")


if __name__ == "__main__":
    main()
