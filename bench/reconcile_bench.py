#!/usr/bin/env python3
"""Reconciler benchmark (issue 6 item 8), on the real Docker engine, in one run:

1. No-op pass: `lucidctl reconcile --once` of a promoted N-service cluster (default 20) against
   `docker-compose up -d --remove-orphans` of the same project fed the plan the reconciler applied
   (`lucidctl render --json` plus the com.lucid.config-hash labels `lucidctl plan` computes)
   (goal: median ratio >= 10x). Medians of --runs runs each (default 9), interleaved. Both must be
   true no-ops: every container ID and start time is checked after the runs; a change fails the run.
2. Drift-correction latency over --rounds rounds (default 6; issue 12 item 7), four ways per round,
   interleaved so each sees the same machine load, each a `docker stop -t 1` of one container
   (rotating through the services), timed from the stop returning until that service runs and is
   healthy again (Engine API polled over its socket every 50 ms, at most 60 s a round):
   - direct: `lucidctl reconcile --watch --restart-budget 0` running (no budget, so every round is
     corrected); the correcting pass must say "drift: started directly" (the existing container is
     started through the Engine API);
   - via compose: the same watcher with the hidden `--drift-via-compose` (the pre-issue-12 path:
     export, render, `docker-compose up -d` of the whole plan); its pass must say "drift: via compose";
   - bare compose: no reconciler; `docker-compose -p <project> -f - up -d --remove-orphans` of the
     labelled plan run right after the stop (Compose's own time, and stop → healthy with it).
   - engine floor: no reconciler; the bench itself POSTs /containers/{id}/start right after the stop
     (what no reconciler can beat: the engine's start and the container's first healthcheck).
   A new watcher is started for each of the first two (its first pass must be `unchanged`). The
   reconciler's own "corrected in N ms" figure is printed beside them. Goal: direct median < 3 s.
   The load average is printed before and after (the machine is shared; figures are noisy).

Setup: a busybox-static image built FROM scratch, a config repo in the layout of deploy/ with SSH-signed
commits pushed to a local bare repository, and the project lucid-<cluster>. Everything it creates is
named lucidrcb<pid>* or lives in a temporary directory and is removed at the end, also on failure;
the whole run is bounded by --deadline. Traffic stays on loopback and the containers it creates.
Needs lucidctl (--bin-dir), a Docker engine (scripts/bootstrap), docker-compose or `docker compose`,
git, ssh-keygen and busybox-static.

  python3 bench/reconcile_bench.py [--bin-dir build/release/bin] [--services 20] [--runs 9]
                                   [--rounds 6] [--drift-only] [--deadline 1200] [--json]
"""
import argparse, http.client, json, os, queue, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, \
    threading, time, urllib.parse

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
    """N sleeping services, hardened and with the plane networks defined: the reconciler refuses a
    commit that fails the deploy gate's lint rules (hardening/, planes/)."""
    lines = ["services:"]
    for i in range(services):
        lines += [
            f"  svc-{i:02d}:",
            f"    image: {image}",
            '    command: [/bin/busybox, sleep, "1000000"]',
            '    user: "10001:10001"',
            "    read_only: true",
            "    cap_drop: [ALL]",
            '    security_opt: ["no-new-privileges:true"]',
            "    stop_grace_period: 1s",
            "    healthcheck:",
            '      test: [CMD, /bin/busybox, "true"]',
            "      interval: 1s",
            "      timeout: 2s",
            "      retries: 2",
        ]
    lines += ["networks:"] + [f"  {plane}: {{internal: true}}" for plane in ("chain", "ops", "wallet")]
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


class _EngineConnection(http.client.HTTPConnection):
    """HTTP over the engine's unix socket: polling through it costs far less than a docker CLI
    process per look, which on a 2-core machine would slow down what is measured."""

    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.socket_path)


def service_healthy(project, service, socket_path="/var/run/docker.sock"):
    """Whether `service` of `project` has a container running with a (healthy) status, from one
    GET /containers/json. A started container's health begins at `starting` again, so after a stop
    this is only true once the service came back."""
    filters = json.dumps({"label": [f"com.docker.compose.project={project}",
                                    f"com.docker.compose.service={service}"]})
    conn = _EngineConnection(socket_path)
    try:
        conn.request("GET", "/containers/json?all=1&filters=" + urllib.parse.quote(filters))
        items = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return any(x.get("State") == "running" and x.get("Status", "").endswith("(healthy)") for x in items)


