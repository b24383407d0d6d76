"""Cover thumbnails: one small WebP per cover, for lists and search results."""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

THUMBNAIL_BOX = (240, 360)  # a 2:3 book cover, large enough for 2x screens at 120 px wide


def thumbnail_of(cover_file) -> ContentFile:
    cover_file.seek(0)
    with Image.open(cover_file) as image:
        image = ImageOps.exif_transpose(image)  # phone photos carry their rotation in EXIF
        image.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGB")
        output = io.BytesIO()
        image.save(output, "WEBP", quality=82, method=4)
    cover_file.seek(0)
    return ContentFile(output.getvalue(), name="thumbnail.webp")
