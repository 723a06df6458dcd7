"""The benchmark, side by side with its baselines: ``.venv/bin/python -m bench [--quick]``.

It needs PostgreSQL at postgresql://postgres@127.0.0.1:5432 and Redis at
127.0.0.1:6379 (database 13), makes and drops its own ``blog_bench_*``
databases, installs wrk (Debian) and Isso (its own venv) when missing, and
runs every server under gunicorn on 127.0.0.1 with 2 sync workers, one at a
time, loaded by wrk with 2 threads x 16 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

from . import explain, isso_server, seed, wrk
from .client import Client, login
from .procs import Server, serving
from .report import Figure, table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REDIS_URL = "redis://127.0.0.1:6379/13"
APP = "blog:create_app()"
THREAD_COMMENTS = 200
PER_PAGE = 50  # top-level comments on a page (the moderation settings' default)
API_PAGE = 100  # comments in one answer of GET /api/posts/<slug>/comments


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s per figure, 100,000 comments")
    parser.add_argument(
        "--seconds", type=float, help="load time per figure (15, or 3 with --quick)"
    )
    parser.add_argument("--scale", type=int, help="comments in the large database (1,000,000)")
    parser.add_argument(
        "--database",
        default=seed.BASE_URL,
        help="PostgreSQL server (blog_bench_* databases are made there)",
    )
    parser.add_argument(
        "--redis",
        default=REDIS_URL,
        help="Redis database for the servers (emptied before and after: not a live one)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.seconds = args.seconds or (3.0 if args.quick else 15.0)
        self.rounds = 3 if args.quick else 5  # slices per figure (see alternate)
        self.drain_cap = 1.5 if args.quick else 5.0  # seconds, at most, between slices
        self.scale = args.scale or (100_000 if args.quick else 1_000_000)
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.dir = RESULTS / self.stamp
        self.dir.mkdir(parents=True, exist_ok=True)
        self.figures: list[Figure] = []
        self.databases: list[str] = []
        self.notes: list[str] = []
        self.plans_text = ""
        self.scale_summary: list[str] = []
        self.loadavg: list[float] = []

    # --- helpers ----------------------------------------------------------------

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def load(self, url: str, **kw) -> wrk.Load:
        # Anything else running on the machine shares its cores: note how busy it was.
        self.loadavg.append(os.getloadavg()[0])
        result = wrk.run(url, self.seconds, **kw)
        self.say(
            f"  {url}: {result.rps:,.1f} requests/s, {result.errors} errors, "
            f"{result.bytes_per_request / 1024:.1f} KB each"
        )
        return result

    def database(self, label: str, shape: seed.Shape) -> tuple[str, dict]:
        name = seed.create_database(label, self.args.database)
        self.databases.append(name)
        url = seed.database_url(name, self.args.database)
        seed.make_schema(url)
        info = seed.seed(url, shape)
        self.say(
            f"  {name}: {info['comments']:,} comments over {info['posts']:,} posts "
            f"seeded in {info['seconds']} s"
        )
        return url, info

    def blog(self, name: str, url: str, *, cache: bool, **extra: str) -> Server:
        instance = self.dir / f"instance-{name}"
        instance.mkdir(exist_ok=True)
        env = {
            "BLOG_DATABASE_URL": url,
            "BLOG_SECRET_KEY": "bench-secret-key-not-for-production",
            "BLOG_INSTANCE_PATH": str(instance),
            "BLOG_REDIS_URL": self.args.redis,
            "BLOG_PAGE_CACHE": "true" if cache else "false",
            **extra,
        }
        return Server(name, APP, env, log_dir=self.dir)

    def figure(self, **kw) -> Figure:
        fig = Figure(**kw)
        self.figures.append(fig)
        return fig

    # --- the figures ------------------------------------------------------------

    def alternate(self, loads: dict[str, tuple[str, dict]]) -> dict[str, wrk.Load]:
        """Load each URL in turn, in short slices, round after round: a figure and its
        baseline then see the same machine, however busy it is with other work."""
        slices: dict[str, list[wrk.Load]] = {key: [] for key in loads}
        for _ in range(self.rounds):
            for key, (url, kw) in loads.items():
                self.loadavg.append(os.getloadavg()[0])
                part = wrk.run(url, self.seconds / self.rounds, **kw)
                slices[key].append(part)
                # Requests still queued when wrk stops are served after it: let the
                # server finish them before the next slice, which they would slow.
                time.sleep(min(self.drain_cap, 1.5 * part.latency_ms_p99 / 1000 + 0.05))
        results = {key: wrk.combine(parts) for key, parts in slices.items()}
        for key, result in results.items():
            self.say(
                f"  {key}: {result.rps:,.1f} requests/s, {result.errors} errors, "
                f"{result.bytes_per_request / 1024:.1f} KB each ({loads[key][0]})"
            )
        return results

    def side_by_side(self) -> None:
        """Each figure measured in turn with its baseline (see ``alternate``)."""
        self.say(f"post page: {THREAD_COMMENTS} approved threaded comments, PostgreSQL")
        shape = seed.Shape(
            posts=3,
            comments=3 * THREAD_COMMENTS,
            big_thread=THREAD_COMMENTS,
            typical=THREAD_COMMENTS,
            pending_every=0,
        )
        url, info = self.database("main", shape)
        path = info["big_path"]
        gzip = {"headers": {"Accept-Encoding": "gzip"}}

        ceiling = Server("ceiling", "bench.baselines:ceiling", {}, log_dir=self.dir)
        cached = self.blog("blog-cached", url, cache=True)
        # The cache in each process (no Redis: one host), to show what the one Redis
        # round trip of a hit costs.
        local = self.blog("blog-cached-local", url, cache=True, BLOG_REDIS_URL="")
        with serving(ceiling), serving(cached, probe=path), serving(local, probe=path):
            status, headers, body = Client(cached.url).get(path)
            shown = body.count(b'class="comment-body"')
            if status != 200 or headers.get("X-Cache") != "hit" or shown != THREAD_COMMENTS:
                raise RuntimeError(f"cached page: {status} {headers.get('X-Cache')} {shown}")
            got = self.alternate(
                {
                    "ceiling": (ceiling.url + "/", {}),
                    "page_cached": (cached.url + path, gzip),
                    "page_cached_plain": (cached.url + path, {}),
                    "page_cached_local": (local.url + path, gzip),
                }
            )
        self.figure(
            key="ceiling",
            load=got["ceiling"],
            what="a WSGI app returning a fixed 30 KB page (the ceiling)",
        )
        self.figure(
            key="page_cached",
            load=got["page_cached"],
            baseline="ceiling",
            target=0.5,
            what="post page, 200 comments, from the page cache (gzip, as browsers ask)",
        )
        self.figure(
            key="page_cached_plain",
            load=got["page_cached_plain"],
            baseline="ceiling",
            what="the same without compression (no Accept-Encoding)",
        )
        self.figure(
            key="page_cached_local",
            load=got["page_cached_local"],
            baseline="ceiling",
            what="the same from the in-process cache (no Redis, gzip)",
        )

        flask = Server("flask", "bench.baselines:flask_app", {}, log_dir=self.dir)
        uncached = self.blog("blog-uncached", url, cache=False)
        # Every comment drawn by Jinja on every request: what a first view costs.
        drawing = self.blog("blog-no-cards", url, cache=False, BLOG_COMMENT_CARD_CACHE_MB="0")
        isso_server.ensure_venv()
        cfg = isso_server.prepare(self.dir / "isso", THREAD_COMMENTS)
        isso = isso_server.server(cfg, self.dir)
        isso_path = "/?uri=" + isso_server.URI
        api_path = f"/api/posts/{info['big_slug']}/comments"
        with (
            serving(flask),
            serving(uncached, probe=path),
            serving(drawing, probe=path),
            serving(isso, probe=isso_path),
        ):
            items = json.loads(Client(uncached.url).get(api_path)[2])["items"]
            if len(items) != min(THREAD_COMMENTS, API_PAGE):
                raise RuntimeError(f"the API shows {len(items)} comments")
            got = self.alternate(
                {
                    "flask": (flask.url + "/", {}),
                    "page_uncached": (uncached.url + path, {}),
                    "page_no_cards": (drawing.url + path, {}),
                    "isso": (isso.url + isso_path, {}),
                    "api_comments": (uncached.url + api_path, {}),
                }
            )
        self.figure(
            key="flask", load=got["flask"], what="Flask + Jinja, 200 comments from memory (~60 KB)"
        )
        self.figure(
            key="page_uncached",
            load=got["page_uncached"],
            baseline="flask",
            target=1.0,
            what="the post page, cache off (a cold render, PostgreSQL)",
        )
        self.figure(
            key="page_no_cards",
            load=got["page_no_cards"],
            baseline="flask",
            what="the same with no comment cards kept (BLOG_COMMENT_CARD_CACHE_MB=0)",
        )
        self.figure(
            key="isso",
            load=got["isso"],
            what=f"Isso {isso_server.version()}, GET /?uri= (200 comments, JSON)",
        )
        self.figure(
            key="api_comments",
            load=got["api_comments"],
            baseline="isso",
            target=30.0,
            what=f"GET /api/posts/<slug>/comments ({API_PAGE} of the 200 a page)",
        )
        self.submissions(url, info)

    def submissions(self, url: str, info: dict) -> None:
        self.say("comment submission: CSRF token per session, JSON to the API, PostgreSQL")
        slug = "bench-post-3"
        before = _count(url, "SELECT count(*) FROM comments WHERE post_id = 3")
        outbox_before = _count(url, "SELECT count(*) FROM outbox")
        server = self.blog(
            "blog-submit", url, cache=True, BLOG_COMMENT_RATE_LIMIT="1000000 per minute"
        )
        with serving(server, probe=info["big_path"]) as s:
            load = self.load(s.url + "/", script="submit.lua", env={"BENCH_SLUG": slug})
        accepted = load.counters.get("accepted", 0)
        stored = _count(url, "SELECT count(*) FROM comments WHERE post_id = 3") - before
        mails = _count(url, "SELECT count(*) FROM outbox") - outbox_before
        if not 0 <= stored - accepted <= wrk.CONNECTIONS:
            self.notes.append(f"submission: {accepted} answered 201 but {stored} rows stored")
        self.notes.append(
            f"submission: {accepted:,} comments accepted ({load.counters.get('refused', 0)} "
            f"refused), {stored:,} rows stored (those still in flight when the load stopped "
            f"included), {mails:,} mails in the outbox"
        )
        self.figure(
            key="submit",
            what="comment submission end to end (accepted/s)",
            load=load,
            value=accepted / load.seconds,
            unit="comments/s",
            absolute=200.0,
        )

    def scale_figures(self) -> None:
        big_posts = max(10, self.scale // 100)
        self.say(f"scale: {self.scale:,} comments over {big_posts:,} posts, and 1,000 comments")
        small_url, small = self.database(
            "small", seed.Shape(posts=10, comments=1000, big_thread=500, typical=100)
        )
        big_url, big = self.database(
            "large",
            seed.Shape(posts=big_posts, comments=self.scale, big_thread=10_000, typical=100),
        )
        servers = {
            "small": self.blog("blog-small", small_url, cache=False),
            "large": self.blog("blog-large", big_url, cache=False),
        }
        infos = {"small": small, "large": big}
        with (
            serving(servers["small"], probe=small["post_path"]),
            serving(servers["large"], probe=big["post_path"]),
        ):
            cookies = {
                label: login(server.url, infos[label]["admin_email"], infos[label]["password"])
                for label, server in servers.items()
            }
            rates: dict[str, dict[str, wrk.Load]] = {"small": {}, "large": {}}
            for key in _scale_pages(big):
                loads = {}
                for label, server in servers.items():
                    path = _scale_pages(infos[label])[key][1]
                    headers = {"Cookie": cookies[label]} if key == "queue" else None
                    loads[label] = (server.url + path, {"headers": headers})
                got = self.alternate(loads)
                for label in servers:
                    rates[label][key] = got[label]
                if key == "thread":
                    rss = max(servers["large"].worker_rss_mb() or [0.0])
        plans = {}
        for label, url, info in (("small", small_url, small), ("large", big_url, big)):
            pages = _scale_pages(info)
            plans[label] = explain.explain_pages(
                _sqlalchemy_url(url), [p for k, (_, p) in pages.items() if k != "queue"]
            ) + explain.explain_pages(_sqlalchemy_url(url), [pages["queue"][1]], moderator=True)
        big_pages = _scale_pages(big)
        for key, (what, path) in big_pages.items():
            small_load, big_load = rates["small"][key], rates["large"][key]
            self.figure(
                key=f"scale_{key}",
                what=f"{what} ({path})",
                load=big_load,
                value=big_load.rps,
                baseline_value=small_load.rps,
                baseline_label=f"{small_load.rps:,.1f} on 1,000 comments",
                ratio_is_cost=True,
                target=1.5,
            )
        self.figure(
            key="memory",
            what="RSS of a worker serving the 10,000-comment thread",
            value=rss,
            unit="MB",
            absolute=150.0,
            lower_is_better=True,
        )
        self.plans_text = (
            f"### {self.scale:,} comments\n\n"
            + explain.report(plans["large"])
            + "\n### 1,000 comments\n\n"
            + explain.report(plans["small"])
        )
        self.scale_summary = [
            f"{label}: {p.path}: {p.summary()}"
            for label in ("large", "small")
            for p in plans[label]
        ]

    # --- the run ----------------------------------------------------------------

    def machine(self) -> dict:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in lscpu.splitlines()
                if line.startswith("Model name")
            ),
            platform.processor(),
        )
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        return {
            "cpus": int(nproc or 0),
            "model": model,
            "python": platform.python_version(),
            "kernel": platform.release(),
        }

    def main(self) -> int:
        started = time.monotonic()
        wrk.ensure_wrk()
        r = redis.Redis.from_url(self.args.redis)
        r.flushdb()
        try:
            self.side_by_side()
            self.scale_figures()
        finally:
            r.flushdb()
            if not self.args.keep:
                for name in self.databases:
                    seed.drop_database(name, self.args.database)
        for fig in self.figures:
            fig.resolve({f.key: f for f in self.figures})
        mode = "quick" if self.args.quick else "full"
        header = (
            f"bench ({mode}): {self.seconds:g} s per figure, wrk {wrk.THREADS} threads x "
            f"{wrk.CONNECTIONS} connections, gunicorn 2 sync workers, "
            f"{self.scale:,}-comment database"
        )
        header += (
            f"\nmachine: {nproc()} CPUs; 1-minute load average before each figure "
            f"{min(self.loadavg):.2f}-{max(self.loadavg):.2f}"
        )
        text = header + "\n\n" + table(self.figures)
        if self.notes:
            text += "\n\n" + "\n".join(self.notes)
        text += "\n\nQuery plans on the large database (full plans in the report file):\n"
        text += "\n".join("  " + line for line in self.scale_summary)
        print("\n" + text)
        data = {
            "date": self.stamp,
            "mode": mode,
            "seconds_per_figure": self.seconds,
            "scale": self.scale,
            "machine": self.machine(),
            "wrk": {"threads": wrk.THREADS, "connections": wrk.CONNECTIONS},
            "figures": {f.key: f.to_json() for f in self.figures},
            "notes": self.notes,
            "load_average": self.loadavg,
            "took_seconds": round(time.monotonic() - started),
        }
        out = RESULTS / f"bench-{self.stamp}.json"
        out.write_text(json.dumps(data, indent=2))
        report = RESULTS / f"report-{self.stamp}.txt"
        report.write_text(text + "\n\n" + self.plans_text)
        print(f"\nJSON: {out}\nreport with query plans: {report}")
        return 0 if all(f.met is not False for f in self.figures) else 1


def nproc() -> str:
    return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _scale_pages(info: dict) -> dict[str, tuple[str, str]]:
    roots = info["big_thread"] // 5  # threads of five comments
    last = max(1, -(-roots // PER_PAGE))
    return {
        "post": (f"post page, {info['typical']} comments", info["post_path"]),
        "thread": (
            f"last page of the {info['big_thread']:,}-comment thread",
            f"{info['big_path']}?cpage={last}",
        ),
        "queue": ("moderation queue (pending)", "/moderation/"),
        "feed": ("comment feed", "/comments/feed.atom"),
        "search": ("search", f"/search?q={info['search_word']}"),
    }


def main(argv: list[str] | None = None) -> int:
    return Run(parse_args(argv)).main()


if __name__ == "__main__":
    sys.exit(main())
