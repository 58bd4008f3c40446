"""The replay buffer of the neural bandits: a ring of rows with named columns."""

from __future__ import annotations

import numpy as np
import torch


class ReplayBuffer:
    """The newest `capacity` rows, each with the named columns given as (shape, dtype)."""

    def __init__(self, capacity: int, **columns: tuple[tuple[int, ...], type]) -> None:
        self.capacity = capacity
        self.columns = {name: np.zeros((capacity, *shape), dtype=dtype)
                        for name, (shape, dtype) in columns.items()}
        self.size = self.cursor = 0

    def push(self, **values: np.ndarray) -> None:
        """Append rows (every column, the same number of rows, at most `capacity`),
        overwriting the oldest."""
        n = len(next(iter(values.values())))
        rows = (self.cursor + np.arange(n)) % self.capacity
        for name, value in values.items():
            self.columns[name][rows] = value
        self.cursor = int((self.cursor + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def recent(self, count: int) -> np.ndarray:
        """Indices of the newest `count` rows (all rows if fewer), newest first."""
        return (self.cursor - 1 - np.arange(min(count, self.size))) % self.capacity

    def tensors(self, rows: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
        """The given rows of every column as torch tensors."""
        return {name: torch.as_tensor(column[rows], device=device)
                for name, column in self.columns.items()}

    def filled(self) -> dict[str, np.ndarray]:
        """Every column's rows written so far (what a checkpoint keeps)."""
        return {name: column[:self.size] for name, column in self.columns.items()}

    def restore(self, size: int, cursor: int, columns: dict[str, np.ndarray]) -> None:
        """Go back to a saved state: `size` rows, the next written at `cursor`, from
        `columns` as `filled` gave them (or whole columns); raises `ValueError` naming what
        does not fit this buffer (its capacity, a column's row shape or length)."""
        size, cursor = int(size), int(cursor)
        if not 0 <= size <= self.capacity or not 0 <= cursor < max(self.capacity, 1):
            raise ValueError(f"buffer size {size} and cursor {cursor} do not fit a capacity "
                             f"of {self.capacity}")
        for name, column in self.columns.items():
            saved = np.asarray(columns[name])
            if saved.shape[1:] != column.shape[1:] or len(saved) < size:
                raise ValueError(f"buffer column {name!r} has shape {saved.shape}; this "
                                 f"buffer needs ({size}, {', '.join(map(str, column.shape[1:]))})")
        self.size, self.cursor = size, cursor
        for name, column in self.columns.items():
            column[:size] = columns[name][:size]
