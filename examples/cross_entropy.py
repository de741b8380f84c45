"""Cross-entropy, three ways, and why geoclf uses the fused one.

    .venv/bin/python examples/cross_entropy.py

For logits x and a target class c, the loss is

    loss(x, c) = -log( exp(x[c]) / sum_j exp(x[j]) ) = -x[c] + log( sum_j exp(x[j]) )

1. torch.nn.CrossEntropyLoss                  (what geoclf trains with)
2. torch.nn.LogSoftmax followed by torch.nn.NLLLoss
3. the formula above, written out

On a batch the loss is the mean of the per-sample losses.

Why the fused form: written as softmax, then log, exp(x) overflows for logits near 90 in
float32 (and log of an underflowed 0 is -inf). CrossEntropyLoss computes the right-hand side
with the log-sum-exp trick, log(sum exp x) = m + log(sum exp(x - m)) with m = max(x), so it
never takes exp of a large number, and its gradient is the simple softmax(x) - onehot(c).
"""

from __future__ import annotations

import torch


def three_ways(logits: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The mean cross-entropy of a batch of logits (n, classes) against class indices (n,), three ways."""
    fused = torch.nn.CrossEntropyLoss()(logits, target)
    two_step = torch.nn.NLLLoss()(torch.nn.LogSoftmax(dim=1)(logits), target)
    by_hand = (-logits[torch.arange(len(target)), target] + torch.log(torch.exp(logits).sum(dim=1))).mean()
    return fused, two_step, by_hand


def per_sample(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Each sample's loss (no averaging), to show the batch loss is their mean."""
    return torch.nn.CrossEntropyLoss(reduction="none")(logits, target)


def naive_softmax_then_log(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """What not to do: softmax, then log. Overflows for large logits."""
    probabilities = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(probabilities[torch.arange(len(target)), target]).mean()


def main():
    torch.manual_seed(0)
    print("One sample, 10 logits, target class 1")
    logits = torch.randn(1, 10)
    target = torch.tensor([1])
    for name, value in zip(("CrossEntropyLoss", "LogSoftmax + NLLLoss", "-x[c] + log sum exp x"), three_ways(logits, target)):
        print(f"  {name:<24} {value.item():.6f}")

    print("\nA batch of 4 samples, 10 logits each")
    logits = torch.randn(4, 10)
    target = torch.tensor([1, 0, 9, 4])
    for name, value in zip(("CrossEntropyLoss", "LogSoftmax + NLLLoss", "-x[c] + log sum exp x"), three_ways(logits, target)):
        print(f"  {name:<24} {value.item():.6f}")
    losses = per_sample(logits, target)
    print(f"  per-sample losses        {[round(v, 4) for v in losses.tolist()]}")
    print(f"  their mean               {losses.mean().item():.6f}")

    print("\nLarge logits (float32): the fused form stays finite, softmax-then-log does not")
    big = torch.tensor([[100.0, 90.0, 0.0]])
    print(f"  CrossEntropyLoss         {torch.nn.CrossEntropyLoss()(big, torch.tensor([1])).item():.6f}")
    print(f"  softmax, then log        {naive_softmax_then_log(big, torch.tensor([1])).item()}")


if __name__ == "__main__":
    main()
