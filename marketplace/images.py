"""Validation of uploaded pictures (shop logos now, book covers later).

Django's ImageField only checks that Pillow can read the file. We also refuse formats
browsers cannot show, files that are too heavy, and images whose pixel count could
exhaust memory when resized (decompression bombs), each with a message saying what
to do.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


@deconstructible
@dataclass
class ImageUploadValidator:
    max_bytes: int = 2 * 1024 * 1024
    max_pixels: int = 25_000_000  # e.g. 5000 × 5000
    min_side: int = 64

    def __call__(self, file):
        if getattr(file, "_committed", False):
            return  # a file already in storage was validated when it was uploaded
        if file.size > self.max_bytes:
            raise ValidationError(
                _("This image weighs %(size)s; the limit is %(limit)s. Please send a smaller file."),
                code="image_too_heavy",
                params={"size": filesizeformat(file.size), "limit": filesizeformat(self.max_bytes)},
            )
        try:
            file.seek(0)
            with Image.open(file) as image:
                image_format, (width, height) = image.format, image.size
                if width * height > self.max_pixels:
                    raise ValidationError(
                        _("This image is %(width)s × %(height)s pixels; please send a smaller one."),
                        code="image_too_large",
                        params={"width": width, "height": height},
                    )
                image.verify()  # reads the whole file: catches truncated or corrupt data
        except ValidationError:
            raise
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ValidationError(
                _("This file is not an image we can read. Please send a JPEG, PNG or WebP picture."),
                code="not_an_image",
            ) from exc
        finally:
            file.seek(0)

        if image_format not in ACCEPTED_FORMATS:
            raise ValidationError(
                _("Images in %(format)s format are not accepted. Please send a JPEG, PNG or WebP picture."),
                code="image_format",
                params={"format": image_format},
            )
        if min(width, height) < self.min_side:
            raise ValidationError(
                _(
                    "This image is only %(width)s × %(height)s pixels; it must be at least %(min)s pixels on each side."
                ),
                code="image_too_small",
                params={"width": width, "height": height, "min": self.min_side},
            )
