"""``StringLookup`` / ``IntegerLookup``: vocabularies, adapt, modes, invert, configs.

Keras' lookups need TensorFlow (not installed here), so the expected values are
Keras' documented examples and its index rules, written out by hand.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnkit import Input, Model, Sequential, layers
from cnnkit.errors import (
    FileFormatError,
    InvalidArgumentError,
    InvalidTypeError,
    NotBuiltError,
)
from cnnkit.models import load_model

VOCAB = ["a", "b", "c", "d"]
DATA = np.array([["a", "c", "d"], ["d", "z", "b"]])


def test_string_lookup_keras_doc_example() -> None:
    out = layers.StringLookup(vocabulary=VOCAB)(DATA)
    assert out.dtype == torch.int64
    assert out.tolist() == [[1, 3, 4], [4, 0, 2]]


def test_adapt_orders_by_frequency_then_token_descending() -> None:
    data = np.array([["a", "c", "d"], ["d", "z", "b"], ["d", "c", "e"]])
    layer = layers.StringLookup()
    layer.adapt(data)
    # d: 3, c: 2, then a, b, e, z once each -> larger token first on ties
    assert layer.get_vocabulary() == ["[UNK]", "d", "c", "z", "e", "b", "a"]
    assert layer.vocabulary_size() == 7


def test_adapt_on_batches_bytes_and_max_tokens() -> None:
    batches = (np.array([b"x", b"y", b"x"]) for _ in range(3))
    layer = layers.StringLookup(max_tokens=2)
    layer.adapt(batches)
    assert layer.get_vocabulary() == ["[UNK]", "x"]
    assert layer(np.array([b"x", b"y"], dtype=object)).tolist() == [1, 0]


def test_mask_token_takes_index_zero() -> None:
    layer = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    assert layer.get_vocabulary()[:2] == ["", "[UNK]"]
    assert layer(["", "a", "q"]).tolist() == [0, 2, 1]
    inverse = layers.StringLookup(vocabulary=VOCAB, mask_token="", invert=True)
    assert inverse(torch.tensor([0, 1, 2, 9])).tolist() == ["", "[UNK]", "a", "[UNK]"]


def test_invert_returns_numpy_strings_with_the_input_shape() -> None:
    inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    out = inverse(torch.tensor([[1, 3, 4], [4, 0, 2]]))
    assert isinstance(out, np.ndarray)
    assert out.dtype.kind == "U"
    assert out.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_several_oov_indices_are_stable_buckets() -> None:
    layer = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=3)
    first = layer(["zz", "yy", "a"]).tolist()
    assert first == layer(["zz", "yy", "a"]).tolist()
    assert all(0 <= i < 3 for i in first[:2])
    assert first[2] == 3


def test_no_oov_indices_refuses_unknown_tokens() -> None:
    layer = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)
    assert layer(["a", "d"]).tolist() == [0, 3]
    with pytest.raises(InvalidArgumentError, match=r"found \['q'\].*num_oov_indices=1"):
        layer(["a", "q"])


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("multi_hot", [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
        ("count", [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
    ],
)
def test_multi_hot_and_count(mode: str, expected: list) -> None:
    out = layers.StringLookup(vocabulary=VOCAB, output_mode=mode)(DATA)
    assert out.dtype == torch.float32
    assert out.tolist() == expected


def test_count_counts_repeats_and_one_hot_shapes() -> None:
    count = layers.StringLookup(vocabulary=VOCAB, output_mode="count")
    assert count([["a", "a", "q"]]).tolist() == [[1, 2, 0, 0, 0]]
    one_hot = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    assert one_hot(["a", "q"]).tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert tuple(one_hot(np.array([["a"], ["b"]])).shape) == (2, 5)
    assert one_hot.compute_output_shape((None, 1)) == (None, 5)
    padded = layers.StringLookup(
        vocabulary=VOCAB, output_mode="multi_hot", max_tokens=8, pad_to_max_tokens=True
    )
    assert tuple(padded(DATA).shape) == (2, 8)


def test_tf_idf_keras_doc_example() -> None:
    idf = [0.25, 0.75, 0.6, 0.4]
    layer = layers.StringLookup(vocabulary=VOCAB, idf_weights=idf, output_mode="tf_idf")
    out = layer(np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])).numpy()
    # the OOV column gets the mean idf (0.5), as in Keras' docstring
    np.testing.assert_allclose(
        out, [[0.0, 0.25, 0.0, 0.6, 0.8], [1.0, 0.0, 0.75, 0.0, 0.4]], rtol=1e-6
    )


def test_tf_idf_adapt() -> None:
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "b"], ["a", "a"]]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    out = layer(np.array([["a", "b"]])).numpy()[0]
    idf_a, idf_b = np.log(1 + 2 / 3), np.log(1 + 2 / 2)
    np.testing.assert_allclose(out[1:], [idf_a, idf_b], rtol=1e-6)


def test_vocabulary_file(tmp_path: Path) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.get_config()["vocabulary"] == ["a", "b", "c"]
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        layers.StringLookup(vocabulary=str(tmp_path / "missing.txt"))


def test_config_round_trip_keeps_the_adapted_vocabulary() -> None:
    layer = layers.StringLookup(name="labels", mask_token="")
    layer.adapt(["cat", "dog", "dog"])
    config = json.loads(json.dumps(layer.get_config()))
    assert config["vocabulary"] == ["dog", "cat"]
    assert config["encoding"] == "utf-8"
    assert config["oov_method"] == "farmhash"
    rebuilt = layers.StringLookup.from_config(config)
    assert rebuilt.get_vocabulary() == layer.get_vocabulary()
    assert rebuilt(["cat"]).tolist() == [3]
    with pytest.raises(InvalidArgumentError, match="cannot adapt"):
        rebuilt.adapt(["x"])


def test_config_naming_a_vocabulary_file_is_refused() -> None:
    config = layers.StringLookup(vocabulary=VOCAB).get_config()
    config["vocabulary"] = "/etc/passwd"
    with pytest.raises(FileFormatError, match="never reads files"):
        layers.StringLookup.from_config(config)


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(InvalidArgumentError, match="`max_tokens` must be greater"):
        layers.StringLookup(max_tokens=1)
    with pytest.raises(InvalidArgumentError, match="pad_to_max_tokens=True needs"):
        layers.StringLookup(pad_to_max_tokens=True)
    with pytest.raises(InvalidArgumentError, match="`num_oov_indices` must be"):
        layers.StringLookup(num_oov_indices=-1)
    with pytest.raises(InvalidArgumentError, match="output_mode"):
        layers.StringLookup(output_mode="bag")
    with pytest.raises(InvalidArgumentError, match="must be 'int'"):
        layers.StringLookup(invert=True, output_mode="count")
    with pytest.raises(InvalidArgumentError, match="sparse=True is not supported"):
        layers.StringLookup(sparse=True, output_mode="multi_hot")
    with pytest.raises(InvalidArgumentError, match="only used with output_mode='tf"):
        layers.StringLookup(idf_weights=[1.0])
    with pytest.raises(InvalidArgumentError, match="pass the `idf_weights` too"):
        layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(InvalidArgumentError, match="one value per vocabulary"):
        layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf", idf_weights=[1])
    with pytest.raises(InvalidArgumentError, match="empty vocabulary"):
        layers.StringLookup(vocabulary=[])
    with pytest.raises(InvalidArgumentError, match=r"repeats \['a'\]"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(InvalidArgumentError, match="reserved token ''"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(InvalidArgumentError, match="more than max_tokens=3"):
        layers.StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(NotBuiltError, match="no vocabulary yet"):
        layers.StringLookup(output_mode="one_hot")(["a"])
    with pytest.raises(FileFormatError, match="salt"):
        layers.StringLookup.from_config({"salt": [1, 2]})


def test_vocabulary_with_special_tokens_in_front_is_accepted() -> None:
    layer = layers.StringLookup(vocabulary=["[UNK]", "a", "b"])
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]


def test_integer_lookup_keras_doc_examples() -> None:
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    data = torch.tensor([[12, 1138, 42], [42, 1000, 36]])
    assert layer(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    adapted = layers.IntegerLookup()
    adapted.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    inverse = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    assert inverse(torch.tensor([[1, 3, 4], [4, 0, 2]])).tolist() == [
        [12, 1138, 42],
        [42, -1, 36],
    ]


def test_integer_lookup_floormod_buckets_and_errors() -> None:
    layer = layers.IntegerLookup(vocabulary=[12, 36], num_oov_indices=2)
    assert layer(np.array([13, 14, 12])).tolist() == [1, 0, 2]
    with pytest.raises(InvalidArgumentError, match="only oov_method='floormod'"):
        layers.IntegerLookup(oov_method="farmhash")
    with pytest.raises(InvalidArgumentError, match="vocabulary_dtype='int64'"):
        layers.IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(InvalidTypeError, match="Use StringLookup"):
        layers.IntegerLookup(vocabulary=["cat"])


def test_integer_lookup_in_a_model_saves_and_loads(tmp_path: Path) -> None:
    inputs = Input((3,), dtype="int64")
    hot = layers.IntegerLookup(vocabulary=[5, 7, 9], output_mode="multi_hot")(inputs)
    model = Model(inputs, layers.Dense(2)(hot))
    assert hot.shape == (None, 4)
    x = torch.tensor([[5, 9, 0], [7, 7, 7]])
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    assert loaded.layers[1].get_vocabulary() == [-1, 5, 7, 9]


def test_string_lookup_labels_feed_a_sequential_model() -> None:
    names = np.array(["cat", "dog", "cat", "bird"])
    lookup = layers.StringLookup(num_oov_indices=0)
    lookup.adapt(names)
    labels = lookup(names)
    assert labels.tolist() == [0, 1, 0, 2]  # cat (twice) first, no OOV index
    model = Sequential([Input((2,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(np.ones((4, 2), "float32"), labels, epochs=1, verbose=0)


def _keras_style_file(tmp_path: Path, output_mode: str = "int") -> Path:
    """A .keras file as Keras writes an adapted lookup: no vocabulary in the
    config, ``assets/layers/integer_lookup/vocabulary.txt`` beside it."""
    lookup = layers.IntegerLookup(name="integer_lookup", output_mode=output_mode)
    lookup.adapt(np.array([5, 7, 7, 9, 9, 9]))
    inputs = Input((3,), dtype="int64")
    model = Model(inputs, lookup(inputs))
    model.save(tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as source:
        members = {name: source.read(name) for name in source.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["vocabulary"] = None
    members["config.json"] = json.dumps(config).encode()
    members["assets/layers/integer_lookup/vocabulary.txt"] = b"-1\n9\n7\n5"
    path = tmp_path / "keras_style.keras"
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def test_keras_assets_vocabulary_is_loaded(tmp_path: Path) -> None:
    loaded = load_model(_keras_style_file(tmp_path))
    lookup = loaded.layers[1]
    assert lookup.get_vocabulary() == [-1, 9, 7, 5]
    assert loaded.predict(torch.tensor([[5, 9, 8]]), verbose=0).tolist() == [[3, 1, 0]]


def test_keras_assets_of_a_tf_idf_lookup_are_explained(tmp_path: Path) -> None:
    lookup = layers.IntegerLookup(output_mode="tf_idf")
    with pytest.raises(InvalidArgumentError, match="keeps its idf weights beside"):
        lookup.load_asset_files({"vocabulary.txt": b"-1\n3\n"})
