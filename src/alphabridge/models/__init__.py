"""Models. `batched` holds T independent parameter sets (one per trial/seed) in one module."""
