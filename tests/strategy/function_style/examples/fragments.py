# The reference's code fragments, each verbatim, inside one on_bar_close.
# NEAREST COMPLETE FORM: the fragments are not strategies on their own; they run here in the
# order of the reference. Lines marked "added" define what the fragments leave undefined
# (previous_sma_50, previous_close, entering_position, exit_price, shares, values, `state`).
# Fragments that the reference marks WRONG are left out (each is tested as a bad input).


def on_bar_close(market, portfolio, memory, session):
    state = memory  # added: the pattern-detection fragment calls `memory` by its legacy name `state`

    # --- Strategy Parameters / Market Data (seed lines 67-70, verbatim) ---
    spy_data = market['SPY']
    current_price = spy_data.close
    volume = spy_data.volume
    moving_avg = spy_data.sma(20)

    # --- Strategy Parameters / Memory (seed lines 91-98, verbatim) ---
    # Track trade timing
    memory['last_trade_date'] = session.current_date

    # Maintain counters
    memory['trades_today'] = memory.get('trades_today', 0) + 1

    # Store calculation results
    memory['portfolio_high'] = max(memory.get('portfolio_high', 0), portfolio.equity)

    # --- Data Access / Getting Symbol Data (seed lines 117-121, verbatim) ---
    # Access data for a specific symbol
    aapl = market['AAPL']
    googl = market['GOOGL']

    # Available symbols: AAPL, GOOGL, MSFT, TSLA, AMZN

    # --- OHLCV Properties (seed lines 126-134, verbatim) ---
    # Current bar data
    current_open = aapl.open      # Opening price
    current_high = aapl.high      # High price
    current_low = aapl.low        # Low price
    current_close = aapl.close    # Closing price
    current_volume = aapl.volume  # Volume

    # Typical price calculations
    typical_price = (aapl.high + aapl.low + aapl.close) / 3

    # --- Historical Data Access (seed lines 140-145, verbatim) ---
    # Get historical values
    close_history = aapl.history('close', 10)  # Last 10 closing prices
    volume_history = aapl.history('volume', 5)  # Last 5 volume values

    # Calculate custom metrics
    avg_volume = sum(volume_history) / len(volume_history)

    # --- Portfolio Management / Account Information (seed lines 153-161, verbatim) ---
    # Basic account metrics
    cash_available = portfolio.cash           # Available cash
    total_equity = portfolio.equity          # Total portfolio value
    initial_capital = portfolio.initial_capital  # Starting capital
    buying_power = portfolio.buying_power    # Available for trading

    # Performance metrics
    total_return = portfolio.total_return    # Percentage return
    current_pnl = portfolio.equity - portfolio.initial_capital

    # --- Position Management (seed lines 166-177, verbatim) ---
    # Check positions
    aapl_shares = portfolio.position('AAPL')  # Number of shares held
    has_position = aapl_shares > 0           # Boolean check

    # Get all positions
    all_positions = portfolio.positions      # Dict of all positions
    total_positions = sum(all_positions.values())

    # Position metrics
    if aapl_shares > 0:
        position_value = aapl_shares * aapl.close
        position_weight = position_value / portfolio.equity

    # added: the previous bar's values the crossover and divergence fragments compare with
    previous_sma_50 = memory.get('previous_sma_50', float('nan'))
    previous_sma_200 = memory.get('previous_sma_200', float('nan'))
    previous_close = memory.get('previous_close', aapl.close)
    previous_rsi = memory.get('previous_rsi', float('nan'))

    # --- Technical Indicators / Moving Averages (seed lines 229-240, verbatim) ---
    # Simple Moving Average (SMA)
    sma_20 = aapl.sma(20)      # 20-period SMA
    sma_50 = aapl.sma(50)      # 50-period SMA
    sma_200 = aapl.sma(200)    # 200-period SMA

    # Exponential Moving Average (EMA)
    ema_12 = aapl.ema(12)      # 12-period EMA
    ema_26 = aapl.ema(26)      # 26-period EMA

    # Moving average crossover
    golden_cross = sma_50 > sma_200 and previous_sma_50 <= previous_sma_200
    death_cross = sma_50 < sma_200 and previous_sma_50 >= previous_sma_200

    # --- Momentum Indicators (seed lines 245-256, verbatim) ---
    # Relative Strength Index (RSI)
    rsi = aapl.rsi(14)         # 14-period RSI (0-100)

    # RSI levels
    oversold = rsi < 30        # Potential buy signal
    overbought = rsi > 70      # Potential sell signal
    neutral = 30 <= rsi <= 70  # Neutral zone

    # RSI divergence (manual calculation)
    price_higher = aapl.close > previous_close
    rsi_lower = rsi < previous_rsi
    bearish_divergence = price_higher and rsi_lower

    # --- Custom Indicators (seed lines 261-276, verbatim) ---
    # Bollinger Bands (manual calculation)
    sma = aapl.sma(20)
    closes = aapl.history('close', 20)
    std_dev = np.std(closes) if 'np' in globals() else 0
    upper_band = sma + (2 * std_dev)
    lower_band = sma - (2 * std_dev)

    # Price channels
    highest_20 = max(aapl.history('high', 20))
    lowest_20 = min(aapl.history('low', 20))
    channel_width = highest_20 - lowest_20

    # Volume indicators
    current_volume = aapl.volume
    avg_volume = sum(aapl.history('volume', 20)) / 20
    volume_ratio = current_volume / avg_volume

    # --- State Management / Initializing Memory (seed lines 284-291, verbatim) ---
    # Initialize memory variables
    if 'initialized' not in memory:
        memory['initialized'] = True
        memory['entry_price'] = 0
        memory['highest_price'] = 0
        memory['trade_count'] = 0
        memory['winning_trades'] = 0
        memory['losing_trades'] = 0

    # added: the trade-tracking fragment's flags (enter at bar 250, leave at bar 300)
    entering_position = session.minute_index == 250
    exiting_position = session.minute_index == 300
    exit_price = aapl.close
    shares = 10

    # --- Tracking Trade Information (seed lines 296-313, verbatim) ---
    # Store entry information
    if entering_position:
        memory['entry_price'] = aapl.close
        memory['entry_time'] = session.current_time
        memory['entry_reason'] = 'SMA crossover'

    # Track highest price (for trailing stops)
    if portfolio.position('AAPL') > 0:
        memory['highest_price'] = max(memory.get('highest_price', 0), aapl.close)

    # Record trade results
    if exiting_position:
        profit = (exit_price - memory['entry_price']) * shares
        memory['trade_count'] += 1
        if profit > 0:
            memory['winning_trades'] += 1
        else:
            memory['losing_trades'] += 1

    # --- Pattern Detection with State (seed lines 318-330, verbatim) ---
    # Track consecutive signals
    if 'consecutive_ups' not in state:
        state['consecutive_ups'] = 0

    if aapl.close > aapl.sma(20):
        state['consecutive_ups'] += 1
    else:
        state['consecutive_ups'] = 0

    # Trigger after 3 consecutive signals
    if state['consecutive_ups'] >= 3:
        # Strong uptrend confirmed
        pass

    # added: remember this bar's values for the next bar
    memory['previous_sma_50'], memory['previous_sma_200'] = sma_50, sma_200
    memory['previous_close'], memory['previous_rsi'] = aapl.close, rsi
    memory['golden_crosses'] = memory.get('golden_crosses', 0) + golden_cross
    values = closes  # added: the pitfalls' RIGHT forms average `values`

    # --- Common Pitfalls / RIGHT: Check for NaN (seed lines 568-570, verbatim) ---
    # RIGHT: Check for NaN
    if sma != sma:  # NaN is not equal to itself
        return None

    # --- Common Pitfalls / RIGHT: Only use historical data (seed lines 575-576, verbatim) ---
    # RIGHT: Only use historical data
    yesterday_price = aapl.history('close', 2)[-2]

    # --- Common Pitfalls / RIGHT: Use built-in functions (seed lines 581-582, verbatim) ---
    # RIGHT: Use built-in functions
    average = sum(values) / len(values)

    # --- Common Pitfalls / RIGHT: Use local variables (seed lines 587-588, verbatim) ---
    # RIGHT: Use local variables
    adjusted_price = aapl.close * 1.01

    # added: trade on the tracking fragment's flags
    if entering_position:
        return buy('AAPL', shares)
    if exiting_position:
        return sell_all('AAPL')
    return None
