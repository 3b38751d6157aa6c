"""Training: one library for every method (alpha-Bridge Steps I-III and the reverse-KL baselines)."""
