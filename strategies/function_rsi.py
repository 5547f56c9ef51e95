"""RSI mean reversion in the function style of the Strategy Syntax Reference.

Buy 100 shares of AAPL when the 14-bar RSI falls below 30, sell them when it
rises above 70. Run it with:

    .venv/bin/research-env backtest strategies/function_rsi.py
"""

BACKTEST_CONFIG = {
    'start_date': '20150101',
    'end_date': '2019-12-31',
    'initial_capital': 100000,
    'timeframe': '1d',
}

RSI_PERIOD = 14
RSI_OVERSOLD = 30
RSI_OVERBOUGHT = 70
SHARES = 100


def on_bar_close(market, portfolio, memory, session):
    aapl = market['AAPL']
    rsi = aapl.rsi(RSI_PERIOD)
    held = portfolio.position('AAPL')
    if rsi < RSI_OVERSOLD and held == 0:
        return buy('AAPL', SHARES)
    if rsi > RSI_OVERBOUGHT and held > 0:
        return sell('AAPL', SHARES)
    return None
