import pytest

from toolkit.errors import DataError, UsageError
from toolkit.evaluation.backtest import walk_forward_bounds


@pytest.mark.parametrize("mode", ["expanding", "sliding"])
def test_folds_are_ordered_disjoint_and_gapped(mode):
    bounds = walk_forward_bounds(2000, 4, window=30, horizon=5, mode=mode)
    assert len(bounds) == 4
    for fold in bounds:
        assert fold.train_start < fold.train_end < fold.val_end <= fold.test_start < fold.test_end
        assert fold.gap >= 5
    for earlier, later in zip(bounds, bounds[1:]):
        assert earlier.test_end <= later.test_start
    train_lengths = {fold.val_end - fold.train_start for fold in bounds}
    if mode == "sliding":
        assert len(train_lengths) == 1
    else:
        assert all(fold.train_start == 0 for fold in bounds) and len(train_lengths) == 4
    assert bounds[-1].test_end == 2000


def test_one_fold_is_the_single_split():
    (fold,) = walk_forward_bounds(1000, 1, window=30, horizon=1)
    assert (fold.train_end, fold.val_end, fold.test_start, fold.test_end) == (700, 850, 851, 1000)


def test_more_folds_than_the_data_allows():
    with pytest.raises(DataError) as err:
        walk_forward_bounds(500, 12, window=60, horizon=1)
    assert str(err.value) == (
        "too many folds: 12 folds of 38 test rows and a gap of 1 leave 43 rows to train the first fold, "
        "but window 60 + horizon 1 need at least 95; use --folds 4 or fewer, or a smaller --window"
    )


def test_gap_smaller_than_the_horizon():
    with pytest.raises(UsageError) as err:
        walk_forward_bounds(1000, 3, window=30, horizon=5, gap=2)
    assert str(err.value) == "the gap between training and test must be at least the horizon. Received: gap=2, horizon=5"


def test_horizon_longer_than_a_test_block():
    with pytest.raises(DataError) as err:
        walk_forward_bounds(1000, 9, window=10, horizon=120)
    assert str(err.value).startswith("horizon 120 is too long for test blocks of 100 rows (9 folds of 1000 rows)")
