"""The load: wrk (Debian's), 2 threads x 16 connections, bounded in time."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

THREADS = 2
CONNECTIONS = 16
LUA = Path(__file__).resolve().parent / "lua"


@dataclass
class Load:
    """What one wrk run measured."""

    url: str
    seconds: float
    requests: int
    rps: float
    latency_ms_avg: float
    latency_ms_p99: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    bytes_per_request: float
    counters: dict[str, int]

    def to_json(self) -> dict:
        return asdict(self)


def ensure_wrk() -> str:
    """wrk from Debian, installed when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def run(
    url: str,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> Load:
    """Load ``url`` for ``seconds`` (whole seconds: wrk takes no fractions) and read
    wrk's summary (and the script's counters)."""
    seconds = max(1, round(seconds))
    cmd = [
        ensure_wrk(),
        "-t",
        str(THREADS),
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "30s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(LUA / script)]
    cmd.append(url)
    import os

    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    return parse(url, out)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse(url: str, out: str) -> Load:
    requests, seconds, read = re.search(
        r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+\w+) read", out
    ).group(1, 2, 4)
    unit = re.search(r"\d+ requests in [\d.]+(\w+),", out).group(1)
    seconds = _ms(seconds + unit) / 1000
    number, size_unit = re.fullmatch(r"([\d.]+)(\w+)", read).groups()
    total_bytes = float(number) * _SIZES[size_unit]
    avg = re.search(r"Latency\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    errors = 0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        errors += int(bad.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    counters = {k: int(v) for k, v in re.findall(r"^counter (\w+) (\d+)$", out, re.M)}
    n = int(requests)
    return Load(
        url=url,
        seconds=seconds,
        requests=n,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        latency_ms_avg=_ms(avg.group(1)) if avg else 0.0,
        latency_ms_p99=_ms(p99.group(1)) if p99 else 0.0,
        errors=errors,
        bytes_per_request=total_bytes / n if n else 0.0,
        counters=counters,
    )


def combine(parts: list[Load]) -> Load:
    """Several runs against one URL as one: requests over the time they took together."""
    seconds = sum(p.seconds for p in parts)
    requests = sum(p.requests for p in parts)
    counters: dict[str, int] = {}
    for p in parts:
        for name, n in p.counters.items():
            counters[name] = counters.get(name, 0) + n
    weights = [p.requests or 1 for p in parts]
    return Load(
        url=parts[0].url,
        seconds=seconds,
        requests=requests,
        rps=requests / seconds if seconds else 0.0,
        latency_ms_avg=sum(p.latency_ms_avg * w for p, w in zip(parts, weights, strict=True))
        / sum(weights),
        latency_ms_p99=max(p.latency_ms_p99 for p in parts),
        errors=sum(p.errors for p in parts),
        bytes_per_request=sum(p.bytes_per_request * p.requests for p in parts) / requests
        if requests
        else 0.0,
        counters=counters,
    )
