"""Pictures organisers upload: checked, stripped of every piece of metadata, re-encoded and cut
into a few widths for `srcset`, under names of the site's own.

A photo from a demonstration carries, in its EXIF block, the place it was taken (GPS), the
camera's serial number and the time: enough to find the photographer. Nothing of the uploaded
file is kept but its pixels: they are copied into a new image, which is encoded afresh.

A stored file is named `<key>-<width>x<height>.<ext>`: the key is random, the size is the
rendition's own. The largest rendition's address is the one organisers write in Markdown; the
smaller ones follow from it (`renditions`), so a page renders its `srcset` without reading the
database. Each rendition is stored twice: as WebP, which pages show (a third smaller), and as
JPEG (PNG where there is transparency), for email clients and link previews that take no WebP.

Pages offer widths up to PAGE_MAX only: a phone with a dense screen would otherwise fetch the
largest, and a first visit must stay light (the page-weight test). The largest is for link
previews (og:image).
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# The widths a picture is cut to (a logo in the "Signed on" grid, a phone, a phone at 2x or a
# wide column, a wide screen at 2x).
LADDER = (160, 480, 960, 1600)
# Where pictures are stored (the storage's own names) and served from (the site's own paths).
FOLDER = "pictures"
URL_PREFIX = "/media/pictures/"
# What is accepted: the formats browsers show, read by Pillow (the uploaded file's name and
# declared type are not trusted).
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
# A decoded 40-megapixel image takes 160 MB; anything larger is refused before it is decoded.
MAX_PIXELS = 40_000_000
# JPEG quality for photographs: visually clean, about a tenth of the camera's size.
QUALITY = 80
# WebP quality: as clean to the eye as the JPEG, a third smaller.
WEBP_QUALITY = 72
# The widest rendition a page offers (see above).
PAGE_MAX = 960
# The tallest a picture is kept (a long infographic is shrunk to fit): every rendition's
# name then holds its size in four digits.
MAX_HEIGHT = 2400

NAME = re.compile(
    r"^(?P<key>[A-Za-z0-9]{20})-(?P<width>[0-9]{1,4})x(?P<height>[0-9]{1,4})\.(?P<ext>jpg|png|webp)$"
)


class PictureError(ValueError):
    """The upload is not a picture this site takes; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Processed:
    key: str
    width: int
    height: int
    ext: str
    # Stored name -> encoded bytes, the largest rendition first.
    files: dict[str, bytes]

    @property
    def name(self) -> str:
        """The largest rendition's stored name: the one that stands for the picture."""
        return next(iter(self.files))


def renditions(width: int, height: int) -> list[tuple[int, int]]:
    """The sizes a picture of `width` x `height` (its largest rendition) is stored at, the
    largest first."""
    sizes = [(width, height)]
    for step in reversed(LADDER):
        if step < width:
            sizes.append((step, max(1, round(height * step / width))))
    return sizes


def file_name(key: str, width: int, height: int, ext: str) -> str:
    return f"{key}-{width}x{height}.{ext}"


