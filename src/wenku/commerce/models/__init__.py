"""Commerce models, split by concern; import them from here."""

from wenku.commerce.models.ledger import (
    Account,
    AppendOnlyError,
    LedgerEntry,
    LedgerTransaction,
)
from wenku.commerce.models.library import BlobVerification, DownloadLog, Favorite
from wenku.commerce.models.sales import (
    Purchase,
    ReferralAttribution,
    ShareCode,
    TopUpOrder,
    WithdrawalRequest,
)

__all__ = [
    "Account",
    "AppendOnlyError",
    "BlobVerification",
    "DownloadLog",
    "Favorite",
    "LedgerEntry",
    "LedgerTransaction",
    "Purchase",
    "ReferralAttribution",
    "ShareCode",
    "TopUpOrder",
    "WithdrawalRequest",
]
