"""`geoclf info`: what a model file holds, for people or as JSON."""

from __future__ import annotations


import click

from .options import debug_option, json_text


@click.command()
@click.argument("model", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Everything in the file's metadata, as JSON.")
@debug_option
def info(model, as_json):
    """Show what a model file holds: classes, inputs, CRS, extent, training and metrics."""
    from ..model import Model
    from ..near_detail import describe_detail
    from ..response import describe_response

    loaded = Model.load(model)
    meta = loaded.metadata()
    if as_json:
        click.echo(json_text(meta))
        return
    crs = loaded.crs
    arch = loaded.architecture
    lines = [
        f"model        {model}",
        f"format       {meta['format']} v{meta['format_version']}, written by geoclf {meta['geoclf_version']}",
        f"network      {arch.describe()}",
        f"encoding     {arch.encoding.describe()}",
        f"binning      {arch.binning.describe()}",
        f"response     {describe_response(loaded.training, loaded.metrics)}",
        f"smoothness   {_smoothness(loaded)}",
        *([f"detail       {describe_detail(loaded.metrics['near_detail'])}"] if "near_detail" in loaded.metrics else []),
        "inputs       " + ", ".join(spec.describe() for spec in loaded.inputs) + f"; {loaded.scaler.method} scaling",
        f"label        {loaded.label}",
        "classes      " + ", ".join(
            f"{code}={name} {color}" + _trained_on(loaded.metrics, name) for code, (name, color) in enumerate(zip(loaded.classes, loaded.colors))
        ),
        f"crs          {_crs_name(crs)}",
        "extent       " + ",".join(f"{v:.6g}" for v in loaded.extent),
        "training     " + ", ".join(f"{k}={v}" for k, v in loaded.training.items()),
        "metrics      " + ", ".join(f"{k}={_fmt(v)}" for k, v in loaded.metrics.items() if not isinstance(v, dict)),
        f"epochs       {len(loaded.history)} recorded (plot them with `geoclf plot history`)",
        "calibration  " + (f"temperature {loaded.temperature:.4g}" if loaded.temperature != 1.0 else "none (train with --val-fraction)"),
    ]
    if "cross_validation" in loaded.metrics:
        from ..validation import CrossValidationReport

        lines.append("validation   " + CrossValidationReport.from_dict(loaded.metrics["cross_validation"]).summary_line())
    click.echo("\n".join(lines))


def _smoothness(model) -> str:
    """The weight decay the model was trained with, and the evidence when training chose it."""
    from ..smoothness import describe_smoothness

    choice = model.metrics.get("smoothness_choice")
    if choice is not None:
        return describe_smoothness(choice)
    return f"weight decay {model.training.get('weight_decay', 0) or 0:g}, as given or set by the response"


def _trained_on(metrics: dict, name: str) -> str:
    """' (N training samples)' from the model's record, when it has one (models before rare-class training do not)."""
    counts = metrics.get("train_class_counts")
    return f" ({counts[name]} training samples)" if counts and name in counts else ""


def _crs_name(crs) -> str:
    if crs is None:
        return "none"
    code = crs.to_authority()
    return f"{':'.join(code)} ({crs.name})" if code else crs.name


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
