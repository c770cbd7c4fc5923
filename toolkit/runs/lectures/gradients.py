"""The vanishing-gradients section: per-layer gradient norms of a deep network, four ways."""

from __future__ import annotations

import numpy as np

from toolkit.reports.science import Section, Table


def _networks(config) -> dict[str, tuple[dict, float]]:
    """label -> network options and a kernel scale: the notes' sigmoid network, ReLU/He, and an
    exploding ReLU network (kernels scaled past 1) with and without clipping."""
    scale = config.explode_scale
    return {
        "sigmoid, notes' uniform init": (dict(activation="sigmoid", initializer="uniform_fan_in"), 1.0),
        "ReLU, He init": (dict(activation="relu", initializer="he_normal"), 1.0),
        f"ReLU, He init x{scale:g}": (dict(activation="relu", initializer="he_normal"), scale),
        f"ReLU, He init x{scale:g}, global clipnorm 1": (dict(activation="relu", initializer="he_normal",
                                                              global_clipnorm=1.0), scale),
    }


def deep_network(depth: int, width: int, *, activation: str, initializer: str, rate: float,
                 global_clipnorm: float | None = None, seed: int = 0):
    """784 pixels -> ``depth`` x ``width`` -> 10 logits, categorical cross-entropy on the logits,
    plain SGD. The loss reads the logits, not softmax outputs: a saturated softmax would be
    clipped by the loss and its gradient lost on some backends (JAX), hiding an explosion."""
    import keras

    from toolkit.builders.options import activation as activation_fn
    from toolkit.builders.options import initializer as initializer_fn

    layers = [keras.Input((784,), name="pixels")]
    for index in range(1, depth + 1):
        layers.append(keras.layers.Dense(width, activation=activation_fn(activation),
                                         kernel_initializer=initializer_fn(initializer, seed + index),
                                         name=f"dense_{index}"))
    layers.append(keras.layers.Dense(10, kernel_initializer=initializer_fn("glorot_uniform", seed), name="logits"))
    model = keras.Sequential(layers, name=f"deep_{activation}")
    model.compile(optimizer=keras.optimizers.SGD(rate, global_clipnorm=global_clipnorm),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model


def _diverged(losses, loss0) -> bool:
    return not np.isfinite(losses).all() or losses[-1] > 10 * max(loss0, 1e-12)


def gradients_section(x: np.ndarray, y: np.ndarray, config, log) -> tuple[Section, dict, list[str]]:
    """Norms at initialisation and after ``config.gradient_steps`` plain SGD steps on digits."""
    from toolkit.reports.lecture_plots import gradient_norms_figure
    from toolkit.reports.plots import PALETTE
    from toolkit.training import gradient_report, set_seed

    probe = slice(0, min(len(x), 512))
    rows, at_start, at_end, metrics, warnings = [], {}, {}, {}, []
    networks = _networks(config)
    colours = dict(zip(networks, PALETTE))
    for label, (options, scale) in networks.items():
        set_seed(config.seed)
        model = deep_network(config.depth, config.width, rate=config.sgd_rate, seed=config.seed, **options)
        if scale != 1.0:
            for layer in model.layers[:-1]:
                layer.kernel.assign(np.asarray(layer.kernel) * scale)
        loss0, before = gradient_report(model, x[probe], y[probe])
        losses, rng = [], np.random.default_rng(config.seed)
        for _ in range(config.gradient_steps):
            batch = rng.choice(len(x), min(config.batch_size, len(x)), replace=False)
            losses.append(float(model.train_on_batch(x[batch], y[batch], return_dict=True)["loss"]))
        after = list(gradient_report(model, x[probe], y[probe])[1].values()) if np.isfinite(losses).all() \
            else [np.nan] * len(before)
        loss1 = losses[-1]
        first, last = list(before.values())[0], list(before.values())[-1]
        ratio = first / last if last > 0 else np.nan
        diverged = _diverged(losses, loss0)
        logits = model.predict(x[probe], verbose=0)
        accuracy = float((logits.argmax(1) == y[probe].argmax(1)).mean()) if np.isfinite(logits).all() else np.nan
        rows.append([label, f"{first:.2e}", f"{last:.2e}", f"{ratio:.2e}", f"{after[0]:.2e}", f"{after[-1]:.2e}",
                     f"{loss0:.2e}", f"{loss1:.2e}", "diverged" if diverged else f"{accuracy:.1%}"])
        at_start[label], at_end[label] = list(before.values()), after
        metrics[label] = {"first_layer_norm": first, "last_layer_norm": last, "first_over_last": ratio,
                          "loss_before": loss0, "loss_after": loss1, "accuracy_after": accuracy,
                          "diverged": diverged}
        log(f"[gradients] {label}: first/last layer gradient norm {ratio:.2e}; loss {loss0:.3g} -> {loss1:.3g}")
        if diverged and scale == 1.0:
            warnings.append(f"{label}: plain SGD at sgd_rate = {config.sgd_rate:g} diverged; lower sgd_rate.")
        if not last > 0:
            warnings.append(f"{label}: the last layer's gradient is zero at initialisation; the comparison is void.")
    text = (f"A network of {config.depth} hidden layers of {config.width} units (784 pixels in, 10 digit logits out, "
            f"categorical cross-entropy) on bundled digits. The norm of the loss gradient with respect to each "
            f"layer's kernel, on {probe.stop} images, at initialisation and after {config.gradient_steps} plain SGD "
            f"steps (rate {config.sgd_rate:g}, batch {config.batch_size}); plain SGD moves each weight by the "
            "gradient itself, so a small gradient is a layer that does not learn. Singaravelu's notes: vanishing "
            "gradients occur when 0 < w < 1 (here: each sigmoid's slope is at most 1/4, so each layer shrinks the "
            "gradient on its way to the input), exploding ones when w > 1 (here: He's kernels scaled by "
            f"{config.explode_scale:g}). In a ReLU network the signal forward and the gradient backward both grow by "
            "that factor per layer, and a kernel's gradient is their product, so the explosion shows in the size of "
            "every layer's gradient (and of the loss), not in a slope across the layers. The remedies: ReLU with He's "
            "initialisation; gradient clipping, which rescales the gradient a step uses to norm 1 (the gradient "
            "measured here is the raw one).")
    table = Table(["network", "layer 1 at init", f"layer {config.depth + 1} at init", "layer 1 / last",
                   "layer 1 after", "last after", "loss at init", "loss after", "accuracy after"], rows,
                  "Accuracy on the probe images after the steps (chance is about 10%). Diverged: the loss became nan "
                  "or infinite, or grew tenfold.")
    section = Section("Vanishing and exploding gradients", text, tables=[table])
    section.figure(gradient_norms_figure(at_start, "gradient norm by layer at initialisation", colours),
                   "The two exploding networks start from the same weights: their lines coincide.")
    diverged = [k for k, m in metrics.items() if not np.isfinite(at_end[k]).all()]
    section.figure(gradient_norms_figure({k: v for k, v in at_end.items() if k not in diverged},
                                         f"after {config.gradient_steps} SGD steps", colours),
                   ("Not drawn (the weights became nan or infinite): " + "; ".join(diverged) + ".") if diverged else "")
    return section, metrics, warnings
