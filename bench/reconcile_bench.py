#!/usr/bin/env python3
"""Reconciler benchmark (issue 6 item 8), on the real Docker engine, in one run:

1. No-op pass: `lucidctl reconcile --once` of a promoted N-service cluster (default 20) against
   `docker-compose up -d --remove-orphans` of the same project fed the plan the reconciler applied
   (`lucidctl render --json` plus the com.lucid.config-hash labels `lucidctl plan` computes)
   (goal: median ratio >= 10x). Medians of --runs runs each (default 9), interleaved. Both must be
   true no-ops: every container ID and start time is checked after the runs; a change fails the run.
2. Drift-correction latency over --rounds rounds (default 10): `docker stop -t 1` of one container
   (rotating through the services) with `lucidctl reconcile --watch --restart-budget 0` running
   (no budget, so every round is corrected), timed from the stop
   returning until that service runs and is healthy again (docker inspect every 50 ms, at most 60 s a
   round), beside the reconciler's own "corrected in N ms" figure.

Setup: a busybox-static image built FROM scratch, a config repo in the layout of deploy/ with SSH-signed
commits pushed to a local bare repository, and the project lucid-<cluster>. Everything it creates is
named lucidrcb<pid>* or lives in a temporary directory and is removed at the end, also on failure;
the whole run is bounded by --deadline. Traffic stays on loopback and the containers it creates.
Needs lucidctl (--bin-dir), a Docker engine (scripts/bootstrap), docker-compose or `docker compose`,
git, ssh-keygen and busybox-static.

  python3 bench/reconcile_bench.py [--bin-dir build/release/bin] [--services 20] [--runs 9]
                                   [--rounds 10] [--deadline 1200] [--json]
"""
import argparse, json, os, queue, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# git must not depend on the user's configuration (signing defaults, hooks, ...).
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, timeout=120, check=True, stdin=None, env=None):
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(argv[:4])} … did not finish within {timeout} s")
    if check and p.returncode != 0:
        raise BenchError(f"{' '.join(argv[:4])} … exited {p.returncode}: {(p.stderr or p.stdout).strip()[-400:]}")
    return p


