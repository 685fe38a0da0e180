"""Variables for the built-in position alerts (enough for all three templates)."""

from __future__ import annotations

SL_VARS = {
    "symbol": "EURUSD",
    "side": "buy",
    "volume": "0.10",
    "entry_price": "1.08500",
    "sl_price": "1.08000",
    "error": "Invalid stops",
    "position_id": "pos_8f3a2c",
    "time": "2025-01-15 14:32:07 UTC",
}
