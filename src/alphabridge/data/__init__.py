"""Datasets: each module builds real train / validation / test draws from its config."""
