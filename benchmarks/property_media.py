"""Making the variants of a listing photo in the worker's code path: time and peak memory.

The worker's task (properties.media.processing.image_variants_make) reads the upload and hands it to
properties.media.imaging.variants_render, which decodes it upright and writes the large, medium and thumbnail
WebP; storing three small files and one row update around it cost next to nothing beside it. This measures that
function on a photo-like JPEG (gradients with grain: flat colour would decode and encode unrealistically fast).

Each measurement runs in a fresh process, so its peak is its own: peak RSS (psutil, sampled every 2 ms, above
the process's resident size just before the call) and tracemalloc's peak (Python objects only: Pillow's pixel
buffers are allocated in C and do not show there). ru_maxrss is no use here: Linux carries it across the
fork and exec that start the process, so it reports the parent's size.
Run: .venv/bin/python -m benchmarks.property_media [--megapixels 12 48] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import statistics
import threading
import time
import tracemalloc
from typing import Any

MB = 1024 * 1024
# 4:3, as phone and camera photos are.
SIZES = {12: (4000, 3000), 24: (5656, 4242), 48: (8000, 6000)}


def _photo(size: tuple[int, int]) -> bytes:
    from PIL import Image

    horizontal = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    grain = Image.effect_noise(size, 60)
    # Grain in every channel stands in for a photo's texture; without it the WebP files would be a few KB.
    channels = (horizontal, vertical, Image.blend(horizontal, vertical, 0.5))
    photo = Image.merge("RGB", tuple(Image.blend(channel, grain, 0.3) for channel in channels))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _measure(data: bytes, queue: Any) -> None:
    import psutil

    from properties.media import imaging

    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    running = True

    def sample() -> None:
        nonlocal peak
        while running:
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    started = time.perf_counter()
    rendered = imaging.variants_render(io.BytesIO(data), imaging.GALLERY_SPECS)
    elapsed = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    running = False
    sampler.join()
    queue.put({
        "seconds": elapsed, "rss_peak_above_start": peak - baseline, "python_peak": python_peak,
        "variants": {r.name: (r.width, r.height, len(r.data)) for r in rendered},
    })  # fmt: skip


def _run_once(data: bytes) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(data, queue))
    child.start()
    result: dict[str, Any] = queue.get(timeout=600)
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=int, nargs="+", default=[12, 48], choices=sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from PIL import __version__ as pillow_version
    from PIL import features

    print(f"Pillow {pillow_version}, libjpeg {features.version('jpg')}, libwebp {features.version('webp')}")
    for megapixels in args.megapixels:
        size = SIZES[megapixels]
        data = _photo(size)
        runs = [_run_once(data) for _ in range(args.repeat)]
        seconds = sorted(run["seconds"] for run in runs)
        print(f"\n{megapixels} MP JPEG {size[0]}x{size[1]}, {len(data) / MB:.1f} MB, {args.repeat} runs:")
        print(
            f"  time            p50 {statistics.median(seconds) * 1000:7.0f} ms   min {seconds[0] * 1000:.0f} ms"
            f"   max {seconds[-1] * 1000:.0f} ms"
        )
        print(
            f"  peak RSS above start   median {statistics.median(r['rss_peak_above_start'] for r in runs) / MB:6.1f} MB"
            f"   max {max(r['rss_peak_above_start'] for r in runs) / MB:.1f} MB"
        )
        print(
            f"  tracemalloc peak       median {statistics.median(r['python_peak'] for r in runs) / MB:6.1f} MB"
            " (Python objects only)"
        )
        for name, (width, height, size_bytes) in runs[0]["variants"].items():
            print(f"  {name:<10} {width}x{height}  {size_bytes / 1024:.0f} KB")


if __name__ == "__main__":
    main()
