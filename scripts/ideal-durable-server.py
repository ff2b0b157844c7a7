#!/usr/bin/env python3
"""The latency floor this disk sets for durable acknowledgements (issue 13).

An ideal server that costs nothing but its disk writes: requests arrive evenly at
RATE a second; one loop writes a 4 KiB record (pwrite + fdatasync) into a
preallocated 64 MiB file, back to back; every request that arrived while one write
ran is answered when the next write ends (group commit). No CPU, no sockets, no
checkpoints: whatever tail it shows, a real server on the same disk cannot beat.

    scripts/ideal-durable-server.py [RATE] [SECONDS] [WINDOW] [FILE]

defaults: 10000 requests/s, 60 s, windows of 6 s, ./ideal-durable-server.dat (deleted
at the end). Prints the writes' p50/p99/max, then each window's answer p50/p99/max,
and how many windows have a p99 within 5 ms. Not part of `make test`.
"""
import os
import sys
import time


def pct(values, q):
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 10000
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    window = float(sys.argv[3]) if len(sys.argv) > 3 else 6
    path = sys.argv[4] if len(sys.argv) > 4 else "ideal-durable-server.dat"
    size = 64 << 20
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # Zero-filled once, as the acknowledgement log is: each sync is then one write.
        os.pwrite(fd, b"\0" * size, 0)
        os.fsync(fd)
        record = os.urandom(4096)
        offset = 0
        start = time.monotonic()
        cycles = []  # (start, end) of each write
        while True:
            began = time.monotonic()
            if began - start > secs:
                break
            os.pwrite(fd, record, offset)
            os.fdatasync(fd)
            cycles.append((began, time.monotonic()))
            offset = (offset + 4096) % size
    finally:
        os.close(fd)
        os.unlink(path)

    # Requests arriving during write i are answered when write i + 1 ends.
    step = 1.0 / rate
    answers = []  # (arrival since start, latency)
    for (began, _), (next_began, next_end) in zip(cycles, cycles[1:]):
        arrival = began + (-(began - start)) % step
        while arrival < next_began:
            answers.append((arrival - start, next_end - arrival))
            arrival += step

    writes = sorted(end - began for began, end in cycles)
    print(
        f"{rate:.0f} requests/s, {len(cycles)} synced writes: "
        f"p50 {pct(writes, .5) * 1e3:.2f} ms, p99 {pct(writes, .99) * 1e3:.2f} ms, "
        f"max {writes[-1] * 1e3:.1f} ms"
    )
    met = windows = 0
    at = 0.0
    while at + window <= secs:
        lat = sorted(l for a, l in answers if at <= a < at + window)
        if lat:
            p99 = pct(lat, 0.99) * 1e3
            windows += 1
            met += p99 <= 5
            print(
                f"window {at:4.0f}-{at + window:.0f} s: answers p50 {pct(lat, .5) * 1e3:.2f} ms, "
                f"p99 {p99:.2f} ms, max {lat[-1] * 1e3:.1f} ms"
            )
        at += window
    print(f"windows with p99 <= 5 ms: {met} of {windows}")


if __name__ == "__main__":
    main()
