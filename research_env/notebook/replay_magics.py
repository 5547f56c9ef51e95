"""``%replay``: run a recorded backtest or sweep again from the notebook and return the new result."""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import input_errors, resolve_strategy

__all__ = ["ReplayMagics"]


@magics_class
class ReplayMagics(Magics):
    """The ``%replay`` line magic."""

    @magic_arguments()
    @argument("recorded", help="a result in the notebook (BacktestResult or SweepResult), or the path of the JSON "
                               "a run wrote (research-env backtest --json, result.to_json())")
    @argument("--strategy", help="the strategy to run: a class or instance in the notebook, or a .py path "
                                 "(default: where the recorded run took it from)")
    @argument("--data", help="bar store folder (default: the recorded run's own sources)")
    @line_magic
    def replay(self, line: str):
        """Run the recorded run again and check code, bars and numbers are the same; returns the new result, or
        stops the cell with a ``ReplayError`` naming what changed (the code, a symbol's bars and the first
        session that differs, a metric).

        Example::

            again = %replay result
            again = %replay runs/aapl_cross.json --data /data/bars
        """
        from ..replays import ReplayError, replay

        args = parse_argstring(self.replay, line)
        recorded = self.shell.user_ns.get(args.recorded, args.recorded)
        strategy = resolve_strategy(args.strategy, self.shell.user_ns)
        with input_errors():
            try:
                result = replay(recorded, strategy=strategy, data=args.data)
            except ReplayError as e:
                raise NotebookReplayError.from_error(e) from None
        print("Replayed: same code, same bars, same numbers.")
        return result


class NotebookReplayError(Exception):
    """A ``ReplayError`` that IPython shows as its message alone (what changed is the whole story)."""

    @classmethod
    def from_error(cls, error) -> NotebookReplayError:
        wrapped = cls(str(error))
        wrapped.what, wrapped.symbol = error.what, error.symbol
        return wrapped

    def _render_traceback_(self) -> list[str]:
        return [f"ReplayError: {self}"]
