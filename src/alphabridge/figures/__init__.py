"""Figures: tidy tables in, matplotlib figures out (no training, no metrics computed here)."""
