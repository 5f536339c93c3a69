"""Photos: checked, resized and re-encoded before anything is stored.

Two steps, so that the write layer can put its cheap checks (posting policy, rate limit)
between them:

1. `check_all` reads each upload's bytes and its image header only: count, size, format and the
   declared pixel size are refused here with a message naming the file, before any pixel is
   decoded (a decompression bomb costs a few kilobytes of reading);
2. `decode_all` decodes (at most `PHOTO_MAX_CONCURRENT_DECODES` at once in the process, JPEGs at
   a reduced scale), turns the photo the right way up, shrinks it to at most `PHOTO_MAX_PIXELS`
   on its longest side and saves it again as a JPEG without any metadata: EXIF (GPS position,
   camera serial numbers, dates) never reaches the storage.

Limits live in `settings.FIXLINE`.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

from tickets import config
from tickets.errors import InvalidInput, RateLimited

# Decompression bombs: a 7 KB palette PNG can declare 7,745 × 7,745 pixels. The declared size is
# read from the header and refused above this; under it, one decode holds at most ~4 bytes a
# pixel twice (decoded, then converted): ~200 MB. Pillow's own guard is set to the same number,
# for any other code in the process that opens an image.
MAX_DECODED_PIXELS = 25_000_000
Image.MAX_IMAGE_PIXELS = MAX_DECODED_PIXELS

FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "MPO"})


def max_photos() -> int:
    return config.setting_int("PHOTO_MAX_COUNT", 3)


def max_bytes() -> int:
    return config.setting_int("PHOTO_MAX_BYTES", 8 * 1024 * 1024)


def max_pixels() -> int:
    return config.setting_int("PHOTO_MAX_PIXELS", 1600)


def max_decoded_pixels() -> int:
    return min(
        config.setting_int("PHOTO_MAX_DECODED_PIXELS", MAX_DECODED_PIXELS), MAX_DECODED_PIXELS
    )


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


@dataclass
class CheckedPhoto:
    """An upload whose bytes and header passed `check`; no pixel decoded yet."""

    name: str
    data: bytes


class _DecodeSlots:
    """At most N decodes at once in this process; the others wait a little, then give up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphore: threading.BoundedSemaphore | None = None
        self._size = 0
        self.started = 0  # pixel decodes started in this process (tests, operators)

    def _current(self) -> threading.BoundedSemaphore:
        size = max(1, config.setting_int("PHOTO_MAX_CONCURRENT_DECODES", 2))
        with self._lock:
            if self._semaphore is None or size != self._size:
                self._semaphore, self._size = threading.BoundedSemaphore(size), size
            return self._semaphore

    def acquire(self) -> threading.BoundedSemaphore:
        semaphore = self._current()
        wait = config.setting_int("PHOTO_DECODE_WAIT_SECONDS", 5)
        if not semaphore.acquire(timeout=wait):
            raise RateLimited(
                _("Too many photos are being processed right now; try again in a moment."),
                retry_after=wait,
            )
        with self._lock:
            self.started += 1
        return semaphore


decode_slots = _DecodeSlots()


def _name(upload: Any) -> str:
    return str(getattr(upload, "name", "") or _("the photo"))[:80]


def _too_large(name: str) -> InvalidInput:
    return InvalidInput(
        _("“%(name)s” is too large: photos may be at most %(mb)s MB.")
        % {"name": name, "mb": max_bytes() // (1024 * 1024)},
        field="photos",
    )


def _not_an_image(name: str) -> InvalidInput:
    return InvalidInput(
        _("“%(name)s” is not a photo we can read: send a JPEG, PNG, GIF or WebP image.")
        % {"name": name},
        field="photos",
    )


def _too_many_pixels(name: str) -> InvalidInput:
    return InvalidInput(
        _("“%(name)s” has too many pixels: photos may have at most %(megapixels)s megapixels.")
        % {"name": name, "megapixels": max_decoded_pixels() // 1_000_000},
        field="photos",
    )


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large(_name(upload))
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes() + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > max_bytes():
        raise _too_large(_name(upload))
    if not data:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": _name(upload)}, field="photos")
    return data


def check(upload: Any) -> CheckedPhoto:
    """The upload's bytes, its format and its declared size, or InvalidInput saying why not.
    Reads the header only: no pixel is decoded."""
    name = _name(upload)
    data = _read(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise _not_an_image(name)
                width, height = probe.size
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None  # Pillow's own guard, at the same number
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _not_an_image(name) from None
    if width * height > max_decoded_pixels():
        raise _too_many_pixels(name)
    return CheckedPhoto(name=name, data=data)


def decode(checked: CheckedPhoto) -> PreparedPhoto:
    """A checked upload to a clean JPEG, or InvalidInput saying why not. Waits for a decode
    slot (RateLimited if none frees up in time)."""
    slots = decode_slots.acquire()
    try:
        return _decode(checked)
    finally:
        slots.release()


def _decode(checked: CheckedPhoto) -> PreparedPhoto:
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(checked.data)) as probe:
                probe.verify()  # structure and checksums, without decoding the pixels
            with Image.open(io.BytesIO(checked.data)) as opened:
                opened.seek(0)
                # JPEG: decode at 1/2, 1/4 or 1/8 scale straight away when that is still at
                # least the stored size (DCT scaling: the full image is never in memory).
                opened.draft("RGB", (limit, limit))
                image: Image.Image = opened
                if image.mode in ("P", "PA"):
                    # Palette indices cannot be averaged: cut to twice the stored size by
                    # nearest neighbour first, so the colour conversion below stays small
                    # (25 MP would take 100 MB more); the smooth shrink follows.
                    image.thumbnail((2 * limit, 2 * limit), Image.Resampling.NEAREST)
                if image.mode in ("RGBA", "LA", "P", "PA"):
                    image = image.convert("RGBA")
                elif image.mode != "RGB":
                    image = image.convert("RGB")
                # Shrink first: flattening and turning then copy a small image, not a large one.
                image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
                if image.mode == "RGBA":
                    background = Image.new("RGB", image.size, (255, 255, 255))
                    background.paste(image, mask=image.getchannel("A"))
                    image = background
                image = ImageOps.exif_transpose(_with_orientation(image, opened))
                out = io.BytesIO()
                # A fresh image with no `exif`/`icc_profile`/comment: nothing but pixels.
                clean = Image.new("RGB", image.size)
                clean.paste(image)
                clean.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
                width, height = clean.size
    except InvalidInput:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _not_an_image(checked.name) from None
    return PreparedPhoto(
        content=ContentFile(out.getvalue(), name="photo.jpg"), width=width, height=height
    )


def _with_orientation(image: Image.Image, original: Image.Image) -> Image.Image:
    """`image` carrying `original`'s EXIF orientation (conversions drop it), for the turn."""
    orientation = original.getexif().get(0x0112)
    if orientation:
        exif = image.getexif()
        exif[0x0112] = orientation
    return image


def check_all(uploads: Any, *, already: int = 0) -> list[CheckedPhoto]:
    """The count first (cheap), then every photo's size and header."""
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
    return [check(upload) for upload in uploads]


def decode_all(checked: list[CheckedPhoto]) -> list[PreparedPhoto]:
    return [decode(item) for item in checked]


def prepare_all(uploads: Any, *, already: int = 0) -> list[PreparedPhoto]:
    """Both steps at once, for callers with nothing to check in between."""
    return decode_all(check_all(uploads, already=already))
