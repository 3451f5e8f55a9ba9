"""Uploaded pictures keep their pixels only: no EXIF (GPS, camera, time), turned upright, cut
to the ladder's widths."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from undersigned.lib import pictures

GPS_IFD = 0x8825


def photo(width: int = 2400, height: int = 1600, *, orientation: int | None = None) -> bytes:
    """A JPEG as a phone writes it: with the camera, the time and where it was taken."""
    image = Image.new("RGB", (width, height), (180, 40, 50))
    for x in range(0, width, 40):
        image.paste((20, 20, 90), (x, 0, x + 10, height))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x0132] = "2026:12:05 15:02:11"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (12.0, 2.0, 46.0), 3: "W", 4: (77.0, 1.0, 43.0)})
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def test_the_test_photo_does_carry_gps() -> None:
    with Image.open(io.BytesIO(photo())) as image:
        assert image.getexif().get_ifd(GPS_IFD)


def test_every_rendition_is_stripped_of_all_metadata() -> None:
    processed = pictures.process(photo())
    assert len(processed.files) == 8  # four widths, as JPEG and as WebP
    for name, content in processed.files.items():
        assert pictures.NAME.match(name.split("/", 1)[1]), name
        assert b"Exif" not in content and b"PhoneMaker" not in content
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == ("WEBP" if name.endswith(".webp") else "JPEG")
            assert not image.getexif() and "icc_profile" not in image.info
            assert "exif" not in image.info and "xmp" not in image.info


def test_it_is_cut_to_the_ladder_largest_first() -> None:
    processed = pictures.process(photo(2400, 1600))
    assert (processed.width, processed.height) == (1600, 1067)
    sizes = [
        Image.open(io.BytesIO(c)).size for n, c in processed.files.items() if n.endswith("jpg")
    ]
    assert sizes == [(1600, 1067), (960, 640), (480, 320), (160, 107)]
    small = pictures.process(photo(600, 400))
    assert [Image.open(io.BytesIO(c)).size for n, c in small.files.items() if "webp" in n] == [
        (600, 400),
        (480, 320),
        (160, 107),
    ]


def test_a_sideways_photo_is_turned_upright_before_its_exif_goes() -> None:
    processed = pictures.process(photo(800, 400, orientation=6))  # rotated 90° by the camera
    assert (processed.width, processed.height) == (400, 800)


def test_transparency_is_kept_as_png() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(out, "PNG")
    processed = pictures.process(out.getvalue())
    assert processed.ext == "png" and processed.name.endswith("-300x100.png")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a picture at all", "not_image"),
        (b"GIF89a" + b"\x00" * 20, "not_image"),
    ],
)
def test_what_is_not_a_picture_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(pictures.PictureError) as refused:
        pictures.process(data)
    assert refused.value.code == code


def test_a_format_browsers_do_not_show_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "BMP")
    with pytest.raises(pictures.PictureError) as refused:
        pictures.process(out.getvalue())
    assert refused.value.code == "format"


def test_too_many_pixels_are_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pictures, "MAX_PIXELS", 1000)
    with pytest.raises(pictures.PictureError) as refused:
        pictures.process(photo(100, 100))
    assert refused.value.code == "too_many_pixels"


def test_the_sizes_follow_from_the_largest_address() -> None:
    found = pictures.source("/media/pictures/abcdefghij0123456789-1600x1067.jpg")
    assert found is not None and (found.width, found.height) == (1600, 1067)
    assert found.src == "/media/pictures/abcdefghij0123456789-960x640.jpg"
    # Pages offer up to PAGE_MAX: a dense phone screen would otherwise fetch the largest.
    assert "1600x1067" not in found.srcset and "1600x1067" not in found.webp_srcset
    assert "abcdefghij0123456789-480x320.webp 480w" in found.webp_srcset
    assert found.thumb == "/media/pictures/abcdefghij0123456789-160x107.webp"
    for address in (
        "https://elsewhere.example/media/pictures/abcdefghij0123456789-1600x1067.jpg",
        "/media/pictures/abcdefghij0123456789-1600x1067.gif",
        "/media/pictures/../secret-1600x1067.jpg",
        "/media/pictures/abcdefghij0123456789-9999x1067.jpg",
    ):
        assert pictures.source(address) is None, address


def test_a_logo_is_reencoded_small_and_without_metadata() -> None:
    content, ext = pictures.reencode(photo(1200, 600), 256)
    assert ext == "jpg" and b"Exif" not in content
    assert Image.open(io.BytesIO(content)).size == (256, 128)


def _with_metadata(kind: str) -> bytes:
    """A picture of `kind` carrying every sort of metadata that format holds."""
    image = Image.new("RGB", (400, 300), (30, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (12.0, 2.0, 46.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">PhoneMaker at -12.04,-77.03</x:xmpmeta>'
    out = io.BytesIO()
    if kind == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Location", "PhoneMaker at -12.04,-77.03")
        info.add_itxt("Author", "PhoneMaker owner", zip=True)
        image.save(out, "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=icc)
    elif kind == "WEBP":
        image.save(out, "WEBP", exif=exif.tobytes(), icc_profile=icc, xmp=xmp)
    elif kind == "GIF":
        image.save(out, "GIF", comment=b"PhoneMaker at -12.04,-77.03")
    else:
        image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, xmp=xmp)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "GIF"])
def test_no_metadata_of_any_format_survives(kind: str) -> None:
    data = _with_metadata(kind)
    assert b"PhoneMaker" in data  # the input does carry it
    for name, content in pictures.process(data).files.items():
        assert b"PhoneMaker" not in content and b"Exif" not in content, name
        assert b"xmpmeta" not in content and b"ICC_PROFILE" not in content, name
        with Image.open(io.BytesIO(content)) as image:
            assert not image.getexif() and "icc_profile" not in image.info, name


def test_a_very_tall_picture_is_shrunk_to_fit_and_named_as_the_others() -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 17000), (10, 10, 10)).save(out, "PNG")
    processed = pictures.process(out.getvalue())
    assert processed.height == pictures.MAX_HEIGHT and processed.width < 300
    for name in processed.files:
        assert pictures.NAME.match(name.split("/", 1)[1]), name
    assert pictures.source(pictures.URL_PREFIX + processed.name.split("/", 1)[1]) is not None


def test_a_colour_marked_transparent_stays_transparent() -> None:
    out = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 255, 255)).save(out, "PNG", transparency=(255, 255, 255))
    assert pictures.process(out.getvalue()).ext == "png"