def until_healthy(project, service, t0, what):
    """ms from t0 until `service` runs healthy again (polled every 50 ms), or None after 60 s (on
    the loaded machine healthchecks time out now and then; the round is counted as timed out)."""
    while not service_healthy(project, service):
        if time.monotonic() - t0 > 60:
            log(f"  {what}: {service} not running and healthy 60 s after docker stop (counted as timed out)")
            return None
        time.sleep(0.05)
    return (time.monotonic() - t0) * 1000


def post_start(container_id, socket_path="/var/run/docker.sock"):
    """POST /containers/{id}/start, as the direct start does (the engine's own floor)."""
    conn = _EngineConnection(socket_path)
    try:
        conn.request("POST", f"/containers/{container_id}/start")
        r = conn.getresponse()
        r.read()
        if r.status not in (204, 304):
            raise BenchError(f"POST /containers/{container_id[:12]}/start answered {r.status}")
    finally:
        conn.close()


def restore(project, service):
    """After a timed-out round: start the service's container by hand and give it 60 s."""
    run(["docker", "start", containers(project)[service][0]], timeout=120, check=False)
    until_healthy(project, service, time.monotonic(), "restoring after a timed-out round")


class EngineEvents:
    """The project's container start / die / health_status events from the engine's /events, with
    the local time each arrived: splits a round into "stop returned → started" (the reconciler)
    and "started → healthy" (the container's own healthcheck, 1 s interval)."""

    def __init__(self, project, socket_path="/var/run/docker.sock"):
        self.events, self.lock = [], threading.Lock()
        filters = json.dumps({"type": ["container"], "label": [f"com.docker.compose.project={project}"],
                              "event": ["start", "die", "health_status"]})
        self.conn = _EngineConnection(socket_path)
        self.conn.request("GET", "/events?filters=" + urllib.parse.quote(filters))
        self.resp = self.conn.getresponse()
        self.sock = self.conn.sock
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in iter(self.resp.readline, b""):
                e = json.loads(line)
                svc = e.get("Actor", {}).get("Attributes", {}).get("com.docker.compose.service", "")
                with self.lock:
                    self.events.append((time.monotonic(), svc, e.get("Action") or e.get("status", "")))
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def split(self, service, t0, limit=10):
        """(ms from t0 to the service's next start, ms from that start to healthy), None when not
        seen (within `limit` s: the event can arrive just after the poll saw the state)."""
        deadline = time.monotonic() + limit
        while True:
            with self.lock:
                started = next((t for t, s, a in self.events if s == service and a == "start" and t >= t0), None)
                healthy = started and next((t for t, s, a in self.events if s == service and t >= started
                                            and a == "health_status: healthy"), None)
            if healthy or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return ((started - t0) * 1000 if started else None,
                (healthy - started) * 1000 if healthy else None)

    def close(self):
        # shutdown() ends the reader's blocking readline; closing the buffered response instead would
        # wait for the lock that readline holds.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def load_average():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


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

    def drift_path(self, until):
        """After a `corrected` pass line: its reason saying how the drift was corrected, as
        ("direct" | "compose", what it says)."""
        while True:
            line = self.next_line(until)
            m = re.match(r"  drift: (started directly|via compose) \((.*)\)$", line)
            if m:
                return ("direct" if m.group(1) == "started directly" else "compose"), m.group(2)
            if not line.startswith("  "):
                raise BenchError("the corrected pass named no drift path; its output:\n" + "\n".join(self.seen[-30:]))

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


def peer_plan(lucidctl, cluster, work):
    """What the reconciler applied, for Compose run by hand: the rendered plan (canonical JSON, which
    is YAML) with the com.lucid.config-hash label on each service, the hashes from `lucidctl plan`."""
    plan = json.loads(run([lucidctl, "plan", "--cluster", cluster, work, "--json"]).stdout)
    not_unchanged = [x for x in plan["actions"] if x["action"] != "unchanged"]
    if not_unchanged:
        raise BenchError(f"after promotion `lucidctl plan` still wants changes: {not_unchanged}")
    doc = json.loads(run([lucidctl, "render", "--cluster", cluster, work, "--json"]).stdout)
    for x in plan["actions"]:
        doc["services"][x["service"]].setdefault("labels", {})["com.lucid.config-hash"] = x["config_hash"]
    return json.dumps(doc)


def noop_benchmark(a, reconcile_argv, compose_argv, project, peer_yaml):
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


