#!/usr/bin/env python3
"""Where a synced write's time goes on this disk: pwrite and fdatasync timed apart (issue 13).

One 4 KiB `pwrite` then one `fdatasync`, back to back, into a preallocated,
zero-filled 64 MiB file (as the acknowledgement log is), for SECONDS. Prints each
call's p50 / p99 / p99.9 / max and how many took over 5 ms. Run it alone, then beside
a busy loop (`python3 -c "while True: pass" &`) to see what a busy core does to the
disk's tail. Not part of `make test`.

    scripts/fdatasync-stalls.py [SECONDS] [FILE] [--mode MODE]

defaults: 12 s, ./fdatasync-stalls.dat (deleted at the end). MODE is how each write
is made durable:
  fdatasync  a `pwrite`, then `fdatasync` (the log's way; the default);
  dsync      one `pwrite` on a file opened `O_DSYNC`;
  direct     one `pwrite` on a file opened `O_DIRECT | O_DSYNC` (no page cache).
With dsync and direct the sync is inside the write: the write's line is the one to
read.
"""

import argparse
import mmap
import os
import time

MODES = {
    "fdatasync": (0, True),
    "dsync": (os.O_DSYNC, False),
    "direct": (os.O_DIRECT | os.O_DSYNC, False),
}


def summary(name, values):
    values = sorted(values)
    n = len(values)
    over = sum(1 for v in values if v > 0.005)
    ms = lambda q: values[min(n - 1, int(q * n))] * 1e3  # noqa: E731
    return (
        f"{name}: {n} calls, p50 {ms(0.5):.2f} ms, p99 {ms(0.99):.2f} ms, "
        f"p99.9 {ms(0.999):.2f} ms, max {values[-1] * 1e3:.1f} ms, {over} over 5 ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=12)
    parser.add_argument("file", nargs="?", default="fdatasync-stalls.dat")
    parser.add_argument("--mode", choices=MODES, default="fdatasync")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("SECONDS must be above 0")
    secs, path = args.seconds, args.file
    flags, sync_after = MODES[args.mode]
    size = 64 << 20
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, b"\0" * size, 0)
        os.fsync(fd)
        os.close(fd)
        fd = os.open(path, os.O_RDWR | flags)
        # Page-aligned, as O_DIRECT needs.
        record = mmap.mmap(-1, 4096)
        record.write(b"x" * 4096)
        writes, syncs = [], []
        offset = 0
        end = time.monotonic() + secs
        while time.monotonic() < end:
            t0 = time.monotonic()
            os.pwrite(fd, record, offset)
            t1 = time.monotonic()
            if sync_after:
                os.fdatasync(fd)
            t2 = time.monotonic()
            writes.append(t1 - t0)
            syncs.append(t2 - t1)
            offset = (offset + 4096) % size
        print(f"mode {args.mode}")
        print(summary("pwrite", writes))
        if sync_after:
            print(summary("fdatasync", syncs))
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == "__main__":
    main()
