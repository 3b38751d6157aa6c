"""Errors a user should see as one clear line (the CLI prints them without a traceback).
Kept free of heavy imports so `python -m alphabridge --help` stays fast."""


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, foreign or from another config."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message names the Step and iteration."""


class DatasetUnavailable(RuntimeError):
    """A dataset is neither on disk nor downloadable; the message lists each file, its md5 and where it goes."""


class WeightsUnavailable(RuntimeError):
    """Pretrained weights (the FID Inception net) are neither on disk nor downloadable; the message
    names the file, where to put it, where to get it and the config key that moves the folder."""


class ConfigError(ValueError):
    """A configuration value is invalid; the message names every offending key."""
