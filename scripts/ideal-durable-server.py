#!/usr/bin/env python3
"""The latency floor this disk sets for durable acknowledgements (issue 13).

An ideal server that costs nothing but its disk writes: requests arrive evenly at
RATE a second; one loop writes a 4 KiB record (pwrite + fdatasync) into a
preallocated 64 MiB file, back to back; every request that arrived while one write
ran is answered when the next write ends (group commit). No CPU, no sockets, no
checkpoints: whatever tail it shows, a real server on the same disk cannot beat.

    scripts/ideal-durable-server.py [RATE] [SECONDS] [WINDOW] [FILE]
                                    [--busy N] [--checkpoint MBPS]

defaults: 10000 requests/s, 60 s, windows of 6 s, ./ideal-durable-server.dat (deleted
at the end). Prints the writes' p50/p99/max, then each window's answer p50/p99/max,
and how many windows have a p99 within 5 ms. Not part of `make test`.

To see the floor under the load a real server's half rate brings, beside it:
  --busy N          N busy loops (processes), as the server's signature checks, the
                    load generator and the miner keep the cores busy;
  --checkpoint MBPS a writer of MBPS MB/s in 1 MiB pieces, each fsync'ed (into
                    FILE.checkpoint), as a checkpoint writes into redb: at the half
                    rate the server's redb grows by about 4 MB/s (337 bytes a
                    transaction, `simplechain bench --keep`).
Both are stopped before the figures are printed.
"""
import argparse
import multiprocessing
import os
import time

def busy_loop():
    while True:
        pass


def checkpoint_writer(mbps, path):
    """MBPS MB/s into PATH in 1 MiB pieces, each fsync'ed, until killed."""
    piece = os.urandom(1 << 20)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    offset, due = 0, time.monotonic()
    while True:
        os.pwrite(fd, piece, offset)
        os.fsync(fd)
        offset = (offset + len(piece)) % (256 << 20)
        due += 1 / mbps
        time.sleep(max(0.0, due - time.monotonic()))


def pct(values, q):
    return values[min(len(values) - 1, int(q * len(values)))]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rate", nargs="?", type=float, default=10000)
    parser.add_argument("seconds", nargs="?", type=float, default=60)
    parser.add_argument("window", nargs="?", type=float, default=6)
    parser.add_argument("file", nargs="?", default="ideal-durable-server.dat")
    parser.add_argument("--busy", type=int, default=0, metavar="N")
    parser.add_argument("--checkpoint", type=float, default=0, metavar="MBPS")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.window <= 0:
        parser.error("RATE, SECONDS and WINDOW must be above 0")
    if args.busy < 0 or args.checkpoint < 0:
        parser.error("--busy and --checkpoint must not be negative")
    return args


def start_load(args):
    """The busy loops and the checkpoint writer asked for, as child processes."""
    children = [multiprocessing.Process(target=busy_loop) for _ in range(args.busy)]
    if args.checkpoint > 0:
        children.append(
            multiprocessing.Process(
                target=checkpoint_writer, args=(args.checkpoint, args.file + ".checkpoint")
            )
        )
    for child in children:
        child.start()
    return children


def stop_load(children, args):
    for child in children:
        child.kill()
        child.join()
    if args.checkpoint > 0 and os.path.exists(args.file + ".checkpoint"):
        os.unlink(args.file + ".checkpoint")


def main():
    args = arguments()
    rate, secs, window, path = args.rate, args.seconds, args.window, args.file
    size = 64 << 20
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    children = []
    try:
        # Zero-filled once, as the acknowledgement log is: each sync is then one write.
        os.pwrite(fd, b"\0" * size, 0)
        os.fsync(fd)
        record = os.urandom(4096)
        offset = 0
        children = start_load(args)
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
        stop_load(children, args)
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
    load = [f"{args.busy} busy loops"] if args.busy else []
    load += [f"a checkpoint writer of {args.checkpoint:g} MB/s"] if args.checkpoint else []
    beside = f", beside {' and '.join(load)}" if load else ""
    print(
        f"{rate:.0f} requests/s{beside}, {len(cycles)} synced writes: "
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
