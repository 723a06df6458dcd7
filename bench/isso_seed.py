"""Run by the Isso venv's Python: a 200-comment thread in Isso's own database.

Usage: python bench/isso_seed.py CONFIG URI COUNT
"""

import sys
import time

from isso import config
from isso.db import SQLite3

SENTENCES = [
    "I read this twice and the second part about the garden works better for me.",
    "Thanks for writing this up; we tried the same with a lantern last year.",
    "The link to the notes was useful, see https://example.org/notes too.",
    "We had the *same* problem with the engine and fixed it with a **ladder**.",
]


def main() -> None:
    path, uri, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conf = config.load(config.default_file(), path)
    db = SQLite3(conf.get("general", "dbpath"), conf)
    db.threads.new(uri, "A post")
    start = time.time() - count * 60
    parent = None
    for i in range(count):
        # Threads of five, as in the blog's own figure (Isso nests one level).
        if i % 5 == 0:
            parent = None
        comment = {
            "parent": parent,
            "created": start + 60 * i,
            "mode": 1,
            "remote_addr": f"192.0.2.{i % 250 + 1}",
            "text": " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 3)),
            "author": f"Reader {i % 37}",
            "email": f"reader{i % 37}@example.org",
            "website": f"https://reader{i % 37}.example.org/" if i % 3 == 0 else None,
            "notification": 0,
        }
        added = db.comments.add(uri, comment)
        if i % 5 == 0:
            parent = added["id"]


if __name__ == "__main__":
    main()
