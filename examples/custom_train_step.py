"""Keras 3's "customise what happens in fit()", on Fashion-MNIST, in cnnkit.

A subclassed model whose ``call`` takes ``training``, its own ``train_step`` written
with torch autograd (as Keras' torch-backend guide writes it), ``cnnkit.ops`` on the
predictions, and ``layer(x, training=False)`` to look at an intermediate result.

    .venv/bin/python examples/custom_train_step.py
"""

from __future__ import annotations

from typing import Any

import torch

import cnnkit
from cnnkit import layers, ops
from cnnkit.datasets import fashion_mnist


class SmallCNN(cnnkit.Model):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(16, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.dropout = layers.Dropout(0.25)
        self.classify = layers.Dense(10)

    def call(self, x: Any, training: bool = False) -> Any:
        features = self.flatten(self.pool(self.conv(x)))
        return self.classify(self.dropout(features, training=training))

    def train_step(self, data: Any) -> dict[str, Any]:
        x, y = data
        self.zero_grad()
        logits = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=logits)
        loss.backward()
        with torch.no_grad():
            # fit built the optimizer on the trainable weights: no need to name them.
            self.optimizer.apply([w.value.grad for w in self.trainable_weights])
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def main() -> None:
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train[:12000].reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = y_train[:12000]

    model = SmallCNN(name="small_cnn")
    model.compile(
        optimizer="adam",
        loss=cnnkit.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=2)

    logits = model.predict(x_test, batch_size=500, verbose=0)
    predicted = ops.convert_to_numpy(ops.argmax(ops.softmax(logits), axis=-1))
    print(f"Test accuracy: {(predicted == y_test).mean():.4f}")

    maps = model.conv(x_test[:1], training=False)  # the first layer's activation maps
    print("conv2d output:", tuple(maps.shape), [w.path for w in model.conv.weights])


if __name__ == "__main__":
    main()
