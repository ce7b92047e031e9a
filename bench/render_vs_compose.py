#!/usr/bin/env python3
"""Issue #3's render target: `lucidctl render -f` against `docker-compose config` on the same input
(goal: median ratio >= 20x). Each timing is the median of --runs runs (default 7), both tools
interleaved in the same run.

Inputs: the reference compose file with a cluster's .env and its profile, and a generated large
compose file (--services, default 500) with interpolation, long and short syntax and depends_on.
Both tools must succeed on each input. Nothing touches the network.
Usage: bench/render_vs_compose.py [--lucidctl build/release/bin/lucidctl] [--runs 7] [--services 500]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(argv, env):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[-400:]}")
    return dt


def generate(path, n):
    lines = ["networks:", "  ops:", "    internal: true", "services:"]
    for i in range(n):
        lines += [
            f"  svc-{i}:",
            f"    image: registry.lucid.local:5000/lucid/svc-{i}@sha256:{i:064x}",
            "    profiles: [node]",
            '    user: "10001:10001"',
            "    read_only: true",
            "    cap_drop: [ALL]",
            '    security_opt: ["no-new-privileges:true"]',
            "    labels:",
            "      com.lucid.plane: ops",
            f"      com.lucid.service: svc-{i}",
            '      com.lucid.expose: "8080"',
            "    networks: [ops]",
            '    expose: ["8080"]',
            "    environment:",
            '      CLUSTER_ID: "${CLUSTER_ID:?CLUSTER_ID must be set}"',
            '      TOR_SOCKS: "${TOR_SOCKS:-beta:9050}"',
            "      MODE: $TRON_MODE",
            "    ports:",
            f'      - "127.0.0.1:{20000 + i}:8080"',
            "      - target: 9090",
            "        protocol: tcp",
            "    healthcheck:",
            f'      test: ["CMD", "/usr/local/bin/svc-{i}", "health"]',
            "      interval: 30s",
        ]
        if i:
            lines += ["    depends_on:", f"      svc-{i - 1}:", "        condition: service_healthy"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lucidctl", default=os.path.join(ROOT, "build/release/bin/lucidctl"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--services", type=int, default=500)
    a = ap.parse_args()
    if a.runs < 5:
        sys.exit("--runs must be at least 5")
    compose = shutil.which("docker-compose")
    if not compose:
        sys.exit("docker-compose (1.29) is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("CLUSTER_ID", "TOR_SOCKS", "TRON_MODE", "PROFILES")}
    tmp = tempfile.mkdtemp(prefix="lucid-render-bench-")
    try:
        big = os.path.join(tmp, "docker-compose.yml")
        generate(big, a.services)
        deploy_env = os.path.join(ROOT, "deploy/clusters/edge-node-eu-1/.env")
        inputs = [
            ("deploy (edge-node-eu-1, profile node)", os.path.join(ROOT, "deploy/infrastructure/compose/docker-compose.yml"),
             deploy_env, "node"),
            (f"generated, {a.services} services", big, deploy_env, "node"),
        ]
        ratios = []
        print(f"{'input':40} {'lucidctl render':>16} {'docker-compose config':>22} {'ratio':>8}")
        for name, file, env_file, profile in inputs:
            ours = [os.path.abspath(a.lucidctl), "render", "-f", file, "--env-file", env_file, "--profile", profile]
            theirs = [compose, "-f", file, "--env-file", env_file, "--profile", profile, "config"]
            t_ours, t_theirs = [], []
            for _ in range(a.runs):  # interleaved so both see the same machine load
                t_ours.append(run(ours, env))
                t_theirs.append(run(theirs, env))
            mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
            ratios.append(mt / mo)
            print(f"{name:40} {mo * 1000:13.1f} ms {mt * 1000:19.1f} ms {mt / mo:7.1f}x")
        print(f"median ratio (docker-compose config / lucidctl render): {statistics.median(ratios):.1f}x (goal >= 20x)")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
