from rlkit.logging.logger import RunLogger, stats

__all__ = ["RunLogger", "stats"]