def watched_round(watch_argv, project, svc, want_path, log_path, events):
    """One correction under a fresh `lucidctl reconcile --watch`: (stop → healthy ms, the
    reconciler's "corrected in" ms, what the pass said it did, passes that found nothing yet,
    (stop → started ms, started → healthy ms))."""
    w = Watcher(watch_argv, log_path)
    try:
        # The first pass normally finds nothing to do; on a loaded machine a healthcheck may have
        # timed out meanwhile, and then it corrects that first (counted, not timed).
        first, _, _ = w.wait_pass(time.monotonic() + 300, ("unchanged", "corrected"))
        if first == "corrected":
            unhealthy = sorted(s for s, c in containers(project).items() if not c[2] or c[3] != "healthy")
            log(f"  (the new watcher's first pass corrected drift left from before; not healthy now: {unhealthy})")
        cid = containers(project)[svc][0]
        run(["docker", "stop", "-t", "1", cid], timeout=60)
        t0 = time.monotonic()
        dt = until_healthy(project, svc, t0, f"{want_path} round")
        if dt is None:
            w.stop()
            restore(project, svc)
            return None, None, "timed out", 0, (None, None)
        split = events.split(svc, t0)
        # A pass may start while the container is still stopping and find nothing to do; the next
        # one corrects it.
        outcome, corrected, early = w.wait_pass(time.monotonic() + 120, ("corrected",), skip=("unchanged",))
        if corrected is None:
            raise BenchError(f"the watcher's pass ({outcome}) came without a drift line")
        path, said = w.drift_path(time.monotonic() + 30)
        if path != want_path:
            raise BenchError(f"{svc}: the {want_path} round was corrected {path}: {said}")
        if containers(project)[svc][0] != cid and want_path == "direct":
            raise BenchError(f"{svc}: the direct start replaced the container")
    finally:
        rc = w.stop()
    if rc != 0:
        raise BenchError(f"the watcher exited {rc} on SIGTERM")
    return dt, corrected, said, early, split


