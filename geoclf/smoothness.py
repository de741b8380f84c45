"""How smooth a map from coordinates alone, or a smooth response to covariates, should be: chosen on inner folds.

Generated data is clean, and a network that follows every sample (no weight decay)
maps it best. Field surveys are not: mapped trees of two species mix over metres, and
the same network then draws islands around single points that a neighbour of the
other species contradicts (benchmarks/real_data.py). No one weight decay suits both,
so training tries a ladder of them on INNER_FOLDS stratified folds of the training
samples and keeps the one whose networks give the lowest log loss on the samples they
left out. The decay shrinks the weights and the hidden layers' biases together, so a
ReLU unit's kink stays where it is while its slope shrinks (decaying the weights alone
would also push the kinks outward: when the two were compared, btb's spatial blocks
scored 0.795 that way against 0.820). The output layer's biases do not decay: the
strongest rung leaves only them, the class frequencies, the honest map when location
says nothing. A smooth response to covariates and fields (response.py) chooses its
decay on the same ladder, for the same reason: with a fixed decay of 2 the default
scored 0.942 on the banana slugs' six fields, with the decay chosen 0.955 (random folds).

The networks of every rung and fold, plus one per rung on all the training samples,
train side by side as one stack of batched matrix products: one loop, one progress
bar, a few times the cost of a single network on two cores. The chosen rung's
all-samples network is the model; nothing is refitted.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .config import INNER_FOLDS
from .network import ACTIVATION_LAYERS, Architecture
from .splits import stratified_folds

DECAYS = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # decoupled weight decay per rung, as AdamW's
STEP_BUDGET = 4000  # batches per network at most: larger surveys get larger batches, not more steps
SCORE_CHUNK = 8192  # samples scored at a time by every network of the stack


@dataclass(frozen=True)
class StackPlan:
    """Which samples each network of the stack trains on and with which decay.

    Network i trains on the samples where `masks[i]` is true; `fold[i]` is the inner
    fold it leaves out (-1: none, it trains on all and may become the model).
    """

    masks: torch.Tensor  # (networks, samples) bool
    decays: tuple[float, ...]
    fold: tuple[int, ...]
    inner: np.ndarray  # the inner fold of each sample (-1: too rare a class to leave out)

    @classmethod
    def for_samples(cls, codes: np.ndarray, seed: int, groups: np.ndarray | None = None) -> "StackPlan":
        inner = np.full(len(codes), -1)
        for index, (_, left_out) in enumerate(stratified_folds(codes, INNER_FOLDS, seed, groups)):
            inner[left_out] = index
        masks, decays, folds = [], [], []
        for decay in DECAYS:
            for fold in (*range(INNER_FOLDS), -1):
                masks.append(torch.from_numpy(inner != fold) if fold >= 0 else torch.ones(len(codes), dtype=torch.bool))
                decays.append(decay)
                folds.append(fold)
        return cls(torch.stack(masks), tuple(decays), tuple(folds), inner)

    def member(self, decay: float, fold: int) -> int:
        return next(i for i, (d, f) in enumerate(zip(self.decays, self.fold)) if d == decay and f == fold)


class NetworkStack(nn.Module):
    """`members` plain MLPs of one shape, evaluated together: inputs (members, batch, in) -> logits (members, batch, out)."""

    def __init__(self, members: int, widths: list[int], activation: str, generator: torch.Generator):
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            bound = 1 / math.sqrt(fan_in)  # the distribution of torch.nn.Linear's default initialisation
            self.weights.append(nn.Parameter((torch.rand(members, fan_in, fan_out, generator=generator) * 2 - 1) * bound))
            self.biases.append(nn.Parameter((torch.rand(members, 1, fan_out, generator=generator) * 2 - 1) * bound))
        self.activation = ACTIVATION_LAYERS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if layer < last:
                x = self.activation(x)
        return x

    def extract(self, member: int, architecture: Architecture) -> nn.Sequential:
        """Member `member` as the plain network `architecture.build()` makes, weights copied."""
        network = architecture.build()
        linears = [m for m in network if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[member].T)
                linear.bias.copy_(bias[member, 0])
        return network.eval()


def stack_batch_size(samples: int, epochs: int, smallest: int) -> int:
    """Batches of at least `smallest`, large enough that `epochs` take at most STEP_BUDGET steps."""
    return max(smallest, math.ceil(samples * epochs / STEP_BUDGET))


def epoch_order(indices: list[torch.Tensor], length: int, generator: torch.Generator) -> torch.Tensor:
    """(networks, length): each network's samples in a fresh random order, cycled to `length`.

    An epoch is a pass over the largest training part (all the samples): the model's
    networks see every sample once, and the inner networks, which lack a fold, take as
    many steps, some of their samples twice, so that each rung is judged at the step
    count its model trains for.
    """
    rows = []
    for own in indices:
        cycles = -(-length // len(own))
        rows.append(torch.cat([own[torch.randperm(len(own), generator=generator).to(own.device)] for _ in range(cycles)])[:length])
    return torch.stack(rows)


def train_stack(x, y, classes: int, plan: StackPlan, architecture: Architecture, config, on_epoch=None, validation=None):
    """Train every network of the plan at once; returns the stack, the per-epoch records and the batch size
    (the config's, or when it leaves it open, the step budget's).

    Records: "loss" (epochs, networks), the training loss of each network, and with a
    `validation` (x, y) hold-out also "val_loss" and "val_accuracy" of each network on it.
    Adam with decoupled decay (as AdamW) on the weights and the hidden layers' biases,
    not on the output biases; the config's learning rate, schedule, epochs and class weighting.
    """
    generator = torch.Generator().manual_seed(config.seed)
    members = len(plan.decays)
    widths = [x.shape[1], *architecture.hidden, classes]
    stack = NetworkStack(members, widths, architecture.activation, generator).to(x.device)
    optimizer = torch.optim.Adam(stack.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs) if config.lr_schedule == "cosine" else None
    decay = torch.tensor(plan.decays, dtype=x.dtype, device=x.device).view(members, 1, 1)
    weights = None
    if config.class_weight == "balanced":
        counts = torch.bincount(y, minlength=classes).clamp_min(1).to(x.dtype)
        weights = len(y) / (classes * counts)
    indices = [torch.nonzero(mask).ravel().to(x.device) for mask in plan.masks]
    longest = max(len(i) for i in indices)
    batch = min(config.batch_size or stack_batch_size(longest, config.epochs, 32), longest)
    steps = max(1, longest // batch)
    records = {name: torch.zeros(config.epochs, members) for name in ("loss", *(("val_loss", "val_accuracy") if validation else ()))}
    for epoch in range(config.epochs):
        stack.train()
        order = epoch_order(indices, steps * batch, generator)
        learning_rate = optimizer.param_groups[0]["lr"]
        total = torch.zeros(members, device=x.device)
        for step in order.view(members, steps, batch).unbind(1):
            log_p = torch.log_softmax(stack(x[step]), dim=-1)
            picked = -log_p.gather(-1, y[step].unsqueeze(-1)).squeeze(-1)
            loss = (picked * weights[y[step]]).sum(1) / weights[y[step]].sum(1) if weights is not None else picked.mean(1)
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            with torch.no_grad():
                for decayed in (*stack.weights, *list(stack.biases)[:-1]):
                    decayed.mul_(1 - learning_rate * decay)
            optimizer.step()
            total += loss.detach()
        if schedule is not None:
            schedule.step()
        records["loss"][epoch] = (total / steps).cpu()
        if validation is not None:
            records["val_loss"][epoch], records["val_accuracy"][epoch] = hold_out_scores(stack, *validation)
        if on_epoch is not None:
            on_epoch(epoch + 1, {name: values[epoch] for name, values in records.items()})
    return stack.eval(), records, batch


@torch.no_grad()
def stack_logits(stack: NetworkStack, x) -> torch.Tensor:
    """Every network's logits (networks, samples, classes) for the samples x, SCORE_CHUNK samples at a time
    (a million samples at once would need gigabytes of activations)."""
    stack.eval()
    members = len(stack.weights[0])
    return torch.cat([stack(x[start:start + SCORE_CHUNK].expand(members, -1, -1)) for start in range(0, len(x), SCORE_CHUNK)], dim=1)


@torch.no_grad()
def hold_out_scores(stack: NetworkStack, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Each network's log loss and accuracy on the hold-out (x, y)."""
    logits = stack_logits(stack, x)
    loss = nn.functional.cross_entropy(logits.transpose(1, 2), y.expand(len(logits), -1), reduction="none").mean(1)
    accuracy = (logits.argmax(-1) == y).float().mean(1)
    return loss.cpu(), accuracy.cpu()


