"""A corpus of hostile or broken uploads for the photo submission endpoint, made on the fly.

Each `Upload` says how it is sent (a file in the `photo` field, other multipart fields, or a raw
body) and what the server must do with it: refuse it with a message naming the problem, or accept it
because it is a real photo (CMYK, 16-bit, rotated, with metadata or trailing bytes) and store a clean
re-encoded JPEG. Nothing here needs Django; `corpus(face)` takes a real face JPEG to build on.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

REJECT, ACCEPT = "reject", "accept"

# Message fragments of fer_inference.decode and the capture form, as the participant reads them.
NOT_A_PHOTO = "not a photo"
NOT_ACCEPTED = "are not accepted"
ANIMATED = "Animated images"
TOO_MANY_PIXELS = "too many pixels"
DAMAGED = ("did not arrive completely", "damaged")
EMPTY = "empty"
TOO_LARGE = "too large"
NO_PHOTO = "Please take a photo"


@dataclass
class Upload:
    name: str
    expect: str  # REJECT or ACCEPT
    data: bytes = b""  # the file in the `photo` field
    filename: str = "snapshot.jpg"
    content_type: str = "image/jpeg"
    message: str | tuple[str, ...] = ()  # a fragment the refusal must contain (any of a tuple)
    fields: dict | None = None  # send these multipart fields instead of one `photo` file
    raw: bytes | None = None  # send this body as is, with `raw_content_type`
    raw_content_type: str = ""
    size: tuple[int, int] | None = None  # for ACCEPT: the stored (width, height)
    pixel: tuple[int, int, tuple[int, int, int]] | None = None  # (x, y, rgb) the stored photo shows
    checks: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # short ids in pytest output
        return self.name


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_with_header(width: int, height: int, *, idat: bytes = b"") -> bytes:
    """A PNG whose header claims `width` x `height` but whose pixel data is tiny (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat or zlib.compress(b"\0" * 1024))
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_dimensions(face: bytes, width: int, height: int) -> bytes:
    """The face JPEG with its SOF header rewritten to claim other dimensions."""
    data = bytearray(face)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at > 0:
            data[at + 5 : at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF marker")


def animated(fmt: str, **options) -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "green", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **options)


def exif_jpeg(face: bytes, **tags) -> bytes:
    image = Image.open(io.BytesIO(face))
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag.removeprefix("t"))] = value
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


def sixteen_bit_gray_png() -> bytes:
    """A 16-bit grayscale ramp: left black, right white, the middle column mid-grey."""
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    return encode(Image.fromarray(ramp), "PNG")


def sixteen_bit_rgb_png() -> bytes:
    """A 48-bit RGB PNG written by hand (Pillow cannot write one): solid (0x8000, 0x4000, 0xC000)."""
    width, height = 32, 16
    row = b"\0" + struct.pack(">HHH", 0x8000, 0x4000, 0xC000) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(row * height))
        + png_chunk(b"IEND", b"")
    )


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">'
    b'<script>alert(1)</script><circle cx="320" cy="240" r="100"/></svg>'
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def multipart(boundary: bytes, parts: list[bytes], *, close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if close else b"")


def file_part(name: str, filename: str, data: bytes, content_type: str = "image/jpeg") -> bytes:
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + data


