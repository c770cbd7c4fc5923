"""Plot helpers return Agg Figures and never drop points."""

from matplotlib.figure import Figure

from toolkit.reports.plots import loss_curves_figure


def test_negative_losses_are_drawn_on_a_linear_axis_and_positive_ones_on_a_log_axis():
    nll = loss_curves_figure({"loss": [0.5, -0.4, -1.2], "val_loss": [0.3, -0.2, -0.9]}, "Gaussian NLL", 3)
    mse = loss_curves_figure({"loss": [1.0, 0.1, 0.01], "val_loss": [1.2, 0.2, 0.05]}, "MSE", 3)
    assert isinstance(nll, Figure) and nll.axes[0].get_yscale() == "linear"
    assert mse.axes[0].get_yscale() == "log"
    low, high = nll.axes[0].get_ylim()
    assert low <= -1.2 and high >= 0.5   # every point inside the axes