def _pixels(data: bytes, box: int) -> tuple[Image.Image, str]:
    """The picture in `data` as pixels only, no larger than `box` on either side, turned
    upright as its EXIF says and in sRGB (a wide-gamut photo keeps its colours), and its
    format. A new image from the raw pixels carries no EXIF, XMP, ICC profile or comment.

    A JPEG is decoded at the smallest scale that still covers `box` (its "draft"), and every
    picture is shrunk before any copy is made: a 40-megapixel upload costs tens of megabytes,
    not hundreds."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED:
                raise PictureError("format")
            if probe.width * probe.height > MAX_PIXELS:
                raise PictureError("too_many_pixels")
            probe.verify()
            source_format = probe.format
        with Image.open(io.BytesIO(data)) as opened:
            opened.seek(0)  # an animated GIF or WebP: its first frame
            icc = opened.info.get("icc_profile")
            transparent = opened.mode in ("RGBA", "LA", "PA") or opened.has_transparency_data
            # Shrunk in place (through the JPEG draft where there is one); EXIF is kept in
            # `info` for the turn below.
            opened.thumbnail((box, box), Image.Resampling.LANCZOS)
            upright = ImageOps.exif_transpose(opened)
            mode = "RGBA" if transparent else "RGB"
            converted = upright.convert(mode)
            if icc:
                converted = _to_srgb(converted, icc, mode)
            pixels = Image.frombytes(mode, converted.size, converted.tobytes())
    except PictureError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PictureError("not_image") from None
    return pixels, source_format


def _to_srgb(image: Image.Image, icc: bytes, mode: str) -> Image.Image:
    """`image` converted from the colour profile it came with to sRGB, which browsers assume
    once the profile is gone; as it is if the profile cannot be read."""
    try:
        converted = ImageCms.profileToProfile(image, io.BytesIO(icc), _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


_SRGB = ImageCms.createProfile("sRGB")


def _encode(image: Image.Image, lossless: bool = False) -> tuple[bytes, str]:
    """JPEG for photographs, PNG where there is transparency or where asked."""
    out = io.BytesIO()
    if image.mode == "RGBA" or lossless:
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "png"
    image.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue(), "jpg"


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """`image` shrunk, if need be, to fit in `width` x `height`."""
    scale = min(width / image.width, height / image.height)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def process(data: bytes) -> Processed:
    """Check `data` (raises PictureError), keep its pixels only and encode them afresh at each
    width of the ladder."""
    pixels = _fit(_pixels(data, MAX_HEIGHT)[0], LADDER[-1], MAX_HEIGHT)
    width, height = pixels.size
    key = secrets.token_urlsafe(15).replace("-", "a").replace("_", "b")[:20]
    files: dict[str, bytes] = {}
    ext = "jpg"
    try:
        for w, h in renditions(width, height):
            resized = pixels if w == width else pixels.resize((w, h), Image.Resampling.LANCZOS)
            content, ext = _encode(resized)
            files[f"{FOLDER}/{file_name(key, w, h, ext)}"] = content
            out = io.BytesIO()
            resized.save(out, "WEBP", quality=WEBP_QUALITY, method=6)
            files[f"{FOLDER}/{file_name(key, w, h, 'webp')}"] = out.getvalue()
    except (OSError, ValueError):
        raise PictureError("not_image") from None
    return Processed(key=key, width=width, height=height, ext=ext, files=files)


def reencode(data: bytes, max_width: int) -> tuple[bytes, str]:
    """One rendition, at most `max_width` wide, without metadata (for logos): the bytes and
    their extension. A logo drawn in flat colours (not a JPEG) stays lossless."""
    pixels, source_format = _pixels(data, max_width * 4)
    return _encode(_fit(pixels, max_width, max_width * 4), lossless=source_format != "JPEG")


@dataclass(frozen=True)
class Source:
    """What an <img> needs to show a stored picture at the right size."""

    src: str
    srcset: str
    # The same widths as WebP, for a <source> before the <img>.
    webp_srcset: str
    width: int
    height: int
    # The smallest rendition, for a thumbnail or a logo.
    thumb: str


def source(url: str) -> Source | None:
    """The `srcset` of the picture whose largest rendition is at `url` (a path of this site),
    or None when `url` is not one of this site's pictures."""
    if not url.startswith(URL_PREFIX):
        return None
    match = NAME.match(url[len(URL_PREFIX) :])
    if match is None:
        return None
    key, ext = match["key"], match["ext"]
    width, height = int(match["width"]), int(match["height"])
    if not (0 < width <= LADDER[-1]) or height <= 0 or ext == "webp":
        return None
    sizes = renditions(width, height)
    shown = [size for size in sizes if size[0] <= PAGE_MAX] or sizes[-1:]

    def srcset(extension: str) -> str:
        return ", ".join(f"{URL_PREFIX}{file_name(key, w, h, extension)} {w}w" for w, h in shown)

    # The src browsers without srcset take: the widest a page offers.
    w, h = shown[0]
    tw, th = sizes[-1]
    return Source(
        src=f"{URL_PREFIX}{file_name(key, w, h, ext)}",
        srcset=srcset(ext),
        webp_srcset=srcset("webp"),
        width=width,
        height=height,
        thumb=f"{URL_PREFIX}{file_name(key, tw, th, 'webp')}",
    )


def is_local(url: str) -> bool:
    """Whether `url` names one of this site's stored pictures (a rendition of any size)."""
    return url.startswith(URL_PREFIX) and NAME.match(url[len(URL_PREFIX) :]) is not None
