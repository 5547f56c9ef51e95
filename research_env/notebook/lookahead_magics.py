"""``%lookahead``: check a strategy for look-ahead from the notebook and return the ``LookaheadReport``."""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import check_demo, demo_options, input_errors, resolve_strategy

__all__ = ["LookaheadMagics"]


@magics_class
class LookaheadMagics(Magics):
    """The ``%lookahead`` line magic."""

    @magic_arguments()
    @argument("strategy", help="a strategy class or instance in the notebook, a registered name, or a .py path "
                                "(a name checks its NAME_vectorized.py twin when there is one)")
    @argument("--symbols", nargs="+", metavar="SYMBOL", help="tickers, e.g. --symbols AAPL MSFT (default: the "
                                                              "strategy's own)")
    @argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's own)")
    @argument("--end", help="end date, exclusive (default: the strategy's own, else today)")
    @argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    @argument("--param", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
              help="the parameters to check, e.g. --param fast_period=20")
    @argument("--cuts", type=int, help="cut points (default 8 for vectorized, 3 for bar-by-bar strategies)")
    @argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    @demo_options
    @line_magic
    def lookahead(self, line: str):
        """Run the strategy on the full history and on histories cut at several bars; print the verdict and
        return the ``LookaheadReport`` (``report.ok``; for a failure the first symbol, bar and signal that
        changed without the later bars).

        Example::

            report = %lookahead my_strategy_vectorized.py --symbols AAPL MSFT --start 2022-01-01 --end 2023-01-01
        """
        from ..lookahead import check_lookahead
        from ..strategy.params import parse_pairs

        args = parse_argstring(self.lookahead, line)
        check_demo(line)
        strategy = resolve_strategy(args.strategy, self.shell.user_ns)
        with input_errors():
            report = check_lookahead(strategy, args.symbols, args.start, args.end, args.timeframe,
                                     parse_pairs(args.param, "--param") or None, data=args.data, cuts=args.cuts,
                                     allow_demo=args.allow_demo)
        print(report.message())
        return report
