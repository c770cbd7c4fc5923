"""Each science pipeline's --quick run, through the CLI, writes a report with every section."""

import json

import numpy as np
import pytest

from tests.browser import check_report
from toolkit.cli import main
from toolkit.runs.autoencoder import still_falling
from toolkit.runs.generative import energy_distance, ring_of_gaussians

SECTIONS = {
    "digits": ["Data", "Accuracy", "Loss curves", "Confusion matrix", "Misclassified examples"],
    "autoencoder": ["Reconstruction error", "Originals and reconstructions", "Loss curves", "Denoising",
                    "Optimisers: Adadelta as the notes ran it", "Latent space"],
    "generative": ["2-D toy distribution", "Digits: one yardstick", "Digits: samples", "Conditional VAE: each requested digit",
                   "Loss curves"],
    "sine": ["Sine wave: one-step and free-running forecasts", "Gaussian noise models", "Loss curves"],
    "sysid": ["Free-run simulation of the test record", "Loss curves"],
    "burgers": ["Problem and set-up", "Accuracy against the exact solution", "Error against wall time", "Slices",
                "Loss terms"],
    "heat": ["Problem and set-up", "Accuracy against the exact solution", "Error against wall time", "Slices",
             "Loss terms"],
    "lectures": ["Convolution arithmetic", "Filters", "Vanishing and exploding gradients", "Choosing the learning rate",
                 "Linear autoencoder and PCA", "A Bernoulli classifier", "Recurrent input and output patterns"],
    "burgers-discovery": ["Problem and data", "Identified coefficients", "Against the published errors",
                          "Coefficients against wall time", "The identified field", "Loss"],
}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_quick_run_writes_every_section(name, tmp_path, capsys):
    assert main(["run", name, "--quick", "--quiet", "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith(f"{name}-")]
    html = (folder / "report.html").read_text()
    for section in SECTIONS[name] + ["Configuration, versions, run time", "Quick profile"]:
        assert f">{section}<" in html or section in html, section
    assert "data:image/png;base64," in html and "https://" not in html
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["kind"] == name and metrics["config"]["quick"] is True
    assert list(folder.glob("*.keras"))
    assert f'href="{folder.name}/report.html"' in (tmp_path / "index.html").read_text()
    check_report(folder / "report.html", SECTIONS[name], name)   # skips where no browser is installed


def test_generative_report_speaks_only_of_the_models_that_ran(tmp_path, capsys):
    path = tmp_path / "gan.toml"
    path.write_text('kind = "generative"\n[generative]\nmodels = ["gan"]\n')
    assert main(["run", str(path), "--quick", "--quiet", "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "out").glob("generative-*")
    html = (folder / "report.html").read_text()
    assert ">GAN<" in html
    for absent in ("CVAE", "RealNVP", "DDPM", "VAE"):
        assert absent not in html, absent
    assert json.loads((folder / "metrics.json").read_text())["metrics"]["digits"].keys() == {"GAN"}


def test_missing_mnist_file_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "digits.toml"
    path.write_text(f'kind = "digits"\n[digits]\nsource = "mnist"\nmnist_path = "{tmp_path / "mnist.npz"}"\n')
    assert main(["run", str(path), "--quick", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: MNIST file not found: {tmp_path / 'mnist.npz'}") and err.count("\n") == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ('kind = "digits"\n[digits]\nepochz = 3\n', "unknown key 'epochz' in [digits]; allowed: augmentation, batch_size"),
        ('kind = "digits"\n[digits]\nsource = "emnist"\n', "source must be one of mnist5k, sklearn, mnist. Received: 'emnist'"),
        ('kind = "burgers"\n[burgers]\nunits = 0\n', "units must be a positive finite number. Received: units=0"),
        ('kind = "burgers"\n[burgers]\noptimizer = "newton"\n',
         "optimizer must be one of ssbroyden, ssbfgs, bfgs, lbfgs. Received: 'newton'"),
        ('kind = "heat"\n[heat]\nkappa = -1\n', "kappa must be from 0.001 to 1 (beyond 1 the solution decays below "
                                                 "1e-4 before t = 1). Received: kappa=-1"),
        ('kind = "burgers"\n[burgers]\nnu = 0.0\n', "nu must be from 0.001 to 1 (the Cole-Hopf quadrature of the "
                                                     "exact solution holds there). Received: nu=0.0"),
        ('kind = "burgers"\n[burgers]\nrad_candidates = 10\n',
         "rad_candidates must be at least collocation_points (10000). Received: rad_candidates=10"),
        ('kind = "lectures"\n[lectures]\nfilters = ["sobel"]\n', "filters must name one or more of vertical_edge, "
         "horizontal_edge, prewitt_x, prewitt_y, sobel_x, sobel_y, scharr_x, scharr_y, sharpen, edge_detect, "
         "strong_edge. Received: ['sobel']"),
        ('kind = "lectures"\n[lectures]\nmin_lr = 0.001\nmax_lr = 0.0010000001\n',
         "max_lr must be at least 10 times min_lr and at most 100. Received: min_lr=0.001, max_lr=0.0010000001"),
        ('kind = "lectures"\n[lectures]\nmax_images = 200\npca_code = 300\n',
         "pca_code must be at most half the digits used (200; PCA needs more training images than components). "
         "Received: pca_code=300"),
        ('kind = "lectures"\n[lectures]\nsource = "mnist"\n', 'source "mnist" needs mnist_path = "path/to/mnist.npz" '
         "in [lectures], a file that exists. Received: mnist_path=''"),
        ('kind = "lectures"\n[lectures]\nexplode_scale = 0.5\n', "explode_scale must lie in (1, 10]. Received: 0.5"),
        ('kind = "lectures"\n[lectures]\npca_code = 784\n', "pca_code must be a whole number from 1 to 783. Received: 784"),
        ('kind = "autoencoder"\n[autoencoder]\nbottlenecks = [64, 900]\n', "bottlenecks must be whole numbers between 1 and 783"),
        ('kind = "autoencoder"\n[autoencoder]\nmask_rate = 1.5\n', "mask_rate must lie in (0, 1) and overcomplete_code be 0 or above 784"),
        ('kind = "sysid"\n[sysid]\nwarmup = 500\n', "warmup must be at least 0 and shorter than a sequence and the test record"),
        ('kind = "sysid"\n[sysid]\nsequence_length = 9000\n', "sequence_length must lie between 0 (the whole record) and train_points"),
    ],
)
def test_malformed_science_pipeline_files(tmp_path, text, message, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}: ") and message in err and err.count("\n") == 1


def test_energy_distance_separates_distributions():
    rng = np.random.default_rng(0)
    a, _ = ring_of_gaussians(800, rng)
    b, _ = ring_of_gaussians(800, rng)
    assert abs(energy_distance(a, b)) < 0.02
    assert energy_distance(a, rng.normal(size=(800, 2)).astype("float32")) > 0.1  # 5x the equal case


def test_still_falling():
    assert still_falling([1.0, 0.5, 0.4])
    assert not still_falling([1.0, 0.5, 0.499])


def test_science_result_in_a_notebook_gives_frames_figures_and_html():
    from html import escape

    from matplotlib.figure import Figure

    from toolkit.runs.sine import SineConfig, run_sine

    result = run_sine(SineConfig(verbose=0).quick_profile().validate(), log=lambda line: None)
    metrics = result.metrics_frame()
    assert len(metrics) > 3 and metrics["value"].notna().any()
    tables = result.tables()
    assert tables and all(len(t.columns) >= 2 for t in tables.values())
    figures = result.figures()
    assert figures and all(isinstance(f, Figure) for f in figures.values())
    assert escape(result.summary) in result._repr_html_()
