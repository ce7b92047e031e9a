#!/usr/bin/env python3
"""Console benchmark (issue 11 item 5): `lucidctl console serve` with 1,000 clusters in the five SPEC
waves (canary, core, edge, admin, obs), polled every 5 s from SIMULATED sites.

The sites are simulated: one asyncio HTTP server (in a child process of this script) answers
/sites/<id>/status for every cluster with a status object of the shape the site reconciler serves
(src/lucid/reconcile/metrics.cc status_json: cluster, reported, ref, desired, applied, last_good,
last_good_since, bad_commits, 8 services, 10 attempts, drift corrections), last_good being the commit
of the cluster's wave. Every 50th simulated site turns one service unhealthy for 12 s of every 40 s,
so the console's history, gates (and the automatic pause of the next wave) and event stream have
work. Nothing runs on a real site, no container is started; traffic stays on loopback.

Measured, after every cluster has reported once (warm-up), in two windows (40 % and 60 % of
--duration):
- idle window (no client but the simulated sites): the console's CPU (utime+stime of
  /proc/PID/stat, and of its reaped git children) per site poll, polls counted on the simulated
  server, polls per second, bytes written to storage per poll (/proc/PID/io);
- loaded window: GET /api/v1/fleet latency (p50/p95/p99) over sequential requests and with
  --concurrency clients, its size; GET / and the page's assets; the page's data (the page, its three
  assets and the first `fleet` event of /api/v1/events, in sequence); the same-run floor, a 404 of the
  same server (p95 ratio fleet / floor);
- the cost of one fleet-view recomputation (the console's loop thread: CPU per recomputation, with
  /proc/PID/task/TID/stat sampled every 10 ms in the idle window);
- memory: VmRSS and VmHWM after the warm-up and at the end, the size of history.db;
- `lucidctl wave status --json` at 1,000 clusters with --no-poll (judged from history.db) and with
  its own poll of every site;
- the simulated server's own capacity (requests per second from 8 loopback clients before the console
  starts) and its CPU share while the console polls it, so it is seen not to be the bottleneck.

Exits non-zero when the setup fails, the console does not come up, or it lost sites (a cluster
without a fresh reachable report at the end). The goal (fleet p95 < 100 ms) is reported, not
asserted. Everything lives in a temporary directory removed at the end; every process it starts is
stopped, also on failure. Bounded by --deadline (default 290 s; --quick: 110 s).

  python3 bench/console_bench.py [--bin-dir build/release/bin] [--clusters 1000] [--duration 60]
                                 [--quick] [--json]
"""
import argparse, asyncio, http.client, json, multiprocessing, os, re, select, shutil, signal, socket, statistics, \
    subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@lucid.example",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@lucid.example"}
WAVES = [  # name, soak, share of the clusters (10/90/700/100/100 of 1,000)
    ("canary", "10m", 10), ("core", "30m", 90), ("edge", "1h", 700), ("admin", "1h", 100), ("obs", "1h", 100)]
SERVICES = ["beta", "node-worker", "recorder", "sessions-api", "sessions-manifests", "anchor", "metrics", "relay"]
FLAP_EVERY = 50          # every 50th simulated site flaps
FLAP_PERIOD, FLAP_DOWN = 40, 12  # one service unhealthy for 12 s of every 40 s
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, timeout=120, check=True, env=None, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(argv[:4])} … did not finish within {timeout} s")
    if check and p.returncode != 0:
        raise BenchError(f"{' '.join(argv[:4])} … exited {p.returncode}: {(p.stderr or p.stdout).strip()[-400:]}")
    return p


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(p * len(s)))] if s else float("nan")


def dist(samples_ms):
    return {"n": len(samples_ms), "p50": round(pct(samples_ms, 0.50), 2), "p95": round(pct(samples_ms, 0.95), 2),
            "p99": round(pct(samples_ms, 0.99), 2), "max": round(max(samples_ms), 2) if samples_ms else None}


# ---------------------------------------------------------------------------------------------------
# The config repo

