"""Experiment drivers: config dataclass in, tidy pandas table out."""
