"""The vanishing-gradients section: per-layer gradient norms of a deep network, four ways."""

from __future__ import annotations

import numpy as np

from toolkit.reports.science import Section, Table


def _networks(config) -> dict[str, tuple[dict, float]]:
    """label -> builder options and a kernel scale: the notes' sigmoid network, ReLU/He, and an
    exploding ReLU network (kernels scaled past 1) with and without clipping."""
    deep = (config.width,) * config.depth
    plain = dict(input_dim=784, hidden_units=deep, dropout=0.0, optimizer="sgd", learning_rate=config.sgd_rate)
    return {
        "sigmoid, notes' uniform init": (dict(plain, activation="sigmoid", kernel_initializer="uniform_fan_in"), 1.0),
        "ReLU, He init": (dict(plain, activation="relu", kernel_initializer="he_normal"), 1.0),
        f"ReLU, He init x{config.explode_scale:g}": (dict(plain, activation="relu", kernel_initializer="he_normal"),
                                                     config.explode_scale),
        f"ReLU, He init x{config.explode_scale:g}, global clipnorm 1": (
            dict(plain, activation="relu", kernel_initializer="he_normal", global_clipnorm=1.0), config.explode_scale),
    }


def gradients_section(x: np.ndarray, y: np.ndarray, config, log) -> tuple[Section, dict]:
    """Norms at initialisation and after ``config.gradient_steps`` plain SGD steps on digits."""
    from toolkit.builders import mlp_classifier
    from toolkit.reports.lecture_plots import gradient_norms_figure
    from toolkit.training import gradient_report, set_seed

    probe = slice(0, min(len(x), 512))
    rows, at_start, at_end, metrics = [], {}, {}, {}
    for label, (options, scale) in _networks(config).items():
        set_seed(config.seed)
        model = mlp_classifier(**options)
        if scale != 1.0:
            for variable in model.trainable_variables:
                if variable.path.endswith("kernel"):
                    variable.assign(np.asarray(variable) * scale)
        loss0, before = gradient_report(model, x[probe], y[probe])
        losses, rng = [], np.random.default_rng(config.seed)
        for _ in range(config.gradient_steps):
            batch = rng.choice(len(x), min(config.batch_size, len(x)), replace=False)
            losses.append(float(model.train_on_batch(x[batch], y[batch], return_dict=True)["loss"]))
        loss1, after = gradient_report(model, x[probe], y[probe])
        first, last = list(before.values())[0], list(before.values())[-1]
        ratio = first / last if last else float("inf")
        accuracy = float((model.predict(x[probe], verbose=0).argmax(1) == y[probe].argmax(1)).mean())
        rows.append([label, f"{first:.2e}", f"{last:.2e}", f"{ratio:.2e}", f"{list(after.values())[0]:.2e}",
                     f"{list(after.values())[-1]:.2e}", f"{loss0:.2e}", f"{loss1:.2e}", accuracy])
        at_start[label], at_end[label] = list(before.values()), list(after.values())
        metrics[label] = {"first_layer_norm": first, "last_layer_norm": last, "first_over_last": ratio,
                          "loss_before": loss0, "loss_after": loss1, "accuracy_after": accuracy,
                          "finite": bool(np.isfinite(losses).all())}
        log(f"[gradients] {label}: first/last layer gradient norm {ratio:.2e}; loss {loss0:.3g} -> {loss1:.3g}")
    text = (f"A {config.depth}-hidden-layer network of {config.width} units (784 pixels in, 10 digits out, "
            f"categorical cross-entropy) on bundled digits. The norm of the loss gradient with respect to each "
            f"layer's kernel, on {probe.stop} images, at initialisation and after {config.gradient_steps} plain SGD "
            f"steps (rate {config.sgd_rate:g}, batch {config.batch_size}); plain SGD moves each weight by the "
            "gradient itself, so a small gradient is a layer that does not learn. Singaravelu's notes: vanishing "
            "gradients occur when 0 < w < 1 (here: each sigmoid's slope is at most 1/4), exploding ones when w > 1 "
            f"(here: He's kernels scaled by {config.explode_scale:g}); the remedies are ReLU with He's "
            "initialisation and gradient clipping.")
    table = Table(["network", "layer 1 at init", f"layer {config.depth + 1} at init", "layer 1 / last",
                   "layer 1 after", "last after", "loss at init", "loss after", "accuracy after"], rows,
                  "Accuracy on the probe images after the steps (chance is about 10%). A loss of nan or inf: the "
                  "steps diverged.")
    section = Section("Vanishing and exploding gradients", text, tables=[table])
    diverged = [k for k, m in metrics.items() if not m["finite"] or not np.isfinite(at_end[k]).all()]
    section.figure(gradient_norms_figure(at_start, "gradient norm by layer at initialisation"),
                   "The exploding networks' lines coincide here: clipping acts on the steps, not on the gradient.")
    section.figure(gradient_norms_figure({k: v for k, v in at_end.items() if k not in diverged},
                                         f"after {config.gradient_steps} SGD steps"),
                   ("Not drawn (the steps diverged, the weights are nan or infinite): " + "; ".join(diverged) + ".")
                   if diverged else "")
    return section, metrics