def drift_benchmark(a, watch_argv, compose_argv, project, peer_yaml, tmp):
    services = sorted(identities(project))
    peer = compose_argv + ["-p", project, "-f", "-", "up", "-d", "--remove-orphans"]
    load_before = load_average()
    events = EngineEvents(project)
    ways = {w: {"healthy": [], "log": [], "to_start": [], "start_to_healthy": []}
            for w in ("direct", "compose", "bare", "floor")}
    direct_said, bare_up, early_passes = [], [], 0

    timeouts = {w: 0 for w in ways}

    def record(way, dt, corrected, split):
        if dt is None:
            timeouts[way] += 1
            return
        ways[way]["healthy"].append(dt)
        if corrected is not None:
            ways[way]["log"].append(corrected)
        if split[0] is not None:
            ways[way]["to_start"].append(split[0])
        if split[1] is not None:
            ways[way]["start_to_healthy"].append(split[1])

    try:
        for i in range(a.rounds):
            svc = services[i % len(services)]
            dt, corrected, said, early, split = watched_round(watch_argv, project, svc, "direct",
                                                              os.path.join(tmp, f"watch-direct-{i}.log"), events)
            record("direct", dt, corrected, split)
            if dt is not None:
                direct_said.append(said)
            early_passes += early
            dt2, corrected2, _, early, split2 = watched_round(watch_argv + ["--drift-via-compose"], project, svc,
                                                             "compose", os.path.join(tmp, f"watch-compose-{i}.log"),
                                                             events)
            record("compose", dt2, corrected2, split2)
            early_passes += early
            # Compose alone, no reconciler: the same correction by hand.
            run(["docker", "stop", "-t", "1", containers(project)[svc][0]], timeout=60)
            t0 = time.monotonic()
            run(peer, timeout=300, stdin=peer_yaml)
            bare_up.append((time.monotonic() - t0) * 1000)
            dt3 = until_healthy(project, svc, t0, "bare compose round")
            if dt3 is None:
                restore(project, svc)
            record("bare", dt3, None, events.split(svc, t0) if dt3 is not None else (None, None))
            # The floor: the bench itself starts the stopped container through the Engine API at once.
            cid = containers(project)[svc][0]
            run(["docker", "stop", "-t", "1", cid], timeout=60)
            t0 = time.monotonic()
            post_start(cid)
            dt4 = until_healthy(project, svc, t0, "engine floor round")
            if dt4 is None:
                restore(project, svc)
            record("floor", dt4, None, events.split(svc, t0) if dt4 is not None else (None, None))
            fmt = lambda x: "timed out" if x is None else f"{x:.0f} ms"
            log(f"  round {i + 1}/{a.rounds} ({svc}, load {load_average()}): direct {fmt(dt)} (started after "
                f"{fmt(split[0])}: {said}), reconciler via compose {fmt(dt2)} (started after {fmt(split2[0])}), "
                f"docker-compose up -d {bare_up[-1]:.0f} ms → healthy {fmt(dt3)}, bench's own POST start → "
                f"healthy {fmt(dt4)}")
    finally:
        events.close()

    def stats(way):
        w = ways[way]
        if not w["healthy"]:
            raise BenchError(f"every {way} round timed out")
        out = {"stop_to_healthy_ms": ms_stats(w["healthy"]), "timed_out_rounds": timeouts[way]}
        if w["log"]:
            out["reconciler_corrected_ms"] = ms_stats(w["log"])
        if w["to_start"]:
            out["stop_to_started_ms"] = ms_stats(w["to_start"])
        if w["start_to_healthy"]:
            out["started_to_healthy_ms"] = ms_stats(w["start_to_healthy"])
        return out

    md, mc = statistics.median(ways["direct"]["healthy"]), statistics.median(ways["compose"]["healthy"])
    bare = stats("bare")
    bare["compose_up_ms"] = ms_stats(bare_up)
    return {"rounds": a.rounds, "load_before": load_before, "load_after": load_average(),
            "direct": {**stats("direct"), "actions": sorted(set(direct_said))},
            "via_compose": stats("compose"), "bare_compose": bare, "engine_floor": stats("floor"),
            "ratio": round(mc / md, 1), "goal_ms": 3000, "goal_met": md < 3000,
            "early_unchanged_passes": early_passes}


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
            "--insecure-skip-image-verify", "--branch", "main"]
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
    ap.add_argument("--rounds", type=int, default=6, help="drift-correction rounds, each done four ways (median)")
    ap.add_argument("--drift-only", action="store_true", help="skip the no-op comparison")
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
        peer_yaml = peer_plan(lucidctl, cluster, work)
        noop = None if a.drift_only else noop_benchmark(a, base + ["--once"], compose_argv, project, peer_yaml)
        drift = drift_benchmark(a, base + ["--watch", "--interval", "300s", "--listen", "", "--restart-budget", "0", "--no-accept"],
                                compose_argv, project, peer_yaml, tmp)
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
    row = lambda name, x: print(f"{name:52} {x['median']:6.0f} ms {x['min']:6.0f} ms {x['max']:6.0f} ms")
    if noop:
        r, c = noop["reconcile_ms"], noop["compose_ms"]
        print(f"no-op, {a.services} services, {a.runs} interleaved runs each ({compose_version})")
        print(f"{'':44} {'median':>9} {'min':>9} {'max':>9}")
        print(f"{'lucidctl reconcile --once (unchanged)':44} {r['median']:6.1f} ms {r['min']:6.1f} ms {r['max']:6.1f} ms")
        print(f"{'docker-compose up -d --remove-orphans':44} {c['median']:6.1f} ms {c['min']:6.1f} ms {c['max']:6.1f} ms")
        print(f"median ratio (compose / reconcile): {noop['ratio']:.1f}x (goal >= 10x: "
              f"{'met' if noop['goal_met'] else 'MISSED'}); container IDs and start times unchanged\n")
    d = drift
    print(f"drift correction, docker stop -t 1 of one of {a.services} services, {a.rounds} rounds each way, "
          f"interleaved ({compose_version}); load average {d['load_before']} before, {d['load_after']} after")
    print(f"{'':52} {'median':>9} {'min':>9} {'max':>9}")
    for title, way in (("direct start", "direct"), ("via compose", "via_compose"),
                       ("docker-compose up -d alone", "bare_compose"), ("bench's own POST start", "engine_floor")):
        x = d[way]
        row(f"{title}: stop returned -> running and healthy", x["stop_to_healthy_ms"])
        if x["timed_out_rounds"]:
            print(f"  ({x['timed_out_rounds']} of {a.rounds} rounds not healthy within 60 s, left out of the figures)")
        if "compose_up_ms" in x:
            row("  the docker-compose command itself", x["compose_up_ms"])
        if "stop_to_started_ms" in x:
            row("  stop returned -> container started (events)", x["stop_to_started_ms"])
        if "started_to_healthy_ms" in x:
            row("  started -> healthy (its 1 s healthcheck)", x["started_to_healthy_ms"])
        if "reconciler_corrected_ms" in x:
            row("  reconciler log: drift seen -> pass done", x["reconciler_corrected_ms"])
    print(f"direct start: median {d['direct']['stop_to_healthy_ms']['median']:.0f} ms (goal < 3000 ms: "
          f"{'met' if d['goal_met'] else 'MISSED'}); {d['ratio']:.1f}x faster than the compose path; "
          f"what it did: {', '.join(d['direct']['actions'])}")
    print(f"passes that found nothing yet (container still stopping) before the correcting one: "
          f"{d['early_unchanged_passes']} in {2 * a.rounds} watched rounds")


if __name__ == "__main__":
    main()