def corpus(face: bytes, *, max_bytes: int, max_memory: int) -> list[Upload]:
    """The hostile uploads, built on `face` (a real 640x480 JPEG of a face)."""
    face_image = Image.open(io.BytesIO(face)).convert("RGB")
    width, height = face_image.size
    png_face = encode(face_image, "PNG")
    red = (220, 30, 30)
    polyglot = png_face[:-12] + png_chunk(b"tEXt", b"Comment\0" + HTML) + png_face[-12:] + HTML
    boundary = b"----hostile0boundary"

    uploads = [
        # Not images at all, whatever their name and content type say.
        Upload("zero_bytes", REJECT, b"", message=EMPTY),
        Upload("random_bytes", REJECT, bytes(range(256)) * 40, message=NOT_A_PHOTO),
        Upload("text_named_jpg", REJECT, b"Dear diary\n" * 100, message=NOT_A_PHOTO),
        Upload("html_named_jpg", REJECT, HTML, message=NOT_A_PHOTO),
        Upload("svg_named_jpg", REJECT, SVG, filename="face.jpg", content_type="image/svg+xml", message=NOT_A_PHOTO),
        Upload("pdf_named_jpg", REJECT, PDF, message=NOT_A_PHOTO),
        Upload("html_then_png", REJECT, HTML + png_face, message=NOT_A_PHOTO),
        Upload("html_with_image_content_type", REJECT, HTML, filename="x.png", content_type="image/png",
               message=NOT_A_PHOTO),
        # Broken images.
        Upload("truncated_jpeg", REJECT, face[: len(face) // 2], message=DAMAGED),
        Upload("jpeg_header_only", REJECT, face[:300], message=DAMAGED),
        Upload("truncated_png", REJECT, png_face[: len(png_face) // 2], message=DAMAGED),
        Upload("png_bad_crc", REJECT, png_face[:29] + b"\0\0\0\0" + png_face[33:], message=(*DAMAGED, NOT_A_PHOTO)),
        # Decompression bombs and absurd dimensions: refused from the header, before decoding.
        Upload("png_header_50000x50000", REJECT, png_with_header(50_000, 50_000), message=TOO_MANY_PIXELS),
        Upload("png_header_7000x7000", REJECT, png_with_header(7000, 7000, idat=zlib.compress(b"\0" * 7001 * 7000)),
               message=TOO_MANY_PIXELS),
        Upload("jpeg_header_65000x65000", REJECT, jpeg_with_dimensions(face, 65_000, 65_000),
               message=TOO_MANY_PIXELS),
        # Formats a photo must not come in.
        Upload("animated_gif", REJECT, animated("GIF"), filename="a.gif", content_type="image/gif",
               message=NOT_ACCEPTED),
        Upload("still_gif", REJECT, encode(face_image, "GIF"), message=NOT_ACCEPTED),
        Upload("animated_png", REJECT, animated("PNG"), filename="a.png", content_type="image/png", message=ANIMATED),
        Upload("animated_webp", REJECT, animated("WEBP"), filename="a.webp", content_type="image/webp",
               message=ANIMATED),
        Upload("bmp", REJECT, encode(face_image, "BMP"), message=NOT_ACCEPTED),
        Upload("tiff", REJECT, encode(face_image, "TIFF"), message=NOT_ACCEPTED),
        Upload("ico", REJECT, encode(face_image.resize((64, 64)), "ICO"), message=NOT_ACCEPTED),
        # Size: a file over PHOTO_MAX_BYTES (padding after a valid JPEG still counts).
        Upload("file_over_photo_max_bytes", REJECT, face + b"\0" * (max_bytes + 1 - len(face)), message=TOO_LARGE),
        # Multipart abuse.
        Upload("missing_photo_field", REJECT, fields={"source": "webcam"}, message=NO_PHOTO),
        Upload("wrong_field_name", REJECT, fields={"image": ("face.jpg", face), "source": "webcam"}, message=NO_PHOTO),
        Upload("photo_sent_as_text_field", REJECT, fields={"photo": "data:image/jpeg;base64,/9j/4AAQ"},
               message=NO_PHOTO),
        Upload("two_files_last_is_html", REJECT, fields={"photo": [("face.jpg", face), ("x.jpg", HTML)]},
               message=NOT_A_PHOTO),
        Upload("bad_choice_and_negative_timing", REJECT,
               fields={"photo": ("face.jpg", face), "source": "drone", "captured_ms": "-5"}),
        Upload("json_body", REJECT, raw=b'{"photo": "/9j/4AAQ"}', raw_content_type="application/json",
               message=NO_PHOTO),
        Upload("raw_jpeg_body", REJECT, raw=face, raw_content_type="image/jpeg", message=NO_PHOTO),
        Upload("urlencoded_body", REJECT, raw=b"photo=%FF%D8%FF&source=webcam",
               raw_content_type="application/x-www-form-urlencoded", message=NO_PHOTO),
        Upload("multipart_without_boundary", REJECT, raw=multipart(boundary, [file_part("photo", "f.jpg", face)]),
               raw_content_type="multipart/form-data"),
        Upload("multipart_body_cut_short", REJECT,
               raw=multipart(boundary, [file_part("photo", "f.jpg", face)], close=False)[:-200],
               raw_content_type="multipart/form-data; boundary=" + boundary.decode(), message=(NO_PHOTO, DAMAGED)),
        Upload("multipart_garbage_body", REJECT, raw=b"\0\xff" * 5000,
               raw_content_type="multipart/form-data; boundary=" + boundary.decode()),
        Upload("urlencoded_over_data_upload_max", REJECT, raw=b"source=" + b"a" * (max_memory + 1),
               raw_content_type="application/x-www-form-urlencoded", message=TOO_LARGE),
        Upload("multipart_text_field_over_data_upload_max", REJECT,
               fields={"photo": ("face.jpg", face), "source": "a" * (max_memory + 1)}, message=TOO_LARGE),
        Upload("too_many_files", REJECT, fields={"photo": [(f"f{i}.jpg", b"x") for i in range(120)]}),
        Upload("too_many_fields", REJECT, raw=b"&".join(b"f%d=1" % i for i in range(1200)),
               raw_content_type="application/x-www-form-urlencoded"),
        # Real photos in unusual shapes: accepted and stored as a clean JPEG.
        Upload("cmyk_jpeg", ACCEPT, encode(Image.new("CMYK", (320, 240), (0, 220, 220, 35)), "JPEG", quality=95),
               size=(320, 240), pixel=(160, 120, red)),
        Upload("sixteen_bit_gray_png", ACCEPT, sixteen_bit_gray_png(), filename="ramp.png", content_type="image/png",
               size=(256, 64), pixel=(128, 32, (128, 128, 128))),
        Upload("sixteen_bit_rgb_png", ACCEPT, sixteen_bit_rgb_png(), filename="rgb48.png", content_type="image/png",
               size=(32, 16), pixel=(16, 8, (128, 64, 192))),
        Upload("exif_rotated_jpeg", ACCEPT, exif_jpeg(face, t274=6, t271="Hostile Camera Co."), size=(height, width)),
        Upload("huge_exif_jpeg", ACCEPT, exif_jpeg(face, t270="A" * 60_000, t271="<script>alert(1)</script>"),
               size=(width, height)),
        Upload("garbage_exif_jpeg", ACCEPT, face[:2] + b"\xff\xe1\x00\x40Exif\0\0" + b"\xee" * 56 + face[2:],
               size=(width, height)),
        Upload("jpeg_with_trailing_html", ACCEPT, face + HTML, size=(width, height)),
        Upload("png_html_polyglot", ACCEPT, polyglot, filename="poly.png", content_type="text/html",
               size=(width, height)),
        Upload("valid_jpeg_wrong_content_type", ACCEPT, face, filename="face.txt", content_type="text/plain",
               size=(width, height)),
        Upload("path_traversal_filename", ACCEPT, face, filename="../../../../etc/passwd.jpg", size=(width, height)),
        Upload("rgba_png", ACCEPT, encode(face_image.convert("RGBA"), "PNG"), filename="f.png",
               content_type="image/png", size=(width, height)),
        Upload("grayscale_jpeg", ACCEPT, encode(face_image.convert("L"), "JPEG"), size=(width, height)),
    ]
    return uploads
