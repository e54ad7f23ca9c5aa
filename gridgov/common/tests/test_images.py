"""Event photo upload pipeline: checked by content, re-encoded without metadata, GPS and time kept."""

import hashlib
import io
import re
import struct
import zlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from PIL import Image, ImageCms, ImageFile, PngImagePlugin, TiffImagePlugin

from gridgov.common.errors import ValidationFailed
from gridgov.common.images import ProcessedImage, image_filename, process_image

R = TiffImagePlugin.IFDRational
SHANGHAI = ZoneInfo("Asia/Shanghai")

# 22°40'12.34"N 113°51'5.67"E (Bao'an, Shenzhen)
LAT = 22 + 40 / 60 + 12.34 / 3600
LON = 113 + 51 / 60 + 5.67 / 3600


# --- builders ----------------------------------------------------------------------------------


def make_exif(*, gps=True, lat_ref="N", lon_ref="E", taken="2026:11:03 14:25:36", offset=None, orientation=None):
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {
            1: lat_ref,
            2: (R(22, 1), R(40, 1), R(1234, 100)),
            3: lon_ref,
            4: (R(113, 1), R(51, 1), R(567, 100)),
        }
    exif_ifd = {}
    if taken is not None:
        exif_ifd[0x9003] = taken
    if offset is not None:
        exif_ifd[0x9011] = offset
    if exif_ifd:
        exif[0x8769] = exif_ifd
    return exif


def encode(im, fmt="JPEG", **kw):
    out = io.BytesIO()
    im.save(out, format=fmt, **kw)
    return out.getvalue()


def jpeg(size=(400, 300), color=(200, 60, 30), exif=None, **kw):
    if exif is not None:
        kw["exif"] = exif.tobytes()
    return encode(Image.new("RGB", size, color), "JPEG", quality=90, **kw)


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def zero_png(width, height, bit_depth, colour_type, bytes_per_row):
    """A real, valid PNG of the given size whose pixels are all zero: tiny file, huge image."""
    row = bytes(1 + bytes_per_row)  # filter byte + pixels
    packer = zlib.compressobj(9)
    rows_per_step = 1000
    parts = [packer.compress(row * min(rows_per_step, height - y)) for y in range(0, height, rows_per_step)]
    idat = b"".join(parts) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def _s15(value):
    return struct.pack(">i", round(value * 65536))


def _xyz(x, y, z):
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def swapped_icc_profile():
    """A valid RGB matrix/TRC ICC profile whose red and blue primaries are swapped relative to sRGB."""
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)  # gamma 2.2
    tags = [
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.1431, 0.0606, 0.7141)),  # the sRGB blue primary
        (b"gXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", _xyz(0.4361, 0.2225, 0.0139)),  # the sRGB red primary
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table = body = b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body)) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
        + bytes(12) + b"acsp" + bytes(28) + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(48)
    )
    return header + struct.pack(">I", len(tags)) + table + body


