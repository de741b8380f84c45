"""Networks of one shape trained side by side on inner folds: a setting's held-out loss and its model in one loop.

Training chooses settings on inner folds of the samples: how smooth a map is
(smoothness.py), which response covariates get (response.py). Each setting tried (a
rung: a weight decay and an input lasso) needs one network per inner fold, to score it
on the samples that fold left out, and one on all the samples, to be the model if it
wins. Fitted one after another these are many small loops; here they train as one stack
of batched matrix products instead: one loop, one progress bar, a few times the cost of
a single network on two cores. The winning rung's all-samples network is the model;
nothing is refitted.

The stack trains linear layers and an activation (adam, no dropout or residual
blocks). The architecture's input encodings (a location encoding, binning) are fixed
functions of the inputs: they are computed once, in front of it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn

from .config import INNER_FOLDS
from .network import ACTIVATION_LAYERS, Architecture
from .splits import stratified_folds

# Steps per network at most where the batch is left open: larger surveys get larger batches, not more steps. A
# step of these small networks costs about the same whatever its batch on two cores, so this bounds training time.
STEP_BUDGET = 4000
SCORE_CHUNK = 8192  # samples scored at a time by every network of the stack


@dataclass(frozen=True)
class Rung:
    """One setting the stack tries: decoupled weight decay (as AdamW's) and the input lasso's strength."""

    weight_decay: float = 0.0
    input_lasso: float = 0.0


@dataclass(frozen=True)
class StackPlan:
    """Which samples each network of the stack trains on and with which rung.

    Network i trains on the samples where `masks[i]` is true; `fold[i]` is the inner
    fold it leaves out (-1: none, it trains on all and may become the model).
    """

    masks: torch.Tensor  # (networks, samples) bool
    rungs: tuple[Rung, ...]
    fold: tuple[int, ...]
    inner: np.ndarray  # the inner fold of each sample (-1: too rare a class to leave out)

    @classmethod
    def for_samples(cls, codes: np.ndarray, rungs: tuple[Rung, ...], seed: int, groups: np.ndarray | None = None) -> "StackPlan":
        inner = np.full(len(codes), -1)
        for index, (_, left_out) in enumerate(stratified_folds(codes, INNER_FOLDS, seed, groups)):
            inner[left_out] = index
        masks, members, folds = [], [], []
        for rung in rungs:
            for fold in (*range(INNER_FOLDS), -1):
                masks.append(torch.from_numpy(inner != fold) if fold >= 0 else torch.ones(len(codes), dtype=torch.bool))
                members.append(rung)
                folds.append(fold)
        return cls(torch.stack(masks), tuple(members), tuple(folds), inner)

    def member(self, rung: Rung, fold: int) -> int:
        return next(i for i, (r, f) in enumerate(zip(self.rungs, self.fold)) if r == rung and f == fold)


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
        """Member `member` as the network `architecture.build()` makes (its input encodings in front), weights copied."""
        network = architecture.build()
        linears = [m for m in network if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[member].T)
                linear.bias.copy_(bias[member, 0])
        return network.eval()


def input_encoder(architecture: Architecture) -> nn.Sequential:
    """The architecture's modules in front of its first linear layer (location encoding, binning): the stack sees
    their output."""
    return nn.Sequential(*architecture.encoders())


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


def lasso_penalty(first: torch.Tensor, sources: list[int], strengths: torch.Tensor):
    """Each network's input lasso (fitting.py's, per member): strength x the sum over inputs of the norm of the
    first layer's weights from that input; None when no member has one.

    The groups' squared norms are one matrix product with a column-to-input indicator
    (indexing each group's rows instead costs a full-size gradient per group and step).
    """
    if not bool(strengths.any()):
        return None
    origin = torch.as_tensor(sources, device=first.device)
    indicator = (origin.unsqueeze(1) == origin.unique().unsqueeze(0)).to(first.dtype)  # (columns, inputs)
    return lambda: (strengths * (first.pow(2).sum(-1) @ indicator).clamp_min(1e-12).sqrt().sum(-1)).sum()


def train_stack(x, y, classes: int, plan: StackPlan, architecture: Architecture, config, on_epoch=None, validation=None):
    """Train every network of the plan at once on encoded inputs x; returns the stack, the per-epoch records and the
    batch size (the config's, or when it leaves it open, the step budget's).

    Records: "loss" (epochs, networks), the training loss of each network, and with a
    `validation` (x, y) hold-out also "val_loss" and "val_accuracy" of each network on it.
    Adam with decoupled decay (as AdamW) on the weights and the hidden layers' biases,
    not on the output biases; the config's learning rate, schedule, epochs and class weighting.
    """
    generator = torch.Generator().manual_seed(config.seed)
    members = len(plan.rungs)
    widths = [x.shape[1], *architecture.hidden, classes]
    stack = NetworkStack(members, widths, architecture.activation, generator).to(x.device)
    optimizer = torch.optim.Adam(stack.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs) if config.lr_schedule == "cosine" else None
    decay = torch.tensor([r.weight_decay for r in plan.rungs], dtype=x.dtype, device=x.device).view(members, 1, 1)
    penalty = lasso_penalty(stack.weights[0], architecture.input_sources(),
                            torch.tensor([r.input_lasso for r in plan.rungs], dtype=x.dtype, device=x.device))
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
            (loss.sum() + penalty() if penalty else loss.sum()).backward()
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
def out_of_fold_logits(stack: NetworkStack, x, plan: StackPlan) -> torch.Tensor:
    """(rungs, scored samples, classes): each sample's logits from each rung's inner network that left it out, for
    the samples some inner fold leaves out (plan.inner >= 0), rungs in the plan's order."""
    logits = stack_logits(stack, x)
    scored = torch.from_numpy(plan.inner >= 0).to(x.device)
    rungs = list(dict.fromkeys(plan.rungs))
    left_out = [torch.from_numpy(plan.inner == fold).to(x.device) for fold in range(INNER_FOLDS)]
    out = torch.zeros(len(rungs), len(plan.inner), logits.shape[-1], dtype=logits.dtype, device=x.device)
    for index, rung in enumerate(rungs):
        for fold, held in enumerate(left_out):
            out[index, held] = logits[plan.member(rung, fold)][held]
    return out[:, scored]


@dataclass
class InnerFoldFit:
    """What the stack leaves to choose from: every rung's all-samples network, and the evidence of its inner folds.

    `out_of_fold` holds every rung's logits for the samples its inner networks left out
    (`codes` and `folds` say their classes and inner folds; `inner` is every training
    sample's inner fold, -1 for those never left out); `losses` is each rung's mean log
    loss on them; `chosen`, the rung with the lowest.
    """

    networks: dict[Rung, nn.Sequential]
    history: dict[Rung, list[dict]]
    out_of_fold: torch.Tensor
    codes: torch.Tensor
    folds: np.ndarray
    inner: np.ndarray
    batch_size: int
    trained: int
    seconds: float

    @cached_property
    def losses(self) -> dict[Rung, float]:
        """Each rung's mean log loss on the left-out samples (0 where every class is too rare to leave one out)."""
        return {rung: float(nn.functional.cross_entropy(logits, self.codes)) if len(self.codes) else 0.0
                for rung, logits in zip(self.networks, self.out_of_fold)}

    @cached_property
    def chosen(self) -> Rung:
        losses = self.losses
        return min(losses, key=losses.get)


def fit_on_inner_folds(x, y, classes: int, architecture: Architecture, config, rungs: tuple[Rung, ...], on_epoch=None,
                       validation=None, groups=None) -> InnerFoldFit:
    """Train the plan's stack on scaled inputs x (and hold-out): every rung's all-samples network, with its history
    (with `validation`, its hold-out scores per epoch too), and every rung's inner-fold evidence.

    While training, before anything is chosen, `on_epoch` gets the mean of the rungs'
    all-samples networks.
    """
    started = time.perf_counter()
    plan = StackPlan.for_samples(y.cpu().numpy(), rungs, config.seed, groups)
    final = [plan.member(rung, -1) for rung in rungs]
    encode = input_encoder(architecture).to(x.device)
    with torch.no_grad():
        encoded = encode(x)
        held = None if validation is None else (encode(validation[0]), validation[1])

    def report(epoch, records):
        if on_epoch is not None:
            on_epoch({"epoch": epoch, **{name: float(values[final].mean()) for name, values in records.items()}})

    stack, records, batch = train_stack(encoded, y, classes, plan, architecture, config, report, held)
    scored = plan.inner >= 0
    history = {
        rung: [{"epoch": epoch + 1, **{name: float(values[epoch, member]) for name, values in records.items()}}
               for epoch in range(config.epochs)]
        for rung, member in zip(rungs, final)
    }
    return InnerFoldFit({rung: stack.extract(member, architecture) for rung, member in zip(rungs, final)}, history,
                        out_of_fold_logits(stack, encoded, plan), y[torch.from_numpy(scored).to(y.device)],
                        plan.inner[scored], plan.inner, batch, len(plan.rungs), round(time.perf_counter() - started, 3))
