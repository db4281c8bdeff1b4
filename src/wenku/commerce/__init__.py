"""The 文库 economy: wallets and a double-entry ledger, purchases (permanent
entitlements), revenue shares and referrals, withdrawals, favorites and downloads."""
