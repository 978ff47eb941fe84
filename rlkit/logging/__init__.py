from rlkit.logging.columns import (LOSS_COLUMNS, RETURN_COLUMNS, STAT_COLUMNS, TIMING_COLUMNS, progress_row,
                                   stats)
from rlkit.logging.logger import RunLogger

__all__ = ["LOSS_COLUMNS", "RETURN_COLUMNS", "STAT_COLUMNS", "TIMING_COLUMNS", "RunLogger", "progress_row", "stats"]
