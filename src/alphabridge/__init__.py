"""alpha-bridge: the alpha-Bridge method (Zhao, Cong, Dai, Carin, AAAI 2020) as a library."""
__version__ = "0.1.0"
