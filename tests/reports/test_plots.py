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


def test_residuals_of_a_dozen_models_are_small_multiples_over_naive():
    import numpy as np
    import pandas as pd

    from toolkit.reports.plots import residuals_figure

    dates = pd.bdate_range("2024-01-01", periods=50)
    actual = np.linspace(100, 110, 50)
    predictions = {"naive": actual - 1, **{f"m{i}": actual + i * 0.1 for i in range(12)}}
    figure = residuals_figure(dates, actual, predictions, {"m0": "Model zero"})
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 12                                   # one panel per model, naive behind each
    assert visible[0].get_title() == "Model zero: MAE 0" and visible[1].get_title() == "m1: MAE 0.1"
    assert all(len(ax.lines) == 3 for ax in visible)            # naive's residuals, the model's, zero
    assert len({ax.get_ylim() for ax in visible}) == 1          # one shared scale


def test_strategy_chart_names_lines_that_coincide_with_buy_and_hold_and_draws_it_on_top():
    import numpy as np
    import pandas as pd

    from toolkit.reports.plots import coinciding, strategy_figure

    dates = pd.bdate_range("2024-01-01", periods=60)
    hold = np.cumprod(1 + np.sin(np.arange(60)) / 100)
    wealth = {"always_long": hold * (1 - 0.0005), "timer": np.cumprod(1 + np.cos(np.arange(60)) / 200)}
    assert coinciding(wealth, hold) == ["always_long"]
    figure = strategy_figure(dates, wealth, hold, 5.0, {"timer": "Market timer"})
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["Market timer", "buy and hold (and 1 always-long strategy)"]
    assert ax.lines[-1].get_zorder() > ax.lines[0].get_zorder() and ax.lines[-1].get_linestyle() == "--"
    figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(ticks) >= 3 and all("10^" not in t and "$" not in t for t in ticks)  # plain numbers, several
