"""Photos: checked, resized and re-encoded before anything is stored.

Every upload is decoded with Pillow (so what is not an image is refused with a clear message),
turned the right way up, shrunk to at most `PHOTO_MAX_PIXELS` on its longest side and saved
again as a JPEG without any metadata: EXIF (GPS position, camera serial numbers, dates) never
reaches the storage. Limits live in `settings.FIXLINE`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

from tickets import config
from tickets.errors import InvalidInput

# A 1600 px photo never needs more; a "decompression bomb" (a tiny file that decodes to
# gigapixels) is refused before it is decoded.
MAX_DECODED_PIXELS = 60_000_000


def max_photos() -> int:
    return config.setting_int("PHOTO_MAX_COUNT", 3)


def max_bytes() -> int:
    return config.setting_int("PHOTO_MAX_BYTES", 8 * 1024 * 1024)


def max_pixels() -> int:
    return config.setting_int("PHOTO_MAX_PIXELS", 1600)


@dataclass
class PreparedPhoto:
    content: ContentFile
    width: int
    height: int

    @property
    def size(self) -> int:
        return self.content.size

    @property
    def name(self) -> str:
        return self.content.name or "photo.jpg"


def _name(upload: Any) -> str:
    return str(getattr(upload, "name", "") or _("the photo"))[:80]


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise InvalidInput(
            _("“%(name)s” is too large: photos may be at most %(mb)s MB.")
            % {"name": _name(upload), "mb": max_bytes() // (1024 * 1024)},
            field="photos",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes() + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > max_bytes():
        raise InvalidInput(
            _("“%(name)s” is too large: photos may be at most %(mb)s MB.")
            % {"name": _name(upload), "mb": max_bytes() // (1024 * 1024)},
            field="photos",
        )
    if not data:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": _name(upload)}, field="photos")
    return data


def prepare(upload: Any) -> PreparedPhoto:
    """One upload to a clean JPEG, or InvalidInput saying why not."""
    data = _read(upload)
    not_an_image = InvalidInput(
        _("“%(name)s” is not a photo we can read: send a JPEG, PNG, GIF or WebP image.")
        % {"name": _name(upload)},
        field="photos",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in {"JPEG", "PNG", "GIF", "WEBP", "MPO"}:
                    raise not_an_image
                if probe.width * probe.height > MAX_DECODED_PIXELS:
                    raise not_an_image
                probe.verify()
            with Image.open(io.BytesIO(data)) as opened:
                opened.seek(0)
                image = ImageOps.exif_transpose(opened)
                if image.mode in ("RGBA", "LA", "P", "PA"):
                    rgba = image.convert("RGBA")
                    background = Image.new("RGB", rgba.size, (255, 255, 255))
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    image = background
                elif image.mode != "RGB":
                    image = image.convert("RGB")
                limit = max_pixels()
                image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # A fresh image with no `exif`/`icc_profile`/comment: nothing but pixels.
                clean = Image.new("RGB", image.size)
                clean.paste(image)
                clean.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
                width, height = clean.size
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_an_image from None
    except Image.DecompressionBombWarning:
        raise not_an_image from None
    return PreparedPhoto(
        content=ContentFile(out.getvalue(), name="photo.jpg"), width=width, height=height
    )


def prepare_all(uploads: Any, *, already: int = 0) -> list[PreparedPhoto]:
    """Check the count first (cheap), then every photo."""
    uploads = [u for u in (uploads or []) if u]
    if already + len(uploads) > max_photos():
        raise InvalidInput(
            ngettext(
                "At most %(max)s photo.",
                "At most %(max)s photos.",
                max_photos(),
            )
            % {"max": max_photos()},
            field="photos",
        )
    return [prepare(upload) for upload in uploads]
