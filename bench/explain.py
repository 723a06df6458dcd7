"""The SQL a page runs, and PostgreSQL's plan for each statement (EXPLAIN ANALYZE).

The page is requested in this process through Flask's test client, on the
same database as the server; every statement it sends is recorded with its
parameters, then explained on the same connection.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

_INDEX_SCAN = re.compile(
    r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)


@dataclass
class Statement:
    sql: str
    plan: list[str] = field(default_factory=list)
    ms: float = 0.0

    @property
    def indexes(self) -> list[str]:
        found = []
        for line in self.plan:
            m = _INDEX_SCAN.search(line)
            if m and m.group(1) not in found:
                found.append(m.group(1))
        return found

    @property
    def seq_scans(self) -> list[str]:
        return sorted(
            {m.group(1) for line in self.plan for m in [re.search(r"Seq Scan on (\w+)", line)] if m}
        )


@dataclass
class PagePlans:
    path: str
    statements: list[Statement]
    cpu_ms: float = 0.0  # this process's CPU time per request, median (load-proof cost)

    @property
    def queries(self) -> int:
        return len(self.statements)

    def summary(self) -> str:
        indexes = sorted({i for s in self.statements for i in s.indexes})
        seqs = sorted({t for s in self.statements for t in s.seq_scans})
        text = (
            f"{self.cpu_ms:.1f} ms CPU in the app, {self.queries} queries, "
            f"{sum(s.ms for s in self.statements):.2f} ms in SQL; "
        )
        text += "indexes: " + (", ".join(indexes) or "none")
        if seqs:
            text += "; sequential scans: " + ", ".join(seqs)
        return text


def explain_pages(
    database_url: str, paths: list[str], *, moderator: bool = False, admin_id: int = 1
) -> list[PagePlans]:
    from blog import create_app
    from blog.extensions import db

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": instance,
                "SECRET_KEY": "bench",
                "PAGE_CACHE": False,
            }
        )
        recorded: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                recorded.append((statement, parameters))

        results = []
        with app.app_context():
            engine = db.engine
            client = app.test_client()
            if moderator:
                with client.session_transaction() as s:
                    s["_user_id"] = f"{admin_id}:0"
                    s["_fresh"] = True
            for path in paths:
                client.get(path)  # warm: caches, prepared statements
                cpu_ms = _cpu_ms(client, path)
                recorded.clear()
                sa.event.listen(engine, "before_cursor_execute", record)
                try:
                    response = client.get(path)
                finally:
                    sa.event.remove(engine, "before_cursor_execute", record)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
                statements = []
                with engine.connect() as conn:
                    for sql, params in recorded:
                        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                        plan = [r[0] for r in rows]
                        ms = sum(
                            float(m.group(1))
                            for line in plan
                            for m in [re.search(r"Execution Time: ([\d.]+) ms", line)]
                            if m
                        )
                        statements.append(Statement(sql=" ".join(sql.split()), plan=plan, ms=ms))
                results.append(PagePlans(path, statements, cpu_ms))
            db.engine.dispose()
    return results


def _cpu_ms(client, path: str, times: int = 25) -> float:
    """Median CPU time of this process per request: what a page costs the app, however
    busy the machine is with other work (the wait for the database is not in it)."""
    spent = []
    for _ in range(times):
        began = time.process_time()
        client.get(path)
        spent.append((time.process_time() - began) * 1000)
    return statistics.median(spent)


def report(pages: list[PagePlans]) -> str:
    out = []
    for page in pages:
        out.append(f"== {page.path}: {page.summary()}")
        for i, s in enumerate(page.statements, 1):
            out.append(f"-- [{i}] {s.sql[:400]}")
            out.extend("   " + line for line in s.plan)
        out.append("")
    return "\n".join(out)
