# Conditional logic (legacy form)
# Copied verbatim from the Strategy Syntax Reference, section "Conditional Logic Patterns" (lines 445-466 of the seed text).

def strategy(data_contexts, portfolio, state):
    """Complex conditional logic example"""
    
    aapl = data_contexts['AAPL']
    
    # Market regime detection
    trending = abs(aapl.sma(10) - aapl.sma(30)) / aapl.sma(30) > 0.02
    volatile = (aapl.high - aapl.low) / aapl.close > 0.03
    
    # Adjust strategy based on market conditions
    if trending and not volatile:
        # Trend following in calm markets
        if aapl.sma(10) > aapl.sma(30):
            return buy('AAPL', '15%')
    elif not trending and volatile:
        # Mean reversion in choppy markets
        if aapl.rsi(14) < 30:
            return buy('AAPL', '5%')
        elif aapl.rsi(14) > 70:
            return sell_all('AAPL')
    
    return None
