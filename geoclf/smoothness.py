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

The ladder's networks, every rung on every inner fold and on all the samples, train
side by side as one stack (network_stack.py); the chosen rung's all-samples network is
the model, nothing is refitted.
"""

from __future__ import annotations

from .config import INNER_FOLDS
from .network_stack import InnerFoldFit, Rung

DECAYS = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # decoupled weight decay per rung, as AdamW's
LADDER = tuple(Rung(weight_decay=decay) for decay in DECAYS)


def smoothness_choice(fitted: InnerFoldFit) -> dict:
    """What the model file records of the ladder's choice: the decay, each rung's evidence, the batch, the cost."""
    return {
        "weight_decay": fitted.chosen.weight_decay,
        "inner_folds": INNER_FOLDS,
        "log_loss": {f"{rung.weight_decay:g}": round(loss, 5) for rung, loss in fitted.losses.items()},
        "networks": fitted.networks,
        "batch_size": fitted.batch_size,
        "seconds": fitted.seconds,
    }


def describe_smoothness(choice: dict) -> str:
    """'weight decay 0.3, chosen by log loss on 3 inner folds (28 networks side by side, 12.0 s): 0 0.4100, 0.03 0.4000, ...'."""
    losses = ", ".join(f"{decay} {loss:.4f}" for decay, loss in choice["log_loss"].items())
    return (
        f"weight decay {choice['weight_decay']:g}, chosen by log loss on {choice['inner_folds']} inner folds "
        f"({choice['networks']} networks side by side, {choice['seconds']:.1f} s): {losses}"
    )
