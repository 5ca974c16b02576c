"""What the gateway hop costs: the same read directly, through nginx and through the gateway.

Starts the accounts service and the gateway under gunicorn, and nginx with a plain `proxy_pass`
to the accounts service (the baseline a hop can approach), on local ports with a temporary
SQLite database for accounts; then runs wrk against `GET /api/v1/accounts/{id}` on each, at
concurrency 1 and 16, and prints req/s, p50 and p99. Two gateways are measured side by side:
the one-machine default (one worker, keys in SQLite, rate-limit counts in its memory) and the
reference deployment's (two workers, keys in PostgreSQL, counts in Redis), when
`--gateway-database-url` (or `GATEWAY_DATABASE_URL`) names a PostgreSQL database; its tables
are created if missing.

A shared machine's speed drifts from one second to the next, so the targets are run in turn,
round after round (`--rounds`); each figure is the median over the rounds, and the hop and the
ratio are taken within each round (the targets measured seconds apart), then their median.

Connections are spread evenly: the accounts service (and the two-worker gateway) runs as two
single-worker gunicorn instances sharing one port with SO_REUSEPORT, so the kernel hands each
new connection to one of them by its address hash. (With one gunicorn and two workers,
whichever worker woke first accepted it: wrk's 16 connections were split 15 to 1 as often as
8 to 8, and a lopsided split left a core idle, so the same target swung from 729 to 2,427
req/s between rounds.)

Targets: at c=1 the gateway adds at most 0.3 ms at p50 over direct; at c=16 it serves at least
80% of nginx's throughput in the same round.

    .venv/bin/python bench/gateway_hop.py [--seconds 4] [--rounds 5] [--port-base 9200]

Needs wrk, nginx and redis-server (Debian packages `wrk`, `nginx`, `redis-server`); as root the
script installs them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

TOKEN = "bench-internal-token"  # noqa: S105 - a throwaway token for a local benchmark
ADMIN_KEY = "bench-admin-key"
BIN = Path(sys.executable).parent
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
HOP_TARGET_MS = 0.3
THROUGHPUT_TARGET = 0.8  # of nginx's, at c=16
INSTANCES = 2  # single-worker gunicorn instances per app, sharing the port


def say(message: str) -> None:
    print(message, flush=True)


class Ports:
    """Free ports, or consecutive ones from `base` (a block set aside for the benchmark)."""

    def __init__(self, base: int | None):
        self.next = base

    def take(self) -> int:
        if self.next is None:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                return int(sock.getsockname()[1])
        self.next += 1
        return self.next - 1


def ensure_tools() -> None:
    tools = {"wrk": "wrk", "nginx": "nginx", "redis-server": "redis-server"}
    missing = [package for tool, package in tools.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"needs {' and '.join(missing)}: apt-get install {' '.join(missing)}")
    say(f"installing {' '.join(missing)} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def start(name: str, command: list[str], env: dict[str, str], folder: Path) -> subprocess.Popen:
    with open(folder / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for(url: str, headers: dict[str, str] | None = None) -> None:
    for _ in range(150):
        try:
            if requests.get(url, headers=headers, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def nginx_config(folder: Path, port: int, upstream_port: int) -> Path:
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream accounts {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://accounts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Internal-Token {TOKEN};
        }}
    }}
}}
"""
    )
    return conf


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for label, key in (("50%", "p50"), ("99%", "p99")):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output).groups()
        figures[key] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{output}")
    return figures


