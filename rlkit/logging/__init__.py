from rlkit.logging.columns import (
    LOSS_COLUMNS,
    PROTOCOL_BY_KEY,
    PROTOCOLS,
    RETURN_COLUMNS,
    SPREAD_COLUMNS,
    STAT_COLUMNS,
    TIMING_COLUMNS,
    VAE_COLUMNS,
    Protocol,
    collapse_warning,
    meta_test_columns,
    progress_row,
    stats,
)
from rlkit.logging.logger import RunLogger

__all__ = [
    "LOSS_COLUMNS",
    "PROTOCOL_BY_KEY",
    "PROTOCOLS",
    "RETURN_COLUMNS",
    "SPREAD_COLUMNS",
    "STAT_COLUMNS",
    "TIMING_COLUMNS",
    "VAE_COLUMNS",
    "Protocol",
    "RunLogger",
    "collapse_warning",
    "meta_test_columns",
    "progress_row",
    "stats",
]
