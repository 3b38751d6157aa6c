"""Metrics computed from saved samples (never during training, so a metrics change never retrains)."""
