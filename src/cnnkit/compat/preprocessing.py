"""``keras.preprocessing.image`` basics: loading and converting images."""

from cnnkit.utils.image_utils import array_to_img, img_to_array, load_img, save_img

image = __import__("sys").modules[__name__]

__all__ = ["array_to_img", "image", "img_to_array", "load_img", "save_img"]
