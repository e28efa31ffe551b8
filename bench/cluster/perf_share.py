#!/usr/bin/env python3
"""Where the daemons' CPU goes, from `perf script` output of bench/cluster/run.sh's perf run.

Each sample is put in the first category any frame of its call stack matches, so a sample is
counted once: e.g. a `sendto` made inside the bus's publish loop is "bus publish". Multiplying a
category's share by the daemons' CPU per message (from the same run) gives its microseconds per
message. Usage:

    perf script -i FILE | bench/cluster/perf_share.py
"""

import re
import sys

# (category, pattern on a frame's symbol); the first match in this order wins.
CATEGORIES = [
    # The publisher's side of a cross-node message, in the bus's own task: encoding the frame
    # once, building the pipeline of PUBLISHes (one per recipient) and awaiting its replies.
    ("bus publish_loop: codec::encode, pipeline, awaiting replies", r"bus::redis::publish_loop|bus::codec::encode"),
    # The caller's part of EventBus::publish: this node's sockets first (in-process broadcast,
    # as in the single-process profile), then a slot in the bounded outbox.
    ("EventBus::publish: local broadcast + outbox", r"EventBus>::publish"),
    # The receiving side: pushes from the subscriber connection, decoding, dropping own echoes.
    ("bus receive: received, codec::decode, subscription_loop", r"RedisBus::received|bus::codec::decode|bus::redis::subscription_loop"),
    # Every Redis connection's driver task (publisher, subscriber, shared counters, presence):
    # reading and parsing replies and pushes (poll_flush also reads, so reading goes first) ...
    ("redis client driver (all connections): reading", r"PipelineSink<T>::poll_read|PipelineSink<T>::send_result|combine::"),
    # ... and writing commands and flushing them to the socket ...
    ("redis client driver (all connections): writing", r"PipelineSink|redis::cmd::write_command|RedisWrite"),
    # ... and the rest of the client (connection manager, command building).
    ("redis client, other", r"^redis::|^<redis::|redis::aio"),
    ("shared counters / presence (store::redis)", r"store::redis"),
    ("PostgreSQL (sqlx)", r"sqlx"),
    ("Socket.IO / WebSocket edge", r"socketioxide|engineioxide|tungstenite"),
]


def classify(frames):
    for name, pattern in CATEGORIES:
        if any(re.search(pattern, f) for f in frames):
            return name
    return "everything else: services, JSON, tokio scheduling and wake-ups"


def samples(lines):
    frames = None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames is not None:
                yield frames
            frames = None
        elif not line.startswith(("\t", " ")):
            frames = []
        elif frames is not None:
            # "\t  55d0c1 sym+0x1f (dso)" -> "sym"
            parts = line.strip().split(" ", 1)
            sym = parts[1] if len(parts) > 1 else ""
            sym = re.sub(r"\+0x[0-9a-f]+ \(.*\)$|\s\(.*\)$", "", sym)
            frames.append(sym)
    if frames:
        yield frames


def main():
    counts = {}
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        cat = classify(frames)
        counts[cat] = counts.get(cat, 0) + 1
    print(f"{total} samples")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{100 * n / max(total, 1):6.2f} %  {n:7d}  {name}")


if __name__ == "__main__":
    main()
