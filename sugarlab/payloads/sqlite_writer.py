"""sugarlab-sqlite-writer: the storage lab's writer and checker, run inside the StatefulSet's pods.

Standard library only, so it runs as `python3 -c <this file>` in the official python image, which
ships SQLite (busybox, the tutorial's image, has neither `sqlite3` nor `apk`).

- no arguments: append one row to $DB_PATH every $INTERVAL_SECONDS, forever (the container);
- `check DB [UPTO]`: print, as JSON, what the database holds: rows, the last id and timestamp, the
  result of `PRAGMA integrity_check`, and a digest of every row up to id UPTO (the rows written
  before a failure), so a later check can prove they are all still there, unchanged;
- `history DB`: print every row's id, timestamp and node, as JSON.

The rollback journal, not WAL, because WAL needs shared memory that NFS cannot give; FULL
synchronous so a committed row is on the server before the next one is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import sys
import time
from datetime import UTC, datetime

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS measurements (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, "
    "pod TEXT NOT NULL, node TEXT NOT NULL)"
)


def connect(path: str, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    if not readonly:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(SCHEMA)
    return db


def append(db: sqlite3.Connection, ts: str, pod: str, node: str) -> int:
    cursor = db.execute("INSERT INTO measurements (ts, pod, node) VALUES (?, ?, ?)", (ts, pod, node))
    return int(cursor.lastrowid or 0)


def check(path: str, upto: int) -> dict[str, object]:
    db = connect(path, readonly=True)
    try:
        integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        rows, last_id, last_ts = db.execute(
            "SELECT count(*), max(id), (SELECT ts FROM measurements ORDER BY id DESC LIMIT 1) FROM measurements"
        ).fetchone()
        digest, kept = hashlib.sha256(), 0
        for row in db.execute("SELECT id, ts, pod, node FROM measurements WHERE id <= ? ORDER BY id", (upto,)):
            digest.update(json.dumps(row).encode())
            kept += 1
    finally:
        db.close()
    return {
        "rows": rows,
        "last_id": last_id or 0,
        "last_ts": last_ts,
        "integrity": integrity,
        "upto": upto,
        "rows_upto": kept,
        "digest_upto": digest.hexdigest(),
    }


def history(path: str) -> list[tuple[int, str, str]]:
    db = connect(path, readonly=True)
    try:
        return [tuple(row) for row in db.execute("SELECT id, ts, node FROM measurements ORDER BY id")]
    finally:
        db.close()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) in (2, 3):
        print(json.dumps(check(argv[1], int(argv[2]) if len(argv) == 3 else 0)))
        return 0
    if argv[:1] == ["history"] and len(argv) == 2:
        print(json.dumps(history(argv[1])))
        return 0
    if argv:
        print("usage: sqlite_writer.py [check DB [UPTO] | history DB]", file=sys.stderr)
        return 2
    path, interval = os.environ["DB_PATH"], float(os.environ.get("INTERVAL_SECONDS", "5"))
    pod, node = os.environ.get("POD_NAME", socket.gethostname()), os.environ.get("NODE_NAME", "")
    db = connect(path)
    while True:
        row = append(db, now(), pod, node)
        print(f"{now()} wrote row {row} to {path}", flush=True)
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
