"""Pillow case of `bench decode`: the same per-image work as the Java cases, on one thread.

decode (libjpeg-turbo, reduced in the DCT domain by Image.draft to the smallest scale whose short side is still at
least 256, EXIF orientation applied) -> resize the short side to 256 with Pillow's BOX filter (the area filter the
Java resize uses) -> JPEG encode at quality 90 (4:2:0). Prints one `RESULT {json}` line in the Java Result's fields.

usage: bench_decode_pillow.py DIR MIN_SHORT_SIDE WARMUP_SECONDS SECONDS
"""
import io
import json
import os
import sys
import time

from PIL import Image, ImageOps

SHORT_SIDE = 256


def load(directory, min_short_side):
    files = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or not name.lower().endswith((".jpg", ".jpeg")):
            continue
        with open(path, "rb") as f:
            data = f.read()
        try:
            with Image.open(io.BytesIO(data)) as im:
                if min(im.size) >= min_short_side:
                    files.append(data)
        except Exception:  # not a photo we can use, as the Java loader skips it
            pass
    return files


def short_side_size(w, h):
    if w <= h:
        return SHORT_SIDE, max(1, round(h * SHORT_SIDE / w))
    return max(1, round(w * SHORT_SIDE / h)), SHORT_SIDE


def decode(data):
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", short_side_size(*im.size))
    im = ImageOps.exif_transpose(im)
    return im.convert("RGB")


def once(data):
    t0 = time.perf_counter_ns()
    im = decode(data)
    t1 = time.perf_counter_ns()
    small = im.resize(short_side_size(*im.size), Image.BOX)
    t2 = time.perf_counter_ns()
    out = io.BytesIO()
    small.save(out, "JPEG", quality=90)
    t3 = time.perf_counter_ns()
    return t1 - t0, t2 - t1, t3 - t2


def main():
    directory, min_short_side, warmup, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    files = load(directory, min_short_side)
    if not files:
        sys.exit("no JPEG with a short side of at least %d px in %s" % (min_short_side, directory))
    mp = 0.0
    for data in files:
        with Image.open(io.BytesIO(data)) as im:
            mp += im.size[0] * im.size[1] / 1e6
    end = time.perf_counter() + warmup
    i = 0
    while time.perf_counter() < end:
        once(files[i % len(files)])
        i += 1
    decode_ns = resize_ns = encode_ns = 0
    n = 0
    start = time.perf_counter()
    end = start + seconds
    now = start
    while now < end:
        d, r, e = once(files[n % len(files)])
        decode_ns += d
        resize_ns += r
        encode_ns += e
        n += 1
        now = time.perf_counter()
    elapsed = now - start
    print("RESULT " + json.dumps({
        "photos": directory, "decoder": "pillow " + Image.__version__, "files": len(files),
        "meanMegapixels": mp / len(files), "images": n, "seconds": elapsed, "imagesPerSecond": n / elapsed,
        "decodeMicros": decode_ns / 1e3 / n, "resizeMicros": resize_ns / 1e3 / n, "encodeMicros": encode_ns / 1e3 / n}))


if __name__ == "__main__":
    main()
