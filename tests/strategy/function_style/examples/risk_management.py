# Risk management (legacy form)
# Copied verbatim from the Strategy Syntax Reference, section "Risk Management Patterns" (lines 471-500 of the seed text).

def strategy(data_contexts, portfolio, state):
    """Comprehensive risk management"""
    
    aapl = data_contexts['AAPL']
    position = portfolio.position('AAPL')
    
    if position > 0:
        # Calculate current P&L
        entry_price = state.get('entry_price', aapl.close)
        current_pnl = (aapl.close - entry_price) / entry_price
        
        # Dynamic exit conditions
        if current_pnl <= -0.05:  # 5% stop loss
            print("Stop loss triggered")
            return sell_all('AAPL')
        
        elif current_pnl >= 0.20:  # Take partial profits at 20%
            print("Taking partial profits")
            return sell('AAPL', '50%:position')
        
        elif current_pnl >= 0.10:  # Tighten stop after 10% gain
            # Implement trailing stop logic
            highest = state.get('highest_price', aapl.close)
            if aapl.close < highest * 0.95:  # 5% trailing stop
                print("Trailing stop triggered")
                return sell_all('AAPL')
            state['highest_price'] = max(highest, aapl.close)
    
    # Entry logic here...
    return None
