# Debugging and logging (legacy form), section "Debugging and Logging" (lines 536-558 of the seed text).
# NEAREST COMPLETE FORM: the function uses the undefined names `entering_trade`,
# `entry_reason` and `shares`; they are defined as module constants below (added lines),
# the function itself is verbatim.

entering_trade = True  # added
entry_reason = "RSI below 30"  # added
shares = 100  # added

def strategy(data_contexts, portfolio, state):
    """Debugging techniques"""
    
    aapl = data_contexts['AAPL']
    
    # Print current state
    print(f"Time: {aapl.timestamp}")
    print(f"Price: ${aapl.close:.2f}")
    print(f"RSI: {aapl.rsi(14):.1f}")
    print(f"Position: {portfolio.position('AAPL')} shares")
    print(f"Cash: ${portfolio.cash:.2f}")
    print(f"Equity: ${portfolio.equity:.2f}")
    
    # Conditional debugging
    if state.get('debug_mode', False):
        print(f"Detailed state: {state}")
    
    # Track specific events
    if entering_trade:
        print(f"ENTRY: Buying at ${aapl.close:.2f}")
        print(f"  Reason: {entry_reason}")
        print(f"  Size: {shares} shares")
    
