# Global variables (legacy form)
# Copied verbatim from the Strategy Syntax Reference, section "Global Variables Support" (lines 505-531 of the seed text).

# Define strategy-level constants
FAST_PERIOD = 10
SLOW_PERIOD = 30
MAX_POSITION_SIZE = 1000
RISK_PER_TRADE = 0.02

# Define strategy configuration
SYMBOLS_TO_TRADE = ['AAPL', 'GOOGL', 'MSFT']
RSI_OVERSOLD = 30
RSI_OVERBOUGHT = 70

def strategy(data_contexts, portfolio, state):
    """Strategy using global variables"""
    
    # Global variables are automatically accessible
    for symbol in SYMBOLS_TO_TRADE:
        data = data_contexts[symbol]
        
        fast_ma = data.sma(FAST_PERIOD)
        slow_ma = data.sma(SLOW_PERIOD)
        rsi = data.rsi(14)
        
        if rsi < RSI_OVERSOLD:
            shares = min(MAX_POSITION_SIZE, int(portfolio.equity * RISK_PER_TRADE / data.close))
            return buy(symbol, shares)
    
    return None