@torch.no_grad()
def out_of_fold_losses(stack: NetworkStack, x, y, plan: StackPlan) -> dict[float, float]:
    """Per decay, the mean log loss of its inner networks on the samples each one left out."""
    logits = stack_logits(stack, x)
    scored = max(int((plan.inner >= 0).sum()), 1)
    left_out = [torch.from_numpy(plan.inner == fold).to(x.device) for fold in range(INNER_FOLDS)]
    losses = {}
    for decay in DECAYS:
        total = 0.0
        for fold, held in enumerate(left_out):
            total += float(nn.functional.cross_entropy(logits[plan.member(decay, fold)][held], y[held], reduction="sum"))
        losses[decay] = total / scored
    return losses


def choose_smoothness(x, y, classes: int, architecture: Architecture, config, on_epoch=None, validation=None, groups=None):
    """The model network for the decay with the lowest inner-fold log loss, its history, and the choice with its evidence.

    The history is the chosen network's own (with `validation`, its hold-out scores per
    epoch too); while training, before anything is chosen, `on_epoch` gets the mean of
    the ladder's all-samples networks.
    """
    started = time.perf_counter()
    plan = StackPlan.for_samples(y.cpu().numpy(), config.seed, groups)
    final = [plan.member(decay, -1) for decay in DECAYS]

    def report(epoch, records):
        if on_epoch is not None:
            on_epoch({"epoch": epoch, **{name: float(values[final].mean()) for name, values in records.items()}})

    stack, records, batch = train_stack(x, y, classes, plan, architecture, config, report, validation)
    scores = out_of_fold_losses(stack, x, y, plan)
    chosen = min(scores, key=scores.get)
    member = plan.member(chosen, -1)
    history = [
        {"epoch": epoch + 1, **{name: float(values[epoch, member]) for name, values in records.items()}}
        for epoch in range(config.epochs)
    ]
    choice = {
        "weight_decay": chosen,
        "inner_folds": INNER_FOLDS,
        "log_loss": {f"{decay:g}": round(loss, 5) for decay, loss in scores.items()},
        "networks": len(plan.decays),
        "batch_size": batch,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return stack.extract(member, architecture), history, choice


def describe_smoothness(choice: dict) -> str:
    """'weight decay 0.3, chosen by log loss on 3 inner folds (28 networks side by side, 12.0 s): 0 0.4100, 0.03 0.4000, ...'."""
    losses = ", ".join(f"{decay} {loss:.4f}" for decay, loss in choice["log_loss"].items())
    return (
        f"weight decay {choice['weight_decay']:g}, chosen by log loss on {choice['inner_folds']} inner folds "
        f"({choice['networks']} networks side by side, {choice['seconds']:.1f} s): {losses}"
    )
