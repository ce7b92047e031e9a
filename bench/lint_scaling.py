#!/usr/bin/env python3
"""Issue #3's lint scaling: `lucidctl lint` on generated config repos of 100, 1,000 and 5,000
services (goal: time grows linearly, i.e. time per service stays flat). Each repo is the lint
fixture base repo (tests/lint/fixtures/base) with a generated compose file and allow-list; every
rule runs and the repo lints clean. Timings are the median of --runs runs (default 5).
Usage: bench/lint_scaling.py [--lucidctl build/release/bin/lucidctl] [--runs 5] [--sizes 100,1000,5000]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = os.path.join(ROOT, "tests/lint/fixtures/base")


def make_repo(path, n):
    shutil.copytree(BASE, path)
    compose = os.path.join(path, "infrastructure/compose/docker-compose.yml")
    text = open(compose).read()
    head, services = text.split("\nservices:\n", 1)
    beta = services.split("\n  api:\n", 1)[0]
    out = [head, "services:", beta.rstrip("\n")]
    for i in range(n - 1):
        s = f"svc-{i}"
        out += [
            f"  {s}:",
            f"    image: registry.lucid.local:5000/lucid/{s}@sha256:{i:064x}",
            "    profiles: [node]",
            '    user: "10001:10001"',
            "    read_only: true",
            "    cap_drop: [ALL]",
            '    security_opt: ["no-new-privileges:true"]',
            "    labels:",
            "      com.lucid.plane: ops",
            f"      com.lucid.service: {s}",
            '      com.lucid.expose: "8080"',
            "    networks: [ops]",
            '    expose: ["8080"]',
            "    environment:",
            '      TOR_SOCKS: "${TOR_SOCKS:-beta:9050}"',
            '      CLUSTER_ID: "${CLUSTER_ID:?CLUSTER_ID must be set}"',
            "    healthcheck:",
            f'      test: ["CMD", "/usr/local/bin/{s}", "health"]',
            "    depends_on:",
            "      beta:",
            "        condition: service_healthy",
        ]
        if i:
            out += [f"      svc-{i - 1}:", "        condition: service_healthy"]
    with open(compose, "w") as f:
        f.write("\n".join(out) + "\n")
    names = ", ".join(f"svc-{i}" for i in range(n - 1))
    with open(os.path.join(path, "policies/profiles.yaml"), "w") as f:
        f.write(f"version: 1\nalways: [beta]\nprofiles:\n  node:\n    services: [beta, {names}]\n"
                "  admin:\n    services: [beta]\n")
    with open(os.path.join(path, "policies/acl.yaml"), "w") as f:  # the base's wallet services are gone
        f.write("version: 1\ncross_plane: deny\nplanes:\n  ops: {default: allow-same-plane}\n"
                "  chain: {default: allow-same-plane}\n  wallet: {default: deny}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lucidctl", default=os.path.join(ROOT, "build/release/bin/lucidctl"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000,5000")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lucid-lint-bench-")
    try:
        rows = []
        print(f"{'services':>8} {'lint (median)':>14} {'per service':>12}")
        for n in [int(x) for x in a.sizes.split(",")]:
            repo = os.path.join(tmp, f"repo-{n}")
            make_repo(repo, n)
            samples = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                p = subprocess.run([a.lucidctl, "lint", repo], capture_output=True, text=True)
                samples.append(time.perf_counter() - t0)
                if p.returncode != 0:
                    sys.exit(f"lint of {n} services is not clean ({p.returncode}):\n{p.stdout[:2000]}{p.stderr}")
            m = statistics.median(samples)
            rows.append((n, m))
            print(f"{n:8d} {m * 1000:11.1f} ms {m / n * 1e6:9.1f} us")
        (n0, t0), (n1, t1) = rows[0], rows[-1]
        print(f"growth {n0} -> {n1} services: time x{t1 / t0:.1f} for services x{n1 / n0:.0f} "
              f"(per-service ratio {(t1 / n1) / (t0 / n0):.2f}; 1.0 = linear; process start-up weighs on small sizes)")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
