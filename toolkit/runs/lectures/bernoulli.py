"""The Bernoulli classifier section: "Will I pass the CQF program?" on simulated exam marks."""

from __future__ import annotations

import numpy as np

from toolkit.reports.science import Section, Table

#: The simulated rule, stated in the report: P(pass) = sigmoid(logit) with this logit.
RULE = ("logit = (0.5 x1 + 0.3 x2 + 0.2 x3 - 55) / 4 - 3 [min(x1, x2, x3) < 40]: a weighted average of the "
        "three marks, and a heavy penalty for failing any one exam outright")


def simulate_students(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marks ``(n, 3)`` in [0, 100] (each N(60, 15), clipped), the true P(pass) ``(n,)`` and 0/1 outcomes."""
    rng = np.random.default_rng(seed)
    marks = np.clip(rng.normal(60, 15, (n, 3)), 0, 100)
    logit = (marks @ np.array([0.5, 0.3, 0.2]) - 55) / 4 - 3 * (marks.min(axis=1) < 40)
    probability = 1 / (1 + np.exp(-logit))
    return marks.astype("float32"), probability, (rng.uniform(size=n) < probability).astype("float32")


def _scores(y, p) -> dict:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    p = np.clip(p, 1e-7, 1 - 1e-7)
    return {"accuracy": float(np.mean((p >= 0.5) == y)), "log_loss": float(log_loss(y, p, labels=[0, 1])),
            "brier": float(brier_score_loss(y, p)), "auc": float(roc_auc_score(y, p))}


def bernoulli_section(config, log, models: dict) -> tuple[Section, dict]:
    from sklearn.calibration import calibration_curve

    from toolkit.builders import bernoulli_classifier
    from toolkit.reports.lecture_plots import calibration_figure
    from toolkit.reports import plots
    from toolkit.training import fit, set_seed

    marks, truth, passed = simulate_students(config.students, config.seed)
    n_test = config.students // 4
    n_val = (config.students - n_test) // 5
    train, val, test = slice(0, config.students - n_test - n_val), \
        slice(config.students - n_test - n_val, config.students - n_test), slice(config.students - n_test, None)
    mean, sd = marks[train].mean(axis=0), marks[train].std(axis=0)  # the training rows' scaling
    x = (marks - mean) / sd
    predictions, histories = {}, {}
    for key, label, hidden in (("bernoulli_classifier", "Bernoulli network (16 ReLU units)", (16,)),
                               ("logistic_regression", "logistic regression (no hidden layer)", ())):
        set_seed(config.seed)
        model = bernoulli_classifier(hidden_units=hidden, learning_rate=1e-2)
        record = fit(model, x[train], passed[train], validation_data=(x[val], passed[val]), epochs=config.epochs,
                     batch_size=config.batch_size, patience=20, verbose=0)
        predictions[label] = model.predict(x[test], verbose=0)[:, 0]
        histories[label], models[key] = record.history, model
    predictions["the true probability (the simulation's)"] = truth[test]
    rows, curves, metrics = [], {}, {}
    y = passed[test]
    for label, p in predictions.items():
        scores = _scores(y, p)
        observed, predicted = calibration_curve(y, p, n_bins=config.calibration_bins, strategy="quantile")
        curves[label] = (predicted, observed)
        rows.append([label, scores["accuracy"], scores["log_loss"], scores["brier"], scores["auc"],
                     float(np.max(np.abs(observed - predicted)))])
        metrics[label] = {**scores, "largest_calibration_gap": rows[-1][-1]}
        log(f"[bernoulli] {label}: accuracy {scores['accuracy']:.3f}, log loss {scores['log_loss']:.4f}")
    text = (f"Singaravelu's 'Will I pass the CQF program?': x1, x2, x3 = the marks of exams 1 to 3. The pipeline "
            f"simulates {config.students:,} students (seed {config.seed}): each mark N(60, 15) clipped to [0, 100]; "
            f"pass with probability sigmoid(logit), {RULE}. {y.mean():.0%} of the {n_test:,} test students passed. "
            f"Features standardised with the training rows' mean and deviation; trained with Adam (1e-2) on "
            f"{train.stop:,} students, early stopping on {val.stop - val.start:,}. The Bernoulli network "
            "(toolkit.builders.bernoulli_classifier) outputs P(pass): a sigmoid, trained by binary cross-entropy "
            "(Rai: y ~ Bernoulli(sigmoid(NN(x)))). Calibration: test students sorted into bins of equal count by "
            "predicted probability; a calibrated model's bins lie on the diagonal.")
    section = Section("A Bernoulli classifier", text, tables=[Table(
        ["model", "accuracy", "log loss", "Brier score", "ROC AUC", "largest calibration gap"], rows,
        f"Lower log loss and Brier score are better; the true probability is the floor no model can beat on "
        f"average. The calibration gap is the largest distance of a bin from the diagonal; with about "
        f"{n_test // config.calibration_bins} students a bin, gaps of 0.1 are sampling noise, as the true "
        f"probability's own gap shows.")])
    section.figure(calibration_figure(curves, f"calibration on {n_test:,} test students"))
    section.figure(plots.history_figure({k: v["val_loss"] for k, v in histories.items()}, "validation loss"))
    return section, metrics
