"""``RandomWidth``: stretch or squeeze the image width by a random factor while training.

Example:
    >>> import torch
    >>> layer = RandomWidth(factor=(0.5, 0.5))  # always 1.5 times the width
    >>> layer(torch.rand(2, 8, 8, 3)).shape
    torch.Size([2, 8, 12, 3])
    >>> layer(torch.rand(2, 8, 8, 3), training=False).shape  # inference: unchanged
    torch.Size([2, 8, 8, 3])
    >>> layer.compute_output_shape((None, 8, 8, 3))
    (None, 8, None, 3)
"""

from __future__ import annotations

from cnnkit.layers.preprocessing._random_axis import RandomAxisResize

__all__ = ["RandomWidth"]


class RandomWidth(RandomAxisResize):
    """Randomly resizes the width of images while training (the height is kept).

    One factor is drawn per call, for the whole batch, so the output is one tensor.
    It augments when called with ``training=True``, the default of a direct call
    and of ``model(x)``; ``predict``/``evaluate`` get the images unchanged.

    Args:
        factor: A number ``f`` for a width scaled by ``1 + U(-f, f)``, or a pair
            ``(lower, upper)`` with ``lower >= -1``: ``factor=(0.2, 0.3)`` makes the
            width 20% to 30% larger.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"`` or ``"area"``.
        seed: An int for a layer-owned generator (reproducible), or ``None`` for
            torch's global one.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the
            global ``image_data_format()``.

    Input shape:
        - ``channels_last``: ``(batch, height, width, channels)`` or
          ``(height, width, channels)``.
        - ``channels_first``: ``(batch, channels, height, width)`` or
          ``(channels, height, width)``.

    Output shape:
        The input shape with ``None`` as the width (it changes per call).
    """

    _axis = "width"
