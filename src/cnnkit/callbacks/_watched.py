"""What a callback uses of the model it watches, as a protocol.

Callbacks sit below the trainer and the models in the import order (the trainer
calls them), so they name the model by the few things they touch instead of
importing its class. Any cnnkit ``Model`` satisfies it.
"""

from __future__ import annotations

from typing import Any, Protocol


class WatchedModel(Protocol):
    stop_training: bool
    optimizer: Any
    history: Any
    learning_snapshots: Any
    built: bool

    @property
    def name(self) -> str: ...

    def build(self, input_shape: Any) -> None: ...

    def get_weights(self) -> list[Any]: ...

    def set_weights(self, weights: Any) -> None: ...

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None: ...

    def save_weights(
        self, filepath: Any, overwrite: bool = True, **kwargs: Any
    ) -> None: ...
