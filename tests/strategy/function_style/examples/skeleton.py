# Backtest configuration and the on_bar_close skeleton of the Strategy Syntax Reference
# (sections "Backtest Configuration" and "The Required Function: on_bar_close", both verbatim).
# NEAREST COMPLETE FORM: the skeleton returns the undefined name `orders_or_none`;
# it is defined below as None (no orders), the only line added.

BACKTEST_CONFIG = {
    'start_date': '20230610',  # YYYYMMDD format
    'end_date': '20230615',    # or '2023-06-15'
    'initial_capital': 100000,
}

orders_or_none = None  # added: the skeleton leaves it undefined

def on_bar_close(market, portfolio, memory, session):
    # Your core trading logic here
    # Access market data, check positions, place orders
    return orders_or_none

