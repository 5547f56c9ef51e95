# Pairs trading (legacy form)
# Copied verbatim from the Strategy Syntax Reference, section "Pairs Trading" (lines 417-440 of the seed text).

def strategy(data_contexts, portfolio, state):
    """Trade the spread between two correlated assets"""
    
    aapl = data_contexts['AAPL']
    msft = data_contexts['MSFT']
    
    # Calculate spread
    aapl_norm = aapl.close / aapl.sma(20)
    msft_norm = msft.close / msft.sma(20)
    spread = aapl_norm - msft_norm
    
    # Mean reversion on spread
    if spread > 0.05:  # AAPL expensive relative to MSFT
        return [
            sell('AAPL', '10%:position') if portfolio.position('AAPL') > 0 else None,
            buy('MSFT', '10%')
        ]
    elif spread < -0.05:  # AAPL cheap relative to MSFT
        return [
            buy('AAPL', '10%'),
            sell('MSFT', '10%:position') if portfolio.position('MSFT') > 0 else None
        ]
    
    return None