def find_compose():
    """src/lucid/engine/compose_apply.cc find_compose: `docker compose` v2 where present, else docker-compose."""
    for argv in (["docker", "compose"], ["docker-compose"]):
        try:
            p = subprocess.run(argv + ["version"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if p.returncode == 0:
            return argv, p.stdout.strip().splitlines()[0]
    raise BenchError("neither `docker compose` nor `docker-compose` is installed (run scripts/bootstrap)")


def compose_file(image, services):
    lines = ["services:"]
    for i in range(services):
        lines += [
            f"  svc-{i:02d}:",
            f"    image: {image}",
            '    command: [/bin/busybox, sleep, "1000000"]',
            "    stop_grace_period: 1s",
            "    healthcheck:",
            '      test: [CMD, /bin/busybox, "true"]',
            "      interval: 1s",
            "      timeout: 2s",
            "      retries: 2",
        ]
    return "\n".join(lines) + "\n"


def containers(project):
    """service → (id, started_at, running, health) of the project's containers."""
    ids = run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"]).stdout.split()
    if not ids:
        return {}
    out = {}
    for c in json.loads(run(["docker", "inspect", *ids]).stdout):
        svc = c["Config"]["Labels"].get("com.docker.compose.service", "")
        health = (c["State"].get("Health") or {}).get("Status", "")
        out[svc] = (c["Id"], c["State"]["StartedAt"], c["State"]["Running"], health)
    return out


def identities(project):
    return {s: (v[0], v[1]) for s, v in containers(project).items()}


def ms_stats(xs):
    return {"median": round(statistics.median(xs), 1), "min": round(min(xs), 1), "max": round(max(xs), 1)}


class Watcher:
    """`lucidctl reconcile --watch` in the background; its stdout lines, timestamped, in a queue."""

    def __init__(self, argv, log_path):
        self.lines = queue.Queue()
        self.seen = []  # every line, for the error message
        self.t0 = time.monotonic()
        self.stderr = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.seen.append(f"{time.monotonic() - self.t0:8.3f} {line.rstrip()}")
            self.lines.put((time.monotonic(), line.rstrip("\n")))
        self.lines.put((time.monotonic(), None))

    def next_line(self, until):
        try:
            _, line = self.lines.get(timeout=max(0.0, until - time.monotonic()))
        except queue.Empty:
            raise BenchError("the watcher printed nothing in time")
        if line is None:
            raise BenchError(f"the watcher exited ({self.proc.wait()}); see its stderr")
        return line

    def wait_pass(self, until, want, skip=()):
        """Reads up to the next pass line (`<commit> <outcome>`) whose outcome is in `want`, passing over
        those in `skip`; returns (outcome, its "drift: … in N ms" figure or None, passes skipped)."""
        drift_ms, skipped = None, 0
        while True:
            line = self.next_line(until)
            m = re.match(r"drift: .* in (\d+) ms$", line)  # "drift: 1 change(s), first …; corrected in N ms"
            if m:
                drift_ms = int(m.group(1))
                continue
            m = re.match(r"[0-9a-f]{12} (\S+)$", line)
            if not m:
                continue
            if m.group(1) in want:
                return m.group(1), drift_ms, skipped
            if m.group(1) not in skip:
                raise BenchError(f"the watcher's pass ended '{m.group(1)}', expected {'/'.join(want)}; "
                                 "its output (s since start):\n" + "\n".join(self.seen[-30:]))
            drift_ms, skipped = None, skipped + 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


def noop_benchmark(a, lucidctl, reconcile_argv, compose_argv, project, cluster, work):
    # The peer gets exactly what the reconciler applied: the rendered plan (canonical JSON, which is
    # YAML) with the com.lucid.config-hash label on each service, the hashes from `lucidctl plan`.
    plan = json.loads(run([lucidctl, "plan", "--cluster", cluster, work, "--json"]).stdout)
    not_unchanged = [x for x in plan["actions"] if x["action"] != "unchanged"]
    if not_unchanged:
        raise BenchError(f"after promotion `lucidctl plan` still wants changes: {not_unchanged}")
    doc = json.loads(run([lucidctl, "render", "--cluster", cluster, work, "--json"]).stdout)
    for x in plan["actions"]:
        doc["services"][x["service"]].setdefault("labels", {})["com.lucid.config-hash"] = x["config_hash"]
    peer_yaml = json.dumps(doc)
    peer = compose_argv + ["-p", project, "-f", "-", "up", "-d", "--remove-orphans"]

    def one_pass():
        t0 = time.perf_counter()
        p = run(reconcile_argv, timeout=120, check=False)
        dt = time.perf_counter() - t0
        if p.returncode != 0 or not re.match(r"[0-9a-f]{12} unchanged$", p.stdout.strip()):
            raise BenchError(f"no-op pass exited {p.returncode}: {p.stdout.strip()} {p.stderr.strip()[-300:]}")
        return dt

    def one_compose():
        t0 = time.perf_counter()
        run(peer, timeout=300, stdin=peer_yaml)
        return time.perf_counter() - t0

    before = identities(project)
    if len(before) != a.services:
        raise BenchError(f"{len(before)} containers in {project}, expected {a.services}")
    one_pass(), one_compose()  # warm-up (page cache, compose's imports), not timed
    if identities(project) != before:
        raise BenchError("`docker-compose up -d` of the labelled plan recreated or restarted containers: "
                         "the peer is not a no-op, the comparison would be void")
    ours, theirs = [], []
    for i in range(a.runs):  # interleaved so both see the same machine load
        ours.append(one_pass())
        theirs.append(one_compose())
        log(f"  run {i + 1}/{a.runs}: reconcile {ours[-1] * 1000:.0f} ms, compose {theirs[-1] * 1000:.0f} ms")
    after = identities(project)
    if after != before:
        changed = sorted(s for s in set(before) | set(after) if before.get(s) != after.get(s))
        raise BenchError(f"container IDs or start times changed during the no-op runs: {changed}")
    mo, mt = statistics.median(ours), statistics.median(theirs)
    return {"runs": a.runs, "services": a.services,
            "reconcile_ms": ms_stats([x * 1000 for x in ours]),
            "compose_ms": ms_stats([x * 1000 for x in theirs]),
            "ratio": round(mt / mo, 1), "goal": 10, "goal_met": mt / mo >= 10,
            "containers_unchanged": True}


def drift_benchmark(a, watch_argv, project, state_log):
    w = Watcher(watch_argv, state_log)
    try:
        w.wait_pass(time.monotonic() + 120, ("unchanged",))  # the first pass finds nothing to do
        services = sorted(identities(project))
        ours, theirs, early_passes = [], [], 0
        for i in range(a.rounds):
            svc = services[i % len(services)]
            cid, started, _, _ = containers(project)[svc]
            run(["docker", "stop", "-t", "1", cid], timeout=60)
            t0 = time.monotonic()
            while True:
                c = containers(project).get(svc)
                if c and c[2] and c[3] == "healthy" and (c[0], c[1]) != (cid, started):
                    break
                if time.monotonic() - t0 > 60:
                    raise BenchError(f"round {i + 1}: {svc} not running and healthy 60 s after docker stop")
                time.sleep(0.05)
            dt = (time.monotonic() - t0) * 1000
            # A pass may start while the container is still stopping (drift is first seen on the SIGTERM
            # "kill" event, the pass 500 ms later) and find nothing to do; the next one corrects it.
            outcome, corrected, early = w.wait_pass(time.monotonic() + 120, ("corrected", "promoted", "repaired"),
                                                    skip=("unchanged",))
            if corrected is None:
                raise BenchError(f"round {i + 1}: the watcher's pass ({outcome}) came without a drift line")
            ours.append(dt)
            theirs.append(corrected)
            early_passes += early
            log(f"  round {i + 1}/{a.rounds}: {svc} healthy again after {dt:.0f} ms "
                f"(reconciler: {outcome} in {corrected} ms{f', after {early} unchanged pass(es)' if early else ''})")
        rc = w.stop()
        if rc != 0:
            raise BenchError(f"the watcher exited {rc} on SIGTERM")
        return {"rounds": a.rounds, "stop_to_healthy_ms": ms_stats(ours), "reconciler_corrected_ms": ms_stats(theirs),
                "early_unchanged_passes": early_passes}
    finally:
        w.stop()


def setup(a, lucidctl, tmp, cluster, image):
    """The image, the signed config repo and the first (promoting) pass; the `lucidctl reconcile`
    argv prefix and the work tree (a checkout of the deployed commit)."""
    ctx = os.path.join(tmp, "ctx")
    os.mkdir(ctx)
    shutil.copy("/bin/busybox", os.path.join(ctx, "busybox"))
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(f"FROM scratch\nCOPY busybox /bin/busybox\nLABEL com.lucid.test={cluster}\n")
    run(["docker", "build", "-q", "-t", image, ctx], timeout=300, env={**os.environ, "DOCKER_BUILDKIT": "0"})

    key = os.path.join(tmp, "signer")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", key])
    pub = " ".join(open(key + ".pub").read().split()[:2])
    signers = os.path.join(tmp, "allowed_signers")
    with open(signers, "w") as f:
        f.write(f'ops@lucid namespaces="git" {pub}\n')
    bare, work = os.path.join(tmp, "remote.git"), os.path.join(tmp, "work")
    run(["git", "init", "-q", "--bare", bare], env=GIT_ENV)
    run(["git", "init", "-q", "-b", "main", work], env=GIT_ENV)
    files = {"infrastructure/compose/docker-compose.yml": compose_file(image, a.services),
             "clusters/clusters.yaml": f"version: 1\nclusters:\n  - id: {cluster}\n",
             f"clusters/{cluster}/.env": f"CLUSTER_ID={cluster}\n",
             "policies/allowed_signers": f"ops@lucid {pub}\n"}
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(work, path)), exist_ok=True)
        with open(os.path.join(work, path), "w") as f:
            f.write(text)
    git = ["git", "-C", work]
    run(git + ["add", "."], env=GIT_ENV)
    run(git + ["-c", "user.name=Bench Signer", "-c", "user.email=bench@example.test", "-c", "gpg.format=ssh",
               "-c", f"user.signingkey={key}", "commit", "-q", "-S", "-m", "bench"], env=GIT_ENV)
    run(git + ["push", "-q", bare, "HEAD:refs/heads/main"], env=GIT_ENV)

    base = [lucidctl, "reconcile", "--repo", f"file://{bare}", "--cluster", cluster,
            "--state-dir", os.path.join(tmp, "state"), "--allowed-signers", signers,
            "--insecure-skip-image-verify"]
    t0 = time.monotonic()
    p = run(base + ["--once"], timeout=600, check=False)
    if p.returncode != 0 or not p.stdout.strip().endswith(" promoted"):
        raise BenchError(f"first pass did not promote (exit {p.returncode}): {p.stdout.strip()} {p.stderr.strip()}")
    log(f"first pass promoted {a.services} services in {time.monotonic() - t0:.1f} s")
    return base, work