def refused(data, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        process_image(data, **kw)
    assert info.value.field == "photo"
    return info.value


def reopen(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


# --- GPS and time ------------------------------------------------------------------------------


def test_gps_and_time_are_read_from_exif():
    result = process_image(jpeg(exif=make_exif()))
    assert isinstance(result, ProcessedImage)
    assert result.lat == pytest.approx(LAT, abs=1e-6)
    assert result.lon == pytest.approx(LON, abs=1e-6)
    assert result.taken_at == datetime(2026, 11, 3, 14, 25, 36, tzinfo=SHANGHAI)
    assert result.taken_at.utcoffset() == timedelta(hours=8)
    assert result.original_format == "JPEG"


def test_southern_and_western_hemispheres_are_negative():
    result = process_image(jpeg(exif=make_exif(lat_ref="S", lon_ref="W")))
    assert result.lat == pytest.approx(-LAT, abs=1e-6)
    assert result.lon == pytest.approx(-LON, abs=1e-6)


def test_offset_time_original_is_honoured():
    result = process_image(jpeg(exif=make_exif(offset="-05:00")))
    assert result.taken_at.utcoffset() == timedelta(hours=-5)
    assert result.taken_at == datetime(2026, 11, 3, 19, 25, 36, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    "gps",
    [
        {1: "N", 2: (R(0, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(0, 1), R(0, 1), R(0, 1))},  # 0,0: no fix
        {1: "N", 2: (R(95, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(113, 1), R(0, 1), R(0, 1))},  # lat > 90
        {1: "N", 2: (R(22, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(200, 1), R(0, 1), R(0, 1))},  # lon > 180
        {1: "N", 2: (R(22, 1), R(75, 1), R(0, 1)), 3: "E", 4: (R(113, 1), R(0, 1), R(0, 1))},  # 75 minutes
        {1: "N", 2: (R(22, 1), R(1, 0), R(0, 1)), 3: "E", 4: (R(113, 1), R(0, 1), R(0, 1))},  # x/0
        {2: (R(22, 1), R(40, 1), R(0, 1)), 4: (R(113, 1), R(51, 1), R(0, 1))},  # no hemisphere
        {1: "N", 2: (R(22, 1), R(40, 1), R(0, 1))},  # no longitude
        {1: "Q", 2: (R(22, 1), R(40, 1), R(0, 1)), 3: "E", 4: (R(113, 1), R(51, 1), R(0, 1))},  # bad ref
    ],
    ids=["null-island", "lat-95", "lon-200", "minutes-75", "zero-denominator", "no-ref", "no-lon", "bad-ref"],
)
def test_nonsense_gps_gives_no_position(gps):
    exif = make_exif(gps=False)
    exif[0x8825] = gps
    result = process_image(jpeg(exif=exif))
    assert (result.lon, result.lat) == (None, None)


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday"])
def test_placeholder_times_give_no_time(taken):
    assert process_image(jpeg(exif=make_exif(taken=taken))).taken_at is None


def test_photo_without_exif_has_no_position_or_time():
    result = process_image(jpeg())
    assert (result.lon, result.lat, result.taken_at) == (None, None, None)


# --- metadata is gone --------------------------------------------------------------------------


def test_output_has_no_exif_or_other_metadata():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(
        exif=make_exif(offset="+08:00"),
        comment=b"secret comment",
        icc_profile=srgb,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret xmp</x:xmpmeta>',
    )
    source = reopen(data)
    assert source.getexif().get_ifd(0x8825) and "comment" in source.info and "icc_profile" in source.info

    result = process_image(data)
    for blob in (result.content, result.thumbnail):
        out = reopen(blob)
        assert out.format == "JPEG"
        assert len(out.getexif()) == 0
        assert out.getexif().get_ifd(0x8825) == {}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(out.info)
        for marker in (b"Exif\x00\x00", b"secret", b"xmpmeta", b"ICC_PROFILE", b"2026:11:03"):
            assert marker not in blob
    assert result.lat == pytest.approx(LAT, abs=1e-6)  # read before it was dropped


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_comments_and_text_are_not_carried_over(fmt):
    im = Image.new("RGB", (120, 80), (30, 90, 200))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "secret comment")
        info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret xmp</x:xmpmeta>")
        data = encode(im, "PNG", pnginfo=info, exif=make_exif().tobytes())
    elif fmt == "JPEG":
        data = encode(im, "JPEG", comment=b"secret comment", xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>")
    else:
        data = encode(im, "WEBP", exif=make_exif().tobytes(), xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>")
    assert b"secret" in data or b"2026:11:03" in data

    result = process_image(data)

    out = reopen(result.content)
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(out.info)
    for marker in (b"secret", b"xmpmeta", b"Exif\x00\x00", b"2026:11:03"):
        assert marker not in result.content and marker not in result.thumbnail
    if fmt != "JPEG":
        assert result.lat == pytest.approx(LAT, abs=1e-6)  # PNG eXIf and WebP EXIF are read too


def test_trailing_data_after_the_image_is_not_carried_over():
    payload = b"<?php system($_GET['c']); ?>"
    result = process_image(jpeg() + payload)
    assert payload not in result.content and b"<?php" not in result.content


def test_orientation_6_rotates_the_picture():
    im = Image.new("RGB", (400, 200), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 200, 200))  # left half red, right half blue
    data = encode(im, "JPEG", quality=95, exif=make_exif(orientation=6).tobytes())

    result = process_image(data)

    assert (result.width, result.height) == (200, 400)
    out = reopen(result.content)
    assert out.size == (200, 400)
    red_top, blue_bottom = out.getpixel((100, 50)), out.getpixel((100, 350))
    assert red_top[0] > 200 and red_top[2] < 60  # rotated 90° clockwise: the left edge is now the top
    assert blue_bottom[2] > 200 and blue_bottom[0] < 60
    assert 0x0112 not in out.getexif()


# --- formats and colour ------------------------------------------------------------------------


def test_png_with_transparency_becomes_rgb_jpeg_on_white():
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # fully transparent black
    im.paste((255, 0, 0, 255), (50, 0, 100, 100))  # opaque red right half

    result = process_image(encode(im, "PNG"))

    out = reopen(result.content)
    assert result.original_format == "PNG"
    assert (out.format, out.mode) == ("JPEG", "RGB")
    assert min(out.getpixel((10, 50))) > 245  # transparent → white, not black
    r, g, b = out.getpixel((90, 50))
    assert r > 240 and g < 20 and b < 20


def test_gif_first_frame_with_palette_transparency():
    first = Image.new("P", (60, 40), 1)
    first.putpalette([0, 0, 0, 0, 160, 0] + [0] * 762)  # index 0 is black
    first.paste(0, (0, 0, 30, 40))  # left half: palette index 0, declared transparent
    second = Image.new("P", (60, 40), 2)
    second.putpalette([0, 0, 0, 0, 0, 0, 200, 0, 200] + [0] * 759)
    data = encode(first, "GIF", save_all=True, append_images=[second], transparency=0, duration=100)

    result = process_image(data)

    out = reopen(result.content)
    assert result.original_format == "GIF" and out.mode == "RGB"
    r, g, b = out.getpixel((50, 20))
    assert g > 130 and r < 40 and b < 40  # green of the first frame, not the purple of the second
    assert min(out.getpixel((5, 20))) > 240  # transparent → white, not the black of index 0


def test_webp_is_accepted():
    result = process_image(encode(Image.new("RGB", (80, 60), (10, 120, 240)), "WEBP"))
    assert result.original_format == "WEBP" and reopen(result.content).format == "JPEG"


def test_multi_picture_jpeg_from_a_phone_is_a_jpeg():
    main, depth = Image.new("RGB", (90, 60), (250, 0, 0)), Image.new("RGB", (90, 60), (0, 0, 250))
    data = encode(main, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = process_image(data)

    assert result.original_format == "JPEG"
    assert reopen(result.content).getpixel((45, 30))[0] > 200


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG")  # red in CMYK
    out = reopen(process_image(data).content)
    r, g, b = out.getpixel((25, 25))
    assert out.mode == "RGB" and r > 200 and g < 60 and b < 60


def test_embedded_colour_profile_is_applied_before_it_is_dropped():
    data = jpeg(size=(64, 64), color=(255, 0, 0), icc_profile=swapped_icc_profile())

    result = process_image(data)

    out = reopen(result.content)
    r, g, b = out.getpixel((32, 32))
    assert b > 200 and r < 60 and g < 60  # (255, 0, 0) in that profile is sRGB blue
    assert "icc_profile" not in out.info


def test_broken_colour_profile_does_not_lose_the_photo():
    data = jpeg(size=(64, 64), color=(255, 0, 0), icc_profile=b"not an icc profile" * 10)
    r, g, b = reopen(process_image(data).content).getpixel((32, 32))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_greyscale_png_is_scaled_not_clipped():
    data = encode(Image.new("I;16", (40, 40), 32896), "PNG")  # mid grey in 16 bits
    r, g, b = reopen(process_image(data).content).getpixel((20, 20))
    assert 110 < r < 145 and abs(r - g) < 4 and abs(r - b) < 4


# --- refusals ----------------------------------------------------------------------------------


def test_empty_file_is_refused():
    assert refused(b"").code == "file_empty"


def test_oversized_file_is_refused_with_the_limit_in_mb():
    data = jpeg(size=(600, 600))
    process_image(data, max_bytes=len(data))  # exactly at the limit: fine
    with translation.override("en"):
        error = refused(data + b"\0", max_bytes=len(data))
        assert error.code == "file_too_large"
        error = refused(data + bytes(1024 * 1024), max_bytes=1024 * 1024)
        assert "1 MB" in error.message
        error = refused(bytes(11 * 1024 * 1024))  # default limit 10 MB, checked before anything else
        assert error.code == "file_too_large" and "10 MB" in error.message


def _refusals():
    return {
        "file_empty": (b"", {}),
        "file_too_large": (b"x" * 20, {"max_bytes": 10}),
        "not_an_image": (b"plain text", {}),
        "unsupported_format": (encode(Image.new("RGB", (8, 8)), "BMP"), {}),
        "heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200), {}),
        "image_too_large": (jpeg(size=(300, 200)), {"max_pixels": 100}),
        "image_corrupt": (jpeg(size=(300, 200))[:300], {}),
    }


@pytest.mark.parametrize("case", list(_refusals()))
def test_refusals_are_explained_in_chinese(case):
    data, kw = _refusals()[case]
    with translation.override("zh-hans"):
        chinese = refused(data, **kw).message
    with translation.override("en"):
        english = refused(data, **kw).message
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert chinese != english and not re.search(r"[\u4e00-\u9fff]", english)


@pytest.mark.parametrize(
    "data",
    [
        "这是一个改名为 .jpg 的文本文件\n".encode() * 20,
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 400,
        b"\xff\xd8\xff\xe0" + b"not really a jpeg",  # JPEG magic bytes, then rubbish
        b"MZ\x90\x00" + bytes(300),  # a Windows executable
    ],
    ids=["text", "pdf", "fake-jpeg-magic", "exe"],
)
def test_files_that_are_not_images_are_refused(data):
    assert refused(data).code == "not_an_image"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (encode(Image.new("RGB", (20, 20)), "BMP"), "BMP"),
        (encode(Image.new("RGB", (20, 20)), "TIFF"), "TIFF"),
        (encode(Image.new("RGB", (20, 20)), "ICO"), "ICO"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200), "HEIC"),
    ],
    ids=["bmp", "tiff", "ico", "svg-xml", "svg", "heic"],
)
def test_image_formats_outside_the_allow_list_are_refused(data, name):
    error = refused(data)
    assert error.code == "unsupported_format"
    assert name in str(error.message)


@pytest.fixture(scope="module")
def png_bomb():
    return zero_png(30000, 30000, 1, 0, 30000 // 8)  # 900 million pixels in about 100 KB


def test_decompression_bomb_is_refused(png_bomb):
    assert len(png_bomb) < 200_000
    with translation.override("zh-hans"):
        error = refused(png_bomb)
    assert error.code == "image_too_large"
    assert error.message == "图片像素过多。"


@pytest.fixture
def load_calls(monkeypatch):
    calls = []
    original = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def test_pixel_limit_is_checked_before_decoding(load_calls):
    # 49 million pixels: under Pillow's own global guard (89 million), over ours (40 million).
    data = zero_png(7000, 7000, 8, 0, 7000)
    assert len(data) < 200_000

    error = refused(data)

    assert error.code == "image_too_large"
    assert "7000" in str(error.message)
    assert load_calls == []  # nothing was decoded


def test_pixel_limit_is_local_to_the_call():
    max_before = Image.MAX_IMAGE_PIXELS
    data = jpeg(size=(300, 200))
    assert refused(data, max_pixels=300 * 200 - 1).code == "image_too_large"
    assert process_image(data, max_pixels=300 * 200).width == 300
    assert Image.MAX_IMAGE_PIXELS == max_before


def test_truncated_jpeg_is_refused():
    data = encode(Image.effect_noise((600, 400), 60).convert("RGB"), "JPEG", quality=90)
    process_image(data)
    assert refused(data[: len(data) // 2]).code == "image_corrupt"


def test_png_with_a_damaged_chunk_is_refused():
    data = bytearray(encode(Image.effect_noise((200, 200), 60), "PNG"))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: the CRC no longer matches
    assert refused(bytes(data)).code == "image_corrupt"


def test_png_damaged_after_the_pixels_is_refused():
    """Decoding alone would accept these; the structural check (verify) does not."""
    data = encode(Image.new("RGB", (40, 30), (255, 0, 0)), "PNG")
    iend = data.rfind(b"IEND") - 4
    process_image(data)
    assert refused(data[:iend]).code == "image_corrupt"  # cut off before IEND
    bad_text = bytearray(png_chunk(b"tEXt", b"k\x00v"))
    bad_text[-1] ^= 0xFF  # wrong CRC
    assert refused(data[:iend] + bytes(bad_text) + data[iend:]).code == "image_corrupt"


# --- sizes, thumbnail, hash, names ------------------------------------------------------------


def test_large_image_is_downscaled_to_max_side():
    result = process_image(jpeg(size=(3000, 1000)), max_side=1000)
    assert (result.width, result.height) == (1000, 333)
    assert reopen(result.content).size == (1000, 333)

    result = process_image(jpeg(size=(1000, 5200)))  # default max_side 2560
    assert (result.width, result.height) == (492, 2560)


def test_small_image_keeps_its_size():
    result = process_image(jpeg(size=(640, 480)))
    assert (result.width, result.height) == (640, 480)


def test_thumbnail_longest_side_is_320():
    thumb = reopen(process_image(jpeg(size=(2000, 1500))).thumbnail)
    assert thumb.format == "JPEG" and thumb.size == (320, 240)

    thumb = reopen(process_image(jpeg(size=(900, 3000))).thumbnail)
    assert thumb.size == (96, 320)

    thumb = reopen(process_image(jpeg(size=(100, 50))).thumbnail)
    assert thumb.size == (100, 50)  # never enlarged


def test_sha256_is_of_the_content_and_stable():
    data = jpeg(size=(800, 600), exif=make_exif())
    first, second = process_image(data), process_image(data)
    assert first.sha256 == second.sha256 == hashlib.sha256(first.content).hexdigest()
    assert first.content == second.content
    assert process_image(jpeg(size=(800, 600), color=(0, 0, 0))).sha256 != first.sha256


def test_image_filename_is_server_generated(monkeypatch):
    digest = hashlib.sha256(b"x").hexdigest()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 23))

    name = image_filename(digest)

    assert re.fullmatch(r"photos/2026/11/[0-9a-f]{32}\.jpg", name)
    assert digest not in name
    assert image_filename(digest, ".webp").endswith(".webp")
    assert len({image_filename(digest) for _ in range(1000)}) == 1000


def test_image_filename_uses_the_current_date():
    today = timezone.localdate()
    assert image_filename(hashlib.sha256(b"x").hexdigest()).startswith(f"photos/{today:%Y/%m}/")


@pytest.mark.parametrize(
    ("digest", "suffix"),
    [
        ("../../etc/passwd", ".jpg"),
        ("A" * 64, ".jpg"),
        (hashlib.sha256(b"x").hexdigest(), "/../x.php"),
        (hashlib.sha256(b"x").hexdigest(), ".jpg.php/"),
        (hashlib.sha256(b"x").hexdigest(), "jpg"),
        (hashlib.sha256(b"x").hexdigest(), ".jpg\n"),
        (hashlib.sha256(b"x").hexdigest() + "\n", ".jpg"),
    ],
)
def test_image_filename_refuses_odd_arguments(digest, suffix):
    with pytest.raises(ValueError):
        image_filename(digest, suffix)
