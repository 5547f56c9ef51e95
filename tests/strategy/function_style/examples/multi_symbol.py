# Multi-symbol strategy (legacy form)
# Copied verbatim from the Strategy Syntax Reference, section "Advanced Features / Multi-Symbol Strategies" (lines 396-412 of the seed text).

def strategy(data_contexts, portfolio, state):
    """Trade multiple symbols simultaneously"""
    
    orders = []
    
    # Check each symbol
    for symbol in ['AAPL', 'GOOGL', 'MSFT']:
        data = data_contexts[symbol]
        position = portfolio.position(symbol)
        
        # Apply same logic to each symbol
        if data.rsi(14) < 30 and position == 0:
            orders.append(buy(symbol, '5%'))  # 5% of portfolio each
        elif data.rsi(14) > 70 and position > 0:
            orders.append(sell_all(symbol))
    
    return orders if orders else None
