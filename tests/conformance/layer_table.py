"""Constructor arguments and input shapes for every public layer class.

``TABLE`` is keyed by the class's own ``__name__`` (so ``AvgPool2D`` and
``AveragePooling2D`` share the ``AveragePooling2D`` entry); ``test_calling.py`` fails
when a class of ``cnnkit.layers._layer_classes()`` has neither an entry here nor a
reason in ``NOT_CALLED``, so a new layer class is covered as soon as it is exported.

Input shapes include the batch axis; a list of shapes means a multi-input layer
(called with a list of arrays). ``RANDOM`` lists the classes whose ``training=True``
output is random: there only shapes are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cnnkit


@dataclass(frozen=True)
class Case:
    kwargs: dict[str, Any]
    shape: tuple[int, ...] | list[tuple[int, ...]]
    #: value range of the input data (images for preprocessing layers)
    low: float | None = None
    high: float | None = None

    @property
    def multi_input(self) -> bool:
        return isinstance(self.shape, list)

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        return list(self.shape) if isinstance(self.shape, list) else [self.shape]


IMG = (2, 6, 6, 3)
PAIR = [(2, 4), (2, 4)]

TABLE: dict[str, Case] = {
    # core
    "Dense": Case({"units": 4, "activation": "relu"}, (2, 5)),
    "EinsumDense": Case(
        {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"},
        (2, 4, 5),
    ),
    "Embedding": Case({"input_dim": 10, "output_dim": 3}, (2, 5), low=0.0, high=9.0),
    # attention
    "Attention": Case(
        {"use_scale": True, "score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)]
    ),
    "AdditiveAttention": Case({}, [(2, 3, 4), (2, 5, 4)]),
    "Activation": Case({"activation": "tanh"}, (2, 5)),
    "Flatten": Case({}, (2, 3, 4, 2)),
    "Reshape": Case({"target_shape": (4, 3)}, (2, 12)),
    "Permute": Case({"dims": (2, 1)}, (2, 3, 4)),
    "RepeatVector": Case({"n": 3}, (2, 4)),
    "ActivityRegularization": Case({"l1": 0.01, "l2": 0.01}, (2, 5)),
    # activations
    "ReLU": Case({"max_value": 1.0}, (2, 5)),
    "LeakyReLU": Case({"negative_slope": 0.1}, (2, 5)),
    "ELU": Case({"alpha": 0.5}, (2, 5)),
    "PReLU": Case({"alpha_initializer": "ones"}, (2, 3, 4)),
    "Softmax": Case({"axis": -1}, (2, 3, 5)),
    # convolutions
    "Conv1D": Case({"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 8, 3)),
    "Conv2D": Case({"filters": 8, "kernel_size": 3}, (2, 8, 8, 3)),
    "Conv3D": Case(
        {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 4, 4, 4, 2)
    ),
    "Conv1DTranspose": Case(
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 3)
    ),
    "Conv2DTranspose": Case(
        {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 4, 4, 3)
    ),
    "Conv3DTranspose": Case(
        {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 3, 3, 3, 2)
    ),
    "DepthwiseConv1D": Case({"kernel_size": 3, "depth_multiplier": 2}, (2, 8, 3)),
    "DepthwiseConv2D": Case({"kernel_size": 3, "padding": "same"}, IMG),
    "SeparableConv1D": Case({"filters": 4, "kernel_size": 3}, (2, 8, 3)),
    "SeparableConv2D": Case(
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, IMG
    ),
    # pooling
    "MaxPooling1D": Case({"pool_size": 2}, (2, 8, 3)),
    "MaxPooling2D": Case(
        {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3)
    ),
    "MaxPooling3D": Case({"pool_size": 2}, (2, 4, 4, 4, 2)),
    "AveragePooling1D": Case({"pool_size": 2, "padding": "same"}, (2, 7, 3)),
    "AveragePooling2D": Case({"pool_size": 2}, IMG),
    "AveragePooling3D": Case({"pool_size": 2}, (2, 4, 4, 4, 2)),
    "GlobalMaxPooling1D": Case({}, (2, 6, 3)),
    "GlobalMaxPooling2D": Case({}, IMG),
    "GlobalMaxPooling3D": Case({}, (2, 3, 3, 3, 2)),
    "GlobalAveragePooling1D": Case({}, (2, 6, 3)),
    "GlobalAveragePooling2D": Case({"keepdims": True}, IMG),
    "GlobalAveragePooling3D": Case({}, (2, 3, 3, 3, 2)),
    # normalization
    "BatchNormalization": Case({}, (2, 4, 4, 3)),
    "LayerNormalization": Case({}, (2, 4, 6)),
    "GroupNormalization": Case({"groups": 2}, (2, 4, 4, 4)),
    # regularization (random when training=True)
    "Dropout": Case({"rate": 0.5}, (2, 6)),
    "SpatialDropout1D": Case({"rate": 0.5}, (2, 6, 4)),
    "SpatialDropout2D": Case({"rate": 0.5}, (2, 4, 4, 3)),
    "SpatialDropout3D": Case({"rate": 0.5}, (2, 3, 3, 3, 2)),
    "GaussianDropout": Case({"rate": 0.3}, (2, 6)),
    "GaussianNoise": Case({"stddev": 0.1}, (2, 6)),
    # reshaping
    "Cropping1D": Case({"cropping": 1}, (2, 6, 3)),
    "Cropping2D": Case({"cropping": ((1, 1), (2, 0))}, IMG),
    "Cropping3D": Case({"cropping": 1}, (2, 4, 4, 4, 2)),
    "ZeroPadding1D": Case({"padding": 1}, (2, 4, 3)),
    "ZeroPadding2D": Case({"padding": ((1, 0), (0, 2))}, (2, 4, 4, 3)),
    "ZeroPadding3D": Case({"padding": 1}, (2, 2, 2, 2, 2)),
    "UpSampling1D": Case({"size": 2}, (2, 4, 3)),
    "UpSampling2D": Case({"size": 2}, (2, 3, 3, 2)),
    "UpSampling3D": Case({"size": 2}, (2, 2, 2, 2, 2)),
    # merging
    "Add": Case({}, PAIR),
    "Subtract": Case({}, PAIR),
    "Multiply": Case({}, PAIR),
    "Average": Case({}, PAIR),
    "Maximum": Case({}, PAIR),
    "Minimum": Case({}, PAIR),
    "Concatenate": Case({"axis": -1}, [(2, 3, 4), (2, 3, 2)]),
    # preprocessing (images in [0, 1])
    "Rescaling": Case({"scale": 1 / 255, "offset": -0.5}, IMG, 0.0, 255.0),
    "Resizing": Case({"height": 4, "width": 5}, IMG, 0.0, 1.0),
    "CenterCrop": Case({"height": 4, "width": 4}, IMG, 0.0, 1.0),
    "RandomCrop": Case({"height": 4, "width": 4}, IMG, 0.0, 1.0),
    "RandomFlip": Case({"mode": "horizontal"}, IMG, 0.0, 1.0),
    "RandomRotation": Case({"factor": 0.1}, IMG, 0.0, 1.0),
    "RandomTranslation": Case(
        {"height_factor": 0.1, "width_factor": 0.1}, IMG, 0.0, 1.0
    ),
    "RandomZoom": Case({"height_factor": 0.2}, IMG, 0.0, 1.0),
    "RandomBrightness": Case({"factor": 0.2, "value_range": (0, 1)}, IMG, 0.0, 1.0),
    "RandomContrast": Case({"factor": 0.2, "value_range": (0, 1)}, IMG, 0.0, 1.0),
    "Normalization": Case(
        {"mean": [0.5, 0.2, 0.1], "variance": [4.0, 1.0, 0.25]}, IMG, 0.0, 1.0
    ),
    # recurrent (issue 16, part 5)
    "SimpleRNN": Case({"units": 3, "return_sequences": True}, (2, 5, 4)),
    "LSTM": Case({"units": 3}, (2, 5, 4)),
    "GRU": Case({"units": 3, "go_backwards": True}, (2, 5, 4)),
    "ConvLSTM1D": Case({"filters": 2, "kernel_size": 3}, (2, 3, 6, 2)),
    "ConvLSTM2D": Case({"filters": 2, "kernel_size": 3}, (2, 3, 6, 6, 2)),
    "ConvLSTM3D": Case({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 3, 2)),
}

#: classes that are not called on data, and why
NOT_CALLED: dict[str, str] = {
    "MultiHeadAttention": "called as layer(query, value), not on a list; compared with "
    "Keras in tests/layers/attention/test_attention_oracle.py",
    "Layer": "the abstract base; subclassing is tested in part B",
    "InputLayer": "not called on data; covered by Input() in every model test",
    "Lambda": "its argument is a function (code); tests/layers/core/test_lambda_layer.py",
    "RandomHeight": "tf.keras 2 layer; Keras 3 keeps it only in keras.src.legacy (TF "
    "only): tests/layers/preprocessing/test_random_axis_resize.py",
    "StringLookup": "takes strings, and Keras' lookups need TensorFlow: "
    "tests/layers/preprocessing/test_lookup_layers.py",
    "IntegerLookup": "Keras' lookups need TensorFlow: "
    "tests/layers/preprocessing/test_lookup_layers.py",
    "RandomWidth": "tf.keras 2 layer; Keras 3 keeps it only in keras.src.legacy (TF "
    "only): tests/layers/preprocessing/test_random_axis_resize.py",
    "Bidirectional": "wraps a layer instance (no shared kwargs with Keras); compared "
    "with Keras in tests/layers/recurrent/test_recurrent_oracle.py",
    "RNN": "wraps a cell instance (no shared kwargs with Keras); compared with Keras "
    "in tests/layers/recurrent/test_rnn_wrapper.py",
    "SimpleRNNCell": "called per step with (inputs, states); tested in "
    "tests/layers/recurrent",
    "LSTMCell": "called per step with (inputs, states); tested in tests/layers/recurrent",
    "GRUCell": "called per step with (inputs, states); tested in tests/layers/recurrent",
}

#: classes tutorials use that Keras 3 no longer exports from keras.layers
NOT_IN_KERAS3 = {"RandomHeight", "RandomWidth"}

#: where Keras 3.15.1 itself is wrong: the Keras class and arguments that give what it
#: should. ``RandomCrop(h, w)(x, training=False)`` returns ``x`` uncropped, while its
#: own ``compute_output_shape``, its docs and the fix under review say: the centred
#: box of the target aspect ratio, resized to ``(h, w)`` (keras-team/keras#21868,
#: open; PR #22328). That is ``Resizing(h, w, crop_to_aspect_ratio=True)``.
KERAS_INFERENCE_STANDIN: dict[str, tuple[str, dict[str, Any]]] = {
    "RandomCrop": ("Resizing", {"crop_to_aspect_ratio": True}),
}


RANDOM = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomBrightness",
    "RandomContrast",
}


def registry() -> dict[str, type]:
    """Every public layer class of cnnkit, by exported name (aliases included)."""
    return cnnkit.layers._layer_classes()


def case_for(name: str) -> Case | None:
    cls = registry()[name]
    return TABLE.get(cls.__name__)


def called_names() -> list[str]:
    """Exported names with a table entry (aliases included), sorted."""
    return sorted(n for n, c in registry().items() if c.__name__ in TABLE)


def canonical_names() -> list[str]:
    """One exported name per class with a table entry (its own ``__name__``)."""
    return sorted({c.__name__ for c in registry().values() if c.__name__ in TABLE})
