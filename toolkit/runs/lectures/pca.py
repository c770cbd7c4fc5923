"""The linear-autoencoder section: a Keras linear autoencoder against PCA on digits."""

from __future__ import annotations

import numpy as np

from toolkit.reports.science import Section, Table


def pca_section(train: np.ndarray, test: np.ndarray, config, log, models: dict) -> tuple[Section, dict]:
    import keras
    from sklearn.decomposition import PCA

    from toolkit.builders import linear_autoencoder
    from toolkit.evaluation.subspace import decoder_subspace, principal_angles
    from toolkit.reports import plots
    from toolkit.reports.lecture_plots import principal_angles_figure
    from toolkit.training import set_seed

    mean = train.mean(axis=0)  # centred on the training rows only
    train_c, test_c = train - mean, test - mean
    k = config.pca_code
    # One exact fit of k + 1 components: the first k are PCA's subspace, the next variance is the gap's far side.
    pca = PCA(n_components=k + 1, svd_solver="full").fit(train_c)
    basis, variance = pca.components_[:k], pca.explained_variance_

    def pca_reconstruction(x):
        return (x - pca.mean_) @ basis.T @ basis + pca.mean_

    set_seed(config.seed)
    steps = config.pca_epochs * int(np.ceil(len(train_c) / config.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(config.pca_learning_rate, steps, alpha=0.01)
    model = linear_autoencoder(input_dim=train.shape[1], bottleneck=k, optimizer=keras.optimizers.Adam(schedule))
    history = model.fit(train_c, train_c, epochs=config.pca_epochs, batch_size=config.batch_size, verbose=0,
                        shuffle=True).history
    models["linear_autoencoder"] = model
    angles = principal_angles(basis.T, decoder_subspace(model))
    ae_test = float(np.mean((model.predict(test_c, verbose=0) - test_c) ** 2))
    pca_test = float(np.mean((pca_reconstruction(test_c) - test_c) ** 2))
    mean_test = float(np.mean(test_c ** 2))
    log(f"[pca] largest principal angle {angles.max():.2f} degrees; test MSE autoencoder {ae_test:.5f}, "
        f"PCA {pca_test:.5f}")
    section = Section(
        "Linear autoencoder and PCA",
        f"Rai's notes: a linear encoder and decoder with the squared loss is akin to PCA. Baldi and Hornik (1989): "
        f"its minima span the first K principal components' subspace, in some basis. A linear autoencoder "
        f"(toolkit.builders.linear_autoencoder, 784 -> {k} -> 784, no activation) trained {config.pca_epochs} epochs "
        f"with Adam ({config.pca_learning_rate:g}, cosine decay) on {len(train):,} digits centred on their mean, "
        f"against scikit-learn's PCA with {k} components. The principal angles between the decoder's {k} rows and "
        f"PCA's {k} components measure how close the subspaces are (0 degrees: the same). The eigenvalue gap "
        f"decides how hard the last direction is: the {k}th variance is {variance[k - 1]:.4f}, the next "
        f"{variance[k]:.4f}.",
        tables=[Table(["", "test MSE per pixel"],
                      [[f"PCA, {k} components", f"{pca_test:.3e}"], [f"linear autoencoder, code {k}", f"{ae_test:.3e}"],
                       ["the training mean alone", f"{mean_test:.3e}"]]),
                Table(["largest angle", "median angle", "smallest angle"],
                      [[f"{angles.max():.2f}", f"{np.median(angles):.2f}", f"{angles.min():.2f}"]],
                      "Degrees between the autoencoder's subspace and PCA's.")])
    section.figure(principal_angles_figure(angles, f"principal angles, autoencoder against PCA (K = {k})"))
    section.figure(plots.history_figure({"training loss": history["loss"]}, "linear autoencoder, squared loss"))
    show = test[:10]
    grid = np.concatenate([show, model.predict(show - mean, verbose=0) + mean,
                           pca_reconstruction(show - mean) + mean])
    section.figure(plots.image_grid_figure(np.clip(grid, 0, 1).reshape(-1, 28, 28), ncols=10,
                                           title="test digits / linear autoencoder / PCA"))
    return section, {"code": k, "largest_angle_degrees": float(angles.max()), "angles_degrees": angles.tolist(),
                     "test_mse_autoencoder": ae_test, "test_mse_pca": pca_test,
                     "diverged": bool(not np.isfinite(ae_test) or ae_test > mean_test)}
