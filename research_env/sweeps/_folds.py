"""Walk-forward folds: which sessions each fold trains and tests on (``walk_forward`` and the returns-only
walk-forward of ``overfitting``)."""

from __future__ import annotations

from ._errors import SweepError

__all__ = ["fold_windows"]


def fold_windows(n_days: int, splits: int, train: int | None, test: int | None,
                 anchored: bool) -> list[tuple[int, int, int, int]]:
    """``(train_first, train_stop, test_first, test_stop)`` session numbers of each fold.

    By default the sessions split into ``splits + 1`` blocks: block k trains
    (or blocks 0..k when anchored) and block k + 1 tests; the last test block
    runs to the last session.
    """
    if isinstance(splits, bool) or int(splits) != splits or splits < 1:
        raise SweepError(f"`splits` must be a whole number >= 1, got {splits!r}")
    block = n_days // (splits + 1)
    train_n = block if train is None else int(train)
    test_n = block if test is None else int(test)
    if train_n < 1 or test_n < 1:
        raise SweepError(f"{n_days} sessions are too few for {splits} folds; load a longer range or lower `splits`")
    windows = []
    for k in range(splits):
        b = train_n + k * test_n
        if b >= n_days:
            break
        a = 0 if anchored else k * test_n
        d = min(b + test_n, n_days)
        if k == splits - 1 and test is None:
            d = n_days
        windows.append((a, b, b, d))
    if not windows:
        raise SweepError(f"no fold fits: {train_n} training + {test_n} test sessions need more than the "
                         f"{n_days} sessions loaded")
    return windows