def gunicorn(
    app: str, port: int, env: dict[str, str], folder: Path, instances: int = INSTANCES
) -> list[subprocess.Popen]:
    """`instances` single-worker gunicorn masters on one port (SO_REUSEPORT)."""
    command = [str(BIN / "gunicorn"), "-c", "python:kam_common.gunicorn_conf"]
    command += ["--workers", "1", "--reuse-port", "--bind", f"127.0.0.1:{port}"]
    if app.startswith("gateway"):
        command += ["-k", "kam_gateway.serving.GatewayWorker", "kam_gateway.asgi:app"]
    else:
        command.append(f"kam_{app}.wsgi:app")
    service = "gateway" if app.startswith("gateway") else app
    return [
        start(f"{app}-{n}", command, {**env, "KAM_SERVICE_NAME": service}, folder)
        for n in range(instances)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each target, in turn")
    parser.add_argument("--port-base", type=int, help="use ports from here on (else free ones)")
    parser.add_argument(
        "--gateway-database-url",
        default=os.environ.get("GATEWAY_DATABASE_URL"),
        help="PostgreSQL for the second gateway's keys (default: GATEWAY_DATABASE_URL)",
    )
    args, others = parser.parse_known_args()
    if others:
        say(f"(not for this benchmark, ignored: {' '.join(others)})")
    ensure_tools()

    folder = Path(tempfile.mkdtemp(prefix="kam-hop-"))
    ports = Ports(args.port_base)
    port = {name: ports.take() for name in ("accounts", "gateway", "nginx", "gateway-pg")}
    redis_port = ports.take()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAM_")},
        "KAM_DATA_DIR": str(folder),
        "KAM_INTERNAL_TOKEN": TOKEN,
        "KAM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "KAM_ACCOUNTS_URL": f"http://127.0.0.1:{port['accounts']}",
        "KAM_LOG_LEVEL": "warning",
        # The limiter still runs on every call (its cost is part of the hop), but never says no.
        "KAM_RATE_LIMIT_ADMIN": "100000000/minute",
    }
    for app in ("ACCOUNTS", "OFFERINGS", "HEALTH", "GATEWAY"):
        env.pop(f"{app}_DATABASE_URL", None)
    subprocess.run([str(BIN / "kam"), "migrate"], env=env, check=True, capture_output=True)
    processes = [
        *gunicorn("accounts", port["accounts"], env, folder),
        *gunicorn("gateway", port["gateway"], env, folder, instances=1),
        start(
            "nginx",
            [
                "nginx",
                "-c",
                str(nginx_config(folder, port["nginx"], port["accounts"])),
                "-p",
                str(folder),
            ],
            env,
            folder,
        ),
    ]
    gateways = {"gateway": port["gateway"]}
    if args.gateway_database_url:
        redis = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
        redis += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        processes.append(start("redis", redis, env, folder))
        pg_env = {
            **env,
            "GATEWAY_DATABASE_URL": args.gateway_database_url,
            "KAM_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "KAM_DATA_DIR": str(folder / "pg"),
        }
        migrate = [str(BIN / "python"), "-c", "from kam_gateway.cli import migrate; migrate()"]
        subprocess.run(migrate, env=pg_env, check=True, capture_output=True)
        processes += gunicorn("gateway-pg", port["gateway-pg"], pg_env, folder)
        gateways["gateway-pg"] = port["gateway-pg"]
    try:
        direct = f"http://127.0.0.1:{port['accounts']}"
        internal = {"X-Internal-Token": TOKEN}
        bearer = {"Authorization": f"Bearer {ADMIN_KEY}"}
        wait_for(f"{direct}/healthz")
        for gateway_port in gateways.values():
            wait_for(f"http://127.0.0.1:{gateway_port}/healthz")
        wait_for(f"http://127.0.0.1:{port['nginx']}/healthz")
        account = requests.post(
            f"{direct}/api/v1/accounts", json={"name": "Hop Benchmark"}, headers=internal, timeout=5
        ).json()
        path = f"/api/v1/accounts/{account['id']}"
        targets: dict[str, tuple[str, dict[str, str]]] = {
            "direct": (direct + path, internal),
            "nginx": (f"http://127.0.0.1:{port['nginx']}{path}", {}),
        }
        for name, gateway_port in gateways.items():
            targets[name] = (f"http://127.0.0.1:{gateway_port}{path}", bearer)
        rounds: dict[tuple[str, int], list[dict[str, float]]] = {}
        for connections in (1, 16):
            for url, headers in targets.values():
                wrk(url, connections, 2, headers)  # warm up pools and caches
            for number in range(1, args.rounds + 1):
                for name, (url, headers) in targets.items():
                    figures = wrk(url, connections, args.seconds, headers)
                    rounds.setdefault((name, connections), []).append(figures)
                    say(
                        f"  round {number}/{args.rounds}  {name:10} c={connections:<3} "
                        f"{figures['rps']:9.0f} req/s   p50 {figures['p50']:7.3f} ms   "
                        f"p99 {figures['p99']:7.3f} ms"
                    )
        met = report(rounds, list(targets))
    finally:
        for proc in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes:
            proc.wait(10)
    if not args.gateway_database_url:
        say("(PostgreSQL keys and Redis counts not measured: give --gateway-database-url)")
    return 0 if met else 1


def report(rounds: dict[tuple[str, int], list[dict[str, float]]], names: list[str]) -> bool:
    """Medians over the rounds; hop and ratio are paired with the same round's baseline."""

    def median_of(name: str, connections: int, key: str) -> float:
        return statistics.median(r[key] for r in rounds[(name, connections)])

    def paired(name: str, baseline: str, connections: int, key: str) -> float:
        pairs = zip(rounds[(name, connections)], rounds[(baseline, connections)], strict=True)
        if key == "p50":
            return statistics.median(r["p50"] - b["p50"] for r, b in pairs)
        return statistics.median(r["rps"] / b["rps"] for r, b in pairs)

    labels = {
        "direct": "direct",
        "nginx": "nginx proxy_pass",
        "gateway": "gateway: 1 worker, SQLite keys, memory counts",
        "gateway-pg": "gateway: 2 workers, PostgreSQL keys, Redis",
    }
    say("")
    say(f"GET /api/v1/accounts/{{id}}, medians of {len(rounds[('direct', 1)])} rounds")
    say(
        f"| {'':40} | c=1 req/s | c=1 p50 ms | hop at p50 | c=16 req/s | c=16 p50 ms "
        "| vs nginx, same round |"
    )
    say(f"| {'-' * 40} | --- | --- | --- | --- | --- | --- |")
    for name in names:
        hop = paired(name, "direct", 1, "p50")
        ratio = paired(name, "nginx", 16, "rps")
        say(
            f"| {labels[name]:40} | {median_of(name, 1, 'rps'):,.0f} "
            f"| {median_of(name, 1, 'p50'):.2f} | {'' if name == 'direct' else f'+{hop:.2f} ms'} "
            f"| {median_of(name, 16, 'rps'):,.0f} | {median_of(name, 16, 'p50'):.1f} "
            f"| {ratio:.0%} |"
        )
    say("")
    met = True
    for name in (n for n in names if n.startswith("gateway")):
        hop = paired(name, "direct", 1, "p50")
        ratio = paired(name, "nginx", 16, "rps")
        ok = hop <= HOP_TARGET_MS and ratio >= THROUGHPUT_TARGET
        met &= ok
        say(
            f"{labels[name]}: hop +{hop:.3f} ms at p50, c=1 (target ≤ {HOP_TARGET_MS} ms); "
            f"{ratio:.0%} of nginx's throughput at c=16 (target ≥ {THROUGHPUT_TARGET:.0%})"
            f": {'met' if ok else 'NOT met'}"
        )
    say(f"nginx's own hop: +{paired('nginx', 'direct', 1, 'p50'):.3f} ms at p50, c=1")
    say(f"targets {'met' if met else 'NOT met'}")
    return met


if __name__ == "__main__":
    sys.exit(main())