def wave_split(n):
    """Clusters per wave: the 10/90/700/100/100 shares of 1,000, scaled to n (each wave at least 1)."""
    total = sum(w[2] for w in WAVES)
    counts = [max(1, n * w[2] // total) for w in WAVES]
    counts[2] += n - sum(counts)  # the rest to edge
    return counts


def make_repo(tmp, clusters, port):
    """A bare config repo: three commits on main (the oldest is the bad one some sites remember), the
    five wave refs (canary and core on the newest, the others one behind) and clusters/clusters.yaml
    with every cluster's simulated status URL. Commits are unsigned: the console reads, it does not
    verify, for the fleet view."""
    work, bare = os.path.join(tmp, "work"), os.path.join(tmp, "config.git")
    run(["git", "init", "-q", "-b", "main", work], env=GIT_ENV)
    os.makedirs(os.path.join(work, "clusters"))
    os.makedirs(os.path.join(work, "deploy"))
    lines = ["waves:"]
    for name, soak, _ in WAVES:
        lines += [f"  - name: {name}", f"    ref: refs/heads/wave/{name}", "    gates: [healthchecks]",
                  f"    soak: {soak}", "    stale_after: 2m"]
    lines.append("clusters:")
    for cid, wave in clusters:
        lines += [f"  - id: {cid}", f"    wave: {wave}", "    profiles: [node]",
                  f"    status: http://127.0.0.1:{port}/sites/{cid}/status"]
    with open(os.path.join(work, "clusters", "clusters.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    commits = []
    for i, subject in enumerate(["web 1: the first image", "web 2: a fix", "web 3: the new image"]):
        with open(os.path.join(work, "deploy", "web.yaml"), "w") as f:
            f.write(f"services:\n  web:\n    image: registry.example/web:{i + 1}\n")
        run(["git", "-C", work, "add", "-A"], env=GIT_ENV)
        run(["git", "-C", work, "commit", "-q", "-m", subject], env=GIT_ENV)
        commits.append(run(["git", "-C", work, "rev-parse", "HEAD"], env=GIT_ENV).stdout.strip())
    run(["git", "clone", "-q", "--bare", work, bare], env=GIT_ENV)
    wave_commit = {}
    for i, (name, _, _) in enumerate(WAVES):
        wave_commit[name] = commits[2] if i < 2 else commits[1]
        run(["git", "-C", bare, "update-ref", f"refs/heads/wave/{name}", wave_commit[name]], env=GIT_ENV)
    times = {c: int(run(["git", "-C", bare, "show", "-s", "--format=%ct", c], env=GIT_ENV).stdout) for c in commits}
    return bare, commits, wave_commit, times


# ---------------------------------------------------------------------------------------------------
# The SIMULATED sites: one asyncio HTTP server in a child process

def site_status_parts(index, cid, wave, commit, commits, commit_time, now):
    """One simulated site's status (status_json's shape) as text pieces around the values that change
    with every answer (`reported`, `desired_age_seconds`), for the healthy and the flapping state."""
    bad = [commits[0]] if index % 20 == 7 else []
    since = now - 3600 - (index * 37) % 86400
    attempts = []
    for k in range(10):
        started = since - k * 7200
        c = commit if k == 0 else commits[max(0, 1 - k % 2)]
        rolled = bool(bad) and k == 3
        attempts.append({"commit": commits[0] if rolled else c, "kind": "deploy" if k % 3 else "drift",
                         "started": rfc3339(started), "finished": rfc3339(started + 40 + k),
                         "outcome": "rolled-back" if rolled else "promoted",
                         "reasons": ["web: unhealthy: healthcheck exited 1"] if rolled else []})
    drift = [{"commit": commit, "kind": "drift", "started": rfc3339(since + 600 * (k + 1)),
              "finished": rfc3339(since + 600 * (k + 1) + 3), "outcome": "corrected",
              "reasons": [f"{SERVICES[k]}: stopped"]} for k in range(index % 3)]

    def services(flap):
        out = []
        for k, name in enumerate(SERVICES):
            sick = flap and k == index % len(SERVICES)
            out.append({"service": name, "container": f"{(index * 8 + k) * 2654435761 % (1 << 48):012x}",
                        "state": "running", "health": "unhealthy" if sick else ("healthy" if k != 6 else ""),
                        "config_current": True})
        return out

    parts = []
    for flap in (False, True):
        doc = {"cluster": cid, "reported": "\x00R", "ref": f"refs/heads/wave/{wave}", "desired": commit,
               "desired_committed": rfc3339(commit_time), "desired_age_seconds": "\x00A", "applied": commit,
               "last_good": commit, "last_good_since": rfc3339(since), "bad_commits": bad,
               "services": services(flap), "attempts": attempts, "drift_corrections": drift}
        text = json.dumps(doc, separators=(",", ":")) + "\n"
        a, rest = text.split('"\\u0000R"')
        b, c = rest.split('"\\u0000A"')
        parts.append((a.encode(), b.encode(), c.encode()))
    return parts


def serve_sites(sock, sites, ready):
    """The SIMULATED sites' server (child process): /sites/<id>/status, /stats (its own counters)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    counters = {"site_requests": 0, "other_requests": 0, "errors": 0}
    stamps = []  # monotonic time of every site request: poll rounds

    def body_for(cid):
        s = sites.get(cid)
        if s is None:
            return None
        now = time.time()
        flap = s["flaps"] and (int(now) + s["index"] * 7) % FLAP_PERIOD < FLAP_DOWN
        a, b, c = s["parts"][1 if flap else 0]
        return b"".join([a, b'"', rfc3339(now).encode(), b'"', b, str(int(now) - s["ctime"]).encode(), c])

    async def handle(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            status, body = 200, None
            if path.startswith("/sites/") and path.endswith("/status"):
                body = body_for(path[len("/sites/"):-len("/status")])
                counters["site_requests"] += 1
                stamps.append(time.monotonic())
            elif path.startswith("/stats"):
                counters["other_requests"] += 1
                doc = {**counters, "cpu_seconds": time.process_time()}
                if path.startswith("/stats?since="):  # the request times since then: poll rounds
                    since = float(path[len("/stats?since="):])
                    doc["stamps"] = [x for x in stamps if x >= since]
                body = json.dumps(doc).encode()
            if body is None:
                status, body = 404, b"not found\n"
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % (status, b"OK" if status == 200 else b"Not Found", len(body))
                         + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, asyncio.LimitOverrunError):
            counters["errors"] += 1
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, sock=sock, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def get(port, path, timeout=30, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def timed_get(port, path):
    t = time.perf_counter()
    status, body = get(port, path)
    return (time.perf_counter() - t) * 1000, status, len(body)


def sim_capacity(port, cids, requests=2000, clients=8):
    """Requests per second the simulated server answers to `clients` loopback clients (a lower bound:
    the clients are Python threads of this process)."""
    left, lock, errors = [requests], threading.Lock(), []

    def worker(k):
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
                i = left[0]
            st, _ = get(port, f"/sites/{cids[(i + k) % len(cids)]}/status")
            if st != 200:
                errors.append(st)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise BenchError(f"the simulated sites answered {errors[0]} during the capacity test")
    return requests / (time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------------
# The console process

def proc_cpu(pid, tid=None):
    """(utime+stime, cutime+cstime) in seconds of a process (or one of its threads)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK, (int(rest[13]) + int(rest[14])) / CLK_TCK


def proc_mem(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0]) if k == "Threads" else round(int(v.split()[0]) / 1024, 1)
    return out


def proc_write_bytes(pid):
    """Bytes the process caused to be written to storage (/proc/PID/io), or None where unreadable."""
    try:
        with open(f"/proc/{pid}/io") as f:
            return int(next(l for l in f if l.startswith("write_bytes:")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None


def threads_cpu(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[int(tid)] = proc_cpu(pid, tid)[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return out


def start_console(lucidctl, bare, cdir, key, logf, timeout):
    argv = [lucidctl, "console", "serve", "--repo", bare, "--dir", cdir, "--listen", "127.0.0.1:0",
            "--interval", "5s", "--fetch-interval", "5s"]
    if key:
        argv += ["--signing-key", key]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=logf, text=True, env=GIT_ENV)
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            line = p.stdout.readline()
            break
        if p.poll() is not None:
            break
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        return p, None
    return p, int(m.group(1))


def fleet_state(port):
    st, body = get(port, "/api/v1/fleet")
    if st != 200:
        raise BenchError(f"GET /api/v1/fleet answered {st}")
    return json.loads(body), len(body)


def clusters_of(doc):
    return [c for w in doc.get("waves", []) for c in w.get("clusters", [])]


class EventListener(threading.Thread):
    """Keeps /api/v1/events open and counts `fleet` events (the page's live stream)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.events, self.bytes, self.stop_flag, self.error = port, 0, 0, False, None

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
            tail = b""
            while not self.stop_flag:
                try:
                    chunk = s.recv(1 << 16)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                self.bytes += len(chunk)
                buf = tail + chunk
                self.events += buf.count(b"event: fleet\n") - tail.count(b"event: fleet\n")
                tail = buf[-16:]
            s.close()
        except OSError as e:
            self.error = str(e)


def first_event_ms(port):
    """Connect to /api/v1/events and read its first complete `fleet` event (what the page waits for)."""
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        buf, start = b"", -1
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                raise BenchError("the event stream ended before its first event")
            if start < 0:
                buf += chunk
                start = buf.find(b"event: fleet\ndata: ")
                if start >= 0 and buf.find(b"\n\n", start) >= 0:
                    return (time.perf_counter() - t) * 1000
                if start >= 0:
                    buf = buf[-1:]
            else:  # inside the event's data: only its end is looked for
                buf = buf[-1:] + chunk
                if buf.find(b"\n\n") >= 0:
                    return (time.perf_counter() - t) * 1000
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------------
# Measurements

def idle_window(pid, sim_port, seconds):
    """No client but the simulated sites: console CPU per poll, and the loop thread's CPU bursts."""
    s0 = json.loads(get(sim_port, "/stats")[1])
    c0, ch0 = proc_cpu(pid)
    w0 = proc_write_bytes(pid)
    t0 = time.monotonic()
    # The loop thread is found afterwards: of the threads alive at the start (main, acceptor, loop,
    # the event stream's connection), the one that worked most in the window besides the main thread.
    # Poll workers and request threads are short-lived and not sampled.
    tids = [tid for tid in threads_cpu(pid) if tid != pid]
    samples = []  # (t, {tid: cpu})
    while time.monotonic() - t0 < seconds:
        time.sleep(0.01)
        now_cpu = {}
        for tid in tids:
            try:
                now_cpu[tid] = proc_cpu(pid, tid)[0]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
        samples.append((time.monotonic(), now_cpu))
    wall = time.monotonic() - t0
    c1, ch1 = proc_cpu(pid)
    w1 = proc_write_bytes(pid)
    s1 = json.loads(get(sim_port, f"/stats?since={t0 - 0.1}")[1])
    polls = s1["site_requests"] - s0["site_requests"]
    stamps = s1["stamps"]
    # Poll rounds: site requests separated by more than a second of silence.
    rounds, start, last = [], None, None
    for x in stamps:
        if start is None or x - last > 1.0:
            if start is not None:
                rounds.append((start, last))
            start = x
        last = x
    if start is not None:
        rounds.append((start, last))
    # The loop thread's CPU outside the poll rounds (and 0.6 s after each, where the round's own
    # recomputation runs): recomputations of the fleet view after a fetch, with the re-read of
    # clusters.yaml.
    gains = {tid: samples[-1][1].get(tid, 0) - samples[0][1].get(tid, 0) for tid in tids} if samples else {}
    loop_tid = max(gains, key=gains.get) if gains else None
    series = [(t, c[loop_tid]) for t, c in samples if loop_tid in c]
    # A burst: busy samples less than 0.3 s apart (the thread may wait for a core or a git child
    # between its parts).
    busy_outside, bursts, burst, last_busy = 0.0, [], 0.0, None
    for (_, c_prev), (t, c) in zip(series, series[1:]):
        d = c - c_prev
        if d <= 0 or any(a - 0.3 <= t <= b + 0.6 for a, b in rounds):
            continue
        if last_busy is not None and t - last_busy > 0.3:
            bursts.append(burst)
            burst = 0.0
        busy_outside += d
        burst += d
        last_busy = t
    if burst > 0:
        bursts.append(burst)
    loop_cpu = gains.get(loop_tid, 0.0)
    sim_cpu = s1["cpu_seconds"] - s0["cpu_seconds"]
    return {"seconds": round(wall, 1), "polls": polls, "polls_per_second": round(polls / wall, 1),
            "console_cpu_seconds": round(c1 - c0, 2), "console_children_cpu_seconds": round(ch1 - ch0, 2),
            "console_cpu_share_of_a_core": round((c1 - c0) / wall, 3),
            "cpu_us_per_poll": round((c1 - c0) / polls * 1e6) if polls else None,
            "cpu_us_per_poll_with_git_children": round((c1 - c0 + ch1 - ch0) / polls * 1e6) if polls else None,
            "written_bytes_per_poll": round((w1 - w0) / polls) if polls and w0 is not None and w1 is not None else None,
            "rounds": len(rounds), "round_seconds": [round(b - a, 2) for a, b in rounds],
            "loop_thread_cpu_seconds": round(loop_cpu, 2),
            "loop_thread_cpu_outside_rounds_seconds": round(busy_outside, 2),
            "recompute_bursts_ms": [round(b * 1000) for b in bursts],
            "recompute_ms_median": round(statistics.median(bursts) * 1000) if bursts else None,
            "poll_workers_cpu_us_per_poll": round((c1 - c0 - loop_cpu) / polls * 1e6) if polls else None,
            "sim_cpu_share_of_a_core": round(sim_cpu / wall, 3),
            "sim_errors": s1["errors"] - s0["errors"]}


def loaded_window(port, seconds, sequential, concurrency):
    out = {}
    t_end = time.monotonic() + seconds
    fleet, floor, fleet_size = [], [], 0
    page = {"/": [], "/assets/app.js": [], "/assets/app.css": [], "/assets/favicon.svg": []}
    # Sequential: fleet and the floor (a 404 of the same server) interleaved, with the page and its
    # assets every few rounds; a short pause so that the client does not take a core for itself.
    i = 0
    while i < sequential and time.monotonic() < t_end - seconds * 0.4:
        ms, st, size = timed_get(port, "/api/v1/fleet")
        if st != 200:
            raise BenchError(f"GET /api/v1/fleet answered {st}")
        fleet.append(ms)
        fleet_size = size
        ms, st, _ = timed_get(port, "/no-such-page")
        if st != 404:
            raise BenchError(f"GET /no-such-page answered {st}, not 404")
        floor.append(ms)
        if i % 5 == 0:
            for path in page:
                ms, st, _ = timed_get(port, path)
                if st != 200:
                    raise BenchError(f"GET {path} answered {st}")
                page[path].append(ms)
        i += 1
        time.sleep(0.02)
    out["fleet_sequential_ms"] = dist(fleet)
    out["floor_404_ms"] = dist(floor)
    out["fleet_bytes"] = fleet_size
    out["page_ms"] = {p: dist(v) for p, v in page.items()}
    # Concurrent: `concurrency` clients asking for the fleet back to back.
    conc, lock, stop_at = [], threading.Lock(), min(t_end - seconds * 0.15, time.monotonic() + seconds * 0.3)
    errors = []

    def client():
        while time.monotonic() < stop_at:
            ms, st, _ = timed_get(port, "/api/v1/fleet")
            if st != 200:
                errors.append(st)
                return
            with lock:
                conc.append(ms)

    t0 = time.monotonic()
    ts = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise BenchError(f"GET /api/v1/fleet answered {errors[0]} under {concurrency} clients")
    out["fleet_concurrent_ms"] = {**dist(conc), "clients": concurrency,
                                  "requests_per_second": round(len(conc) / (time.monotonic() - t0), 1)}
    # The page's data as a browser gets it: the page, its assets, then the first `fleet` event.
    loads, first = [], []
    while len(loads) < 10 and time.monotonic() < t_end:
        t = time.perf_counter()
        for path in page:
            get(port, path)
        first.append(first_event_ms(port))
        loads.append((time.perf_counter() - t) * 1000)
        time.sleep(0.05)
    out["first_fleet_event_ms"] = dist(first)
    out["page_data_ms"] = dist(loads)
    return out


def cli_status(lucidctl, bare, cdir, poll, runs, n):
    times = []
    for _ in range(runs):
        argv = [lucidctl, "wave", "status", "--repo", bare, "--console-dir", cdir, "--json"] + ([] if poll else ["--no-poll"])
        t = time.perf_counter()
        p = run(argv, timeout=120, check=False, env=GIT_ENV)
        ms = (time.perf_counter() - t) * 1000
        if p.returncode != 0:
            raise BenchError(f"lucidctl wave status{'' if poll else ' --no-poll'} exited {p.returncode}: "
                             f"{p.stderr.strip()[-300:]}")
        got = len(clusters_of(json.loads(p.stdout)))
        if got != n:
            raise BenchError(f"lucidctl wave status shows {got} clusters, not {n}")
        times.append(ms)
    return {"runs": runs, "median_ms": round(statistics.median(times)), "min_ms": round(min(times)),
            "max_ms": round(max(times))}


def on_signal(signum, frame):
    raise BenchError("--deadline reached" if signum == signal.SIGALRM else "terminated")


def stop(p, timeout=15):
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def bench(a, lucidctl, tmp, procs):
    n = a.clusters
    counts = wave_split(n)
    clusters, k = [], 0
    for (wave, _, _), c in zip(WAVES, counts):
        for _ in range(c):
            clusters.append((f"site-{k:04d}", wave))
            k += 1
    # The simulated sites' socket first: its port goes into clusters.yaml.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sim_port = sock.getsockname()[1]
    bare, commits, wave_commit, ctimes = make_repo(tmp, clusters, sim_port)
    now = int(time.time())
    sites = {}
    for i, (cid, wave) in enumerate(clusters):
        c = wave_commit[wave]
        sites[cid] = {"index": i, "flaps": i % FLAP_EVERY == 3, "ctime": ctimes[c],
                      "parts": site_status_parts(i, cid, wave, c, commits, ctimes[c], now)}
    ready = multiprocessing.get_context("fork").Event()
    sim = multiprocessing.get_context("fork").Process(target=serve_sites, args=(sock, sites, ready), daemon=True)
    sim.start()
    procs.append(sim)
    sock.close()
    if not ready.wait(20):
        raise BenchError("the simulated sites' server did not start")
    example = get(sim_port, f"/sites/{clusters[0][0]}/status")[1]
    log(f"simulated sites: {n} on 127.0.0.1:{sim_port} ({len(example)} bytes a status; "
        f"{sum(1 for s in sites.values() if s['flaps'])} flap)")
    capacity = sim_capacity(sim_port, [c for c, _ in clusters], requests=1000 if a.quick else 2000)
    log(f"simulated sites' server: {capacity:.0f} requests/s to 8 loopback clients")

    key = ""
    if shutil.which("ssh-keygen"):  # signs the automatic pauses that flapping sites cause
        key = os.path.join(tmp, "signing_key")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench@lucid", "-f", key])
    cdir = os.path.join(tmp, "console")
    logf = open(os.path.join(tmp, "console.log"), "w")
    t_start = time.monotonic()
    console, port = start_console(lucidctl, bare, cdir, key, logf, timeout=90)
    procs.append(console)
    if port is None:
        logf.flush()
        raise BenchError("the console did not come up: " + open(os.path.join(tmp, "console.log")).read()[-600:])
    up_s = time.monotonic() - t_start
    log(f"console: http://127.0.0.1:{port}/ up in {up_s:.1f} s (pid {console.pid})")
    # Warm-up: every cluster has a report.
    deadline = time.monotonic() + 60
    while True:
        doc, _ = fleet_state(port)
        cl = clusters_of(doc)
        missing = [c["id"] for c in cl if c.get("report_age_seconds", -1) < 0]
        if len(cl) == n and not missing:
            break
        if time.monotonic() > deadline:
            raise BenchError(f"after 60 s, {len(missing) if len(cl) == n else n - len(cl)} of {n} clusters have "
                             f"no report (e.g. {missing[:3]})")
        time.sleep(0.5)
    warm_s = time.monotonic() - t_start
    mem_warm = proc_mem(console.pid)
    log(f"every cluster reported {warm_s:.1f} s after the start; VmRSS {mem_warm['VmRSS']} MiB")

    idle_s = a.duration * 0.4
    listener = EventListener(port)
    listener.start()
    log(f"idle window: {idle_s:.0f} s (console polling the simulated sites, no other client)")
    idle = idle_window(console.pid, sim_port, idle_s)
    log(f"loaded window: {a.duration - idle_s:.0f} s (fleet, page, floor; {a.concurrency} concurrent clients)")
    loaded = loaded_window(port, a.duration - idle_s, a.requests, a.concurrency)
    listener.stop_flag = True
    mem_end = proc_mem(console.pid)
    db = os.path.join(cdir, "history.db")
    db_bytes = {k: os.path.getsize(db + s) if os.path.exists(db + s) else 0 for k, s in (("db", ""), ("wal", "-wal"))}
    # Lost sites: every cluster must have a fresh, reachable report.
    doc, _ = fleet_state(port)
    cl = clusters_of(doc)
    lost = [c["id"] for c in cl if not c.get("reachable") or not 0 <= c.get("report_age_seconds", -1) <= 30]
    paused = [w["name"] for w in doc["waves"] if w.get("paused")]
    console_state = doc.get("console", {})
    log("lucidctl wave status at the same console directory")
    runs = 2 if a.quick else 3
    cli_nopoll = cli_status(lucidctl, bare, cdir, False, runs, n)
    cli_poll = cli_status(lucidctl, bare, cdir, True, runs, n)
    sim_stats = json.loads(get(sim_port, "/stats")[1])
    alive = console.poll() is None
    stop(console)
    result = {
        "clusters": n, "waves": dict(zip([w[0] for w in WAVES], counts)), "poll_interval_seconds": 5,
        "simulated_sites": {"port": sim_port, "status_bytes": len(example),
                            "flapping": sum(1 for s in sites.values() if s["flaps"]),
                            "capacity_requests_per_second": round(capacity),
                            "cpu_share_of_a_core_while_polled": idle["sim_cpu_share_of_a_core"],
                            "errors": sim_stats["errors"]},
        "console_up_seconds": round(up_s, 1), "all_reported_seconds": round(warm_s, 1),
        "idle": idle, "loaded": loaded,
        "fleet_p95_over_floor_p95": round(loaded["fleet_sequential_ms"]["p95"] / loaded["floor_404_ms"]["p95"], 1),
        "goal_fleet_p95_under_100ms": loaded["fleet_sequential_ms"]["p95"] < 100,
        "memory_mib": {"after_warmup": mem_warm, "end": mem_end}, "history_db_bytes": db_bytes,
        "events": {"fleet_events": listener.events, "bytes": listener.bytes, "error": listener.error},
        "auto_paused_waves": paused, "console_errors": {k: v for k, v in console_state.items() if k.endswith("_error") and v},
        "cli_wave_status_no_poll": cli_nopoll, "cli_wave_status_poll": cli_poll,
        "lost_sites": lost, "console_alive_at_end": alive,
        "load_average": open("/proc/loadavg").read().split()[:3],
    }
    return result


def print_table(r):
    L, I = r["loaded"], r["idle"]
    row = lambda name, d: print(f"  {name:44} {d['p50']:8.2f} {d['p95']:8.2f} {d['p99']:8.2f} {d['max']:8.2f}  (n={d['n']})")
    print(f"console with {r['clusters']} SIMULATED sites in 5 waves {r['waves']}, polled every 5 s; "
          f"load average at the end {' '.join(r['load_average'])}")
    print(f"  console up in {r['console_up_seconds']} s; every cluster reported {r['all_reported_seconds']} s after the start")
    print(f"  {'latency (ms)':44} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    row(f"GET /api/v1/fleet, sequential ({L['fleet_bytes'] / 1e6:.2f} MB)", L["fleet_sequential_ms"])
    row(f"GET /api/v1/fleet, {L['fleet_concurrent_ms']['clients']} concurrent clients", L["fleet_concurrent_ms"])
    row("GET /no-such-page (404: the same-run floor)", L["floor_404_ms"])
    for p, d in L["page_ms"].items():
        row(f"GET {p}", d)
    row("first `fleet` event of /api/v1/events", L["first_fleet_event_ms"])
    row("page data: page + 3 assets + first event", L["page_data_ms"])
    p95 = L["fleet_sequential_ms"]["p95"]
    print(f"  fleet p95 / floor p95: {r['fleet_p95_over_floor_p95']}x; goal fleet p95 < 100 ms: "
          f"{'met' if r['goal_fleet_p95_under_100ms'] else 'MISSED'} ({p95:.1f} ms); "
          f"{L['fleet_concurrent_ms']['requests_per_second']} fleet requests/s with "
          f"{L['fleet_concurrent_ms']['clients']} clients")
    print(f"  polling ({I['seconds']} s without clients): {I['polls']} polls, {I['polls_per_second']} polls/s, "
          f"console CPU {I['console_cpu_seconds']} s = {I['cpu_us_per_poll']} us per poll "
          f"({I['console_cpu_share_of_a_core'] * 100:.0f} % of a core); with its git children "
          f"{I['console_children_cpu_seconds']} s more: {I['cpu_us_per_poll_with_git_children']} us per poll")
    print(f"  poll rounds of all sites: {I['rounds']}, each {I['round_seconds']} s; loop thread CPU "
          f"{I['loop_thread_cpu_seconds']} s, of it outside poll rounds {I['loop_thread_cpu_outside_rounds_seconds']} s "
          f"(recomputation bursts, ms: {I['recompute_bursts_ms'][:12]}; median {I['recompute_ms_median']})")
    print(f"  of the CPU per poll, {I['poll_workers_cpu_us_per_poll']} us is outside the loop thread (HTTP GET and "
          f"JSON parse in the poll workers); the rest is history writes and recomputations")
    m0, m1 = r["memory_mib"]["after_warmup"], r["memory_mib"]["end"]
    print(f"  memory: VmRSS {m0['VmRSS']} MiB after warm-up, {m1['VmRSS']} MiB at the end; VmHWM {m1['VmHWM']} MiB; "
          f"history.db {r['history_db_bytes']['db'] / 1e6:.2f} MB (+ WAL {r['history_db_bytes']['wal'] / 1e6:.2f} MB); "
          f"written to storage per poll: {I['written_bytes_per_poll']} bytes")
    s = r["simulated_sites"]
    print(f"  simulated sites' server: {s['capacity_requests_per_second']} req/s capacity (8 clients), "
          f"{s['cpu_share_of_a_core_while_polled'] * 100:.0f} % of a core while polled, {s['errors']} errors; "
          f"{s['flapping']} flapping sites; status {s['status_bytes']} bytes")
    print(f"  event stream: {r['events']['fleet_events']} `fleet` events ({r['events']['bytes'] / 1e6:.1f} MB) "
          f"over the windows; automatically paused waves: {r['auto_paused_waves'] or 'none'}")
    for name, k in (("lucidctl wave status --no-poll --json", "cli_wave_status_no_poll"),
                    ("lucidctl wave status --json (polls every site)", "cli_wave_status_poll")):
        c = r[k]
        print(f"  {name:48} median {c['median_ms']} ms (min {c['min_ms']}, max {c['max_ms']}, {c['runs']} runs)")
    if r["console_errors"]:
        print(f"  console errors: {r['console_errors']}")
    print(f"  lost sites: {len(r['lost_sites'])}" + (f" (e.g. {r['lost_sites'][:5]})" if r["lost_sites"] else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "release", "bin"))
    ap.add_argument("--clusters", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=None, help="measuring time, seconds (default 60; --quick 20)")
    ap.add_argument("--requests", type=int, default=300, help="sequential fleet requests at most (default 300)")
    ap.add_argument("--concurrency", type=int, default=4, help="concurrent fleet clients (default 4)")
    ap.add_argument("--quick", action="store_true", help="a shorter run (about 20 s of measuring)")
    ap.add_argument("--deadline", type=int, default=None, help="bound on the whole run, seconds (290; --quick 110)")
    ap.add_argument("--keep-dir", action="store_true", help="keep the temporary directory (console.log, history.db)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    a = ap.parse_args()
    a.duration = a.duration or (20 if a.quick else 60)
    a.deadline = a.deadline or (110 if a.quick else 290)
    if a.clusters < 5 or a.duration < 5:
        sys.exit("--clusters must be at least 5, --duration at least 5")
    lucidctl = os.path.abspath(os.path.join(a.bin_dir, "lucidctl"))
    if not os.access(lucidctl, os.X_OK):
        sys.exit(f"{lucidctl} not found (build it, or give --bin-dir)")
    if not shutil.which("git"):
        sys.exit("git not found")
    tmp = tempfile.mkdtemp(prefix="lucid-console-bench-")
    procs = []
    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(a.deadline)
    failed = None
    try:
        result = bench(a, lucidctl, tmp, procs)
    except BenchError as e:
        failed = str(e)
    finally:
        signal.alarm(0)
        for p in reversed(procs):
            if isinstance(p, subprocess.Popen):
                stop(p)
            elif p.is_alive():
                p.terminate()
                p.join(5)
        if a.keep_dir:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        sys.exit(f"console_bench: {failed}")
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    if result["lost_sites"] or not result["console_alive_at_end"]:
        sys.exit(f"console_bench: {len(result['lost_sites'])} site(s) lost"
                 + ("" if result["console_alive_at_end"] else "; the console exited during the run"))


if __name__ == "__main__":
    main()
