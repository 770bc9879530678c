"""Make the sample digit images in ``examples/digits/`` for ``cnnkit predict``.

Run: ``.venv/bin/python examples/make_sample_digits.py``. Four kinds of image, each
the way a user is likely to bring one:

- ``seven_white_on_black.png``: a real handwritten MNIST test digit, enlarged: white
  ink on black, as the network was trained.
- ``three_black_on_white.png``: another MNIST test digit, dark ink on a white page
  with a wide margin (``cnnkit predict`` inverts it and crops to the ink).
- ``two_drawn.png``: a "2" drawn with a round brush in strokes, as a mouse drawing on
  a white canvas looks.
- ``five_paper.jpg``: an MNIST "5" printed as dark ink on greyish paper under uneven
  light, with sensor noise, a slight tilt and JPEG compression. There is no camera on
  the machine that made it: it imitates a phone photo of a digit on paper.

The MNIST digits are from the MNIST test set (Yann LeCun, Corinna Cortes and
Christopher Burges; CC BY-SA 3.0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from cnnkit.datasets import mnist

OUT = Path(__file__).resolve().parent / "digits"


def _test_digit(
    label: int, x_test: np.ndarray, y_test: np.ndarray, nth: int = 0
) -> np.ndarray:
    """The ``nth`` test image of ``label`` (the first "5" is an unusual one)."""
    return x_test[int(np.flatnonzero(y_test == label)[nth])]


def white_on_black(digit: np.ndarray) -> Image.Image:
    return Image.fromarray(digit).resize((112, 112), Image.Resampling.BICUBIC)


def black_on_white(digit: np.ndarray) -> Image.Image:
    page = Image.new("L", (240, 240), 255)
    ink = Image.fromarray(255 - digit).resize((140, 140), Image.Resampling.BICUBIC)
    page.paste(ink, (60, 40))
    return page


def drawn_two() -> Image.Image:
    canvas = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(canvas)
    # The strokes of a "2": the top arc, the diagonal, the base.
    angles = np.linspace(np.pi * 1.05, np.pi * 2.15, 24)
    arc = [(140 + 62 * np.cos(a), 100 + 52 * np.sin(a)) for a in angles]
    stroke = [*arc, (92, 214), (200, 214)]
    pen.line(stroke, fill=0, width=22, joint="curve")
    for x, y in (stroke[0], stroke[-1]):  # round the pen's ends
        pen.ellipse((x - 11, y - 11, x + 11, y + 11), fill=0)
    return canvas


def paper_photo(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    size = 320
    ink = Image.fromarray(digit).resize((200, 200), Image.Resampling.BICUBIC)
    ink = ink.rotate(-7, resample=Image.Resampling.BICUBIC, expand=False)
    mask = np.zeros((size, size), np.float32)
    mask[60:260, 55:255] = np.asarray(ink, np.float32) / 255.0
    yy, xx = np.mgrid[0:size, 0:size] / size
    light = 200 + 35 * xx - 25 * yy  # brighter on the right, darker at the bottom
    paper = np.stack([light, light * 0.97, light * 0.9], axis=-1)
    ink_colour = np.array([40.0, 42.0, 60.0])  # blue-black ballpoint
    image = paper * (1 - mask[..., None]) + ink_colour * mask[..., None]
    image += rng.normal(0, 6, image.shape)
    photo = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")
    return photo.filter(ImageFilter.GaussianBlur(1.2))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    _, (x_test, y_test) = mnist.load_data()
    white_on_black(_test_digit(7, x_test, y_test)).save(
        OUT / "seven_white_on_black.png"
    )
    black_on_white(_test_digit(3, x_test, y_test)).save(
        OUT / "three_black_on_white.png"
    )
    drawn_two().save(OUT / "two_drawn.png")
    paper_photo(_test_digit(5, x_test, y_test, 1), np.random.default_rng(0)).save(
        OUT / "five_paper.jpg", quality=80
    )
    for path in sorted(OUT.iterdir()):
        print(f"wrote {path.relative_to(OUT.parent.parent)}")


if __name__ == "__main__":
    main()
