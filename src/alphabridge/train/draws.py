"""The random draws of each training iteration (minibatch indices and noise), from the per-trial
CPU streams, made in blocks of iterations ahead of use.

Each trial's stream yields, per iteration, randint(n_train, (B,)) then randn(B, 3*z_dim + 1): the
same sequence whatever the block size, the device or the number of other trials, so trial k of a
T-trial run equals a 1-trial run and every device starts from the same draws. A block never
crosses a save point or the Step's end (the caller says how far it may go), so the generator
states saved with a resume file are exactly those after the last iteration trained.
On CUDA a block is written into pinned host memory and copied with one asynchronous transfer, so
the iterations that follow launch kernels without waiting for the host."""
from __future__ import annotations

import torch

BLOCK = 64  # ours: iterations drawn per block (on CUDA: one host-to-device copy per block)


class Draws:
    def __init__(self, *, rngs: list, n_train: int, batch_size: int, z_dim: int, device, block: int = BLOCK):
        self.rngs, self.n_train, self.b, self.zd = rngs, n_train, batch_size, z_dim
        self.device, self.block = torch.device(device), block
        self._pending: list[dict] = []

    def _fill(self, n: int) -> None:
        t, b, width = len(self.rngs), self.b, 3 * self.zd + 1
        pin = self.device.type == "cuda" and torch.cuda.is_available()
        idx = torch.empty(n, t, b, dtype=torch.long, pin_memory=pin)
        noise = torch.empty(n, t, b, width, pin_memory=pin)
        for j in range(n):
            for k, g in enumerate(self.rngs):
                torch.randint(self.n_train, (b,), generator=g, out=idx[j, k])
                torch.randn(b, width, generator=g, out=noise[j, k])
        if self.device.type != "cpu":
            idx, noise = idx.to(self.device, non_blocking=True), noise.to(self.device, non_blocking=True)
        u = torch.special.ndtr(noise[..., 3 * self.zd :])  # U(0,1) for the gradient-penalty interpolation
        self._pending = [{"idx": idx[j], "noise": noise[j], "u": u[j]} for j in range(n)]
        self._pending.reverse()  # pop() from the end is O(1)

    def next(self, *, train: torch.Tensor, limit: int) -> dict:
        """The draws of the next iteration; a new block spans at most `limit` iterations."""
        if not self._pending:
            self._fill(max(1, min(self.block, limit)))
        d = self._pending.pop()
        zd, x = self.zd, train[d["idx"]]
        if x.dtype == torch.uint8:  # images are kept as uint8 (4x less memory) and scaled per batch
            x = x.float() / 127.5 - 1
        noise = d["noise"]
        return {
            "x": x,
            "eps": noise[..., :zd],  # reparameterisation of q_phi(z|x)
            "z_g": noise[..., zd : 2 * zd],  # prior draws for the generator loss
            "z_d": noise[..., 2 * zd : 3 * zd],  # prior draws for the discriminator's fakes
            "u": d["u"],
        }