def cleanup(project, image, tmp):
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
                         capture_output=True, text=True, timeout=60).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=120)
    subprocess.run(["docker", "network", "rm", f"{project}_default"], capture_output=True, timeout=60)
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True, timeout=60)
    shutil.rmtree(tmp, ignore_errors=True)


def on_signal(signum, frame):
    raise BenchError("--deadline reached" if signum == signal.SIGALRM else "terminated")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "release", "bin"))
    ap.add_argument("--services", type=int, default=20)
    ap.add_argument("--runs", type=int, default=9, help="no-op runs of each tool (median)")
    ap.add_argument("--rounds", type=int, default=10, help="drift-correction rounds (median)")
    ap.add_argument("--deadline", type=int, default=1200, help="bound on the whole run, seconds")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    a = ap.parse_args()
    if a.runs < 3 or a.rounds < 1 or a.services < 1:
        sys.exit("--runs must be at least 3, --rounds and --services at least 1")
    lucidctl = os.path.abspath(os.path.join(a.bin_dir, "lucidctl"))
    if not os.access(lucidctl, os.X_OK):
        sys.exit(f"{lucidctl} not found (build it, or give --bin-dir)")
    for tool in ("docker", "git", "ssh-keygen"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (run scripts/bootstrap)")
    if not os.path.exists("/bin/busybox"):
        sys.exit("/bin/busybox missing (apt-get install busybox-static)")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        sys.exit("no Docker engine answers (scripts/bootstrap starts dockerd)")

    cluster = f"lucidrcb{os.getpid()}"
    project, image = f"lucid-{cluster}", f"{cluster}:bench"
    tmp = tempfile.mkdtemp(prefix="lucid-reconcile-bench-")
    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(a.deadline)
    try:
        compose_argv, compose_version = find_compose()
        base, work = setup(a, lucidctl, tmp, cluster, image)
        noop = noop_benchmark(a, lucidctl, base + ["--once"], compose_argv, project, cluster, work)
        drift = drift_benchmark(a, base + ["--watch", "--interval", "300s", "--listen", "",
                                        "--restart-budget", "0"], project,
                                os.path.join(tmp, "watch.log"))
    except BenchError as e:
        signal.alarm(0)
        cleanup(project, image, tmp)
        sys.exit(f"reconcile_bench: {e}")
    except BaseException:
        signal.alarm(0)
        cleanup(project, image, tmp)
        raise
    signal.alarm(0)
    cleanup(project, image, tmp)

    result = {"compose": compose_version, "noop": noop, "drift": drift}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    r, c = noop["reconcile_ms"], noop["compose_ms"]
    print(f"no-op, {a.services} services, {a.runs} interleaved runs each ({compose_version})")
    print(f"{'':44} {'median':>9} {'min':>9} {'max':>9}")
    print(f"{'lucidctl reconcile --once (unchanged)':44} {r['median']:6.1f} ms {r['min']:6.1f} ms {r['max']:6.1f} ms")
    print(f"{'docker-compose up -d --remove-orphans':44} {c['median']:6.1f} ms {c['min']:6.1f} ms {c['max']:6.1f} ms")
    print(f"median ratio (compose / reconcile): {noop['ratio']:.1f}x (goal >= 10x: "
          f"{'met' if noop['goal_met'] else 'MISSED'}); container IDs and start times unchanged")
    d, o = drift["stop_to_healthy_ms"], drift["reconciler_corrected_ms"]
    print(f"\ndrift correction, docker stop -t 1 of one service, {a.rounds} rounds")
    print(f"{'':44} {'median':>9} {'min':>9} {'max':>9}")
    print(f"{'stop returned -> running and healthy':44} {d['median']:6.0f} ms {d['min']:6.0f} ms {d['max']:6.0f} ms")
    print(f"{'reconciler log: drift seen -> pass done':44} {o['median']:6.0f} ms {o['min']:6.0f} ms {o['max']:6.0f} ms")
    print(f"passes that found nothing yet (container still stopping) before the correcting one: "
          f"{drift['early_unchanged_passes']} in {a.rounds} rounds")


if __name__ == "__main__":
    main()
