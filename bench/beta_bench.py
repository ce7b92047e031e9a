#!/usr/bin/env python3
"""beta benchmark (issue 7 item 7): publish latency per container start (median of N) and resolver
latency under a bounded loopback load (p50/p99); and (issue 13 item 6, the same-site part) the SOCKS
front's cost against a direct TCP connection to the same container in the same run: connection
set-up to a first echoed byte (median/p99 of --connects) and echo throughput (--mib MiB each way).

Needs the release build (betad, betactl, beta_probe), a running Docker engine, tor and busybox-static.
Everything it creates is named lucidbench<pid>-* and removed at the end; tor runs with DisableNetwork 1
and all traffic stays on loopback or the networks it creates.

  python3 bench/beta_bench.py [--bin build/release/bin] [--starts 10] [--requests 2000] [--concurrency 8]
                              [--connects 200] [--mib 64]
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time
import http.client

def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path); r = c.getresponse(); body = r.read(); c.close()
    return r.status, body

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk: raise OSError("connection closed")
        buf += chunk
    return buf

def socks_connect(front, onion, port, timeout=10):
    """A connection to onion:port through the SOCKS5 proxy at `front` (name sent, remote resolution)."""
    s = socket.create_connection(front, timeout=timeout)
    s.sendall(b"\x05\x01\x00")
    if recv_exact(s, 2) != b"\x05\x00": raise OSError("no method accepted")
    name = onion.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + port.to_bytes(2, "big"))
    reply = recv_exact(s, 10)
    if reply[1] != 0: raise OSError(f"SOCKS reply {reply[1]}")
    return s

def echo_round(connect):
    """Set-up to a first echoed byte, in ms."""
    t = time.perf_counter()
    s = connect()
    s.sendall(b"x")
    recv_exact(s, 1)
    d = (time.perf_counter() - t) * 1000
    s.close()
    return d

def echo_throughput(connect, mib):
    """MiB/s of `mib` MiB sent and the same echoed back, over one connection."""
    s = connect()
    block, total = os.urandom(1 << 16), mib << 20
    def send():
        for _ in range(total // len(block)): s.sendall(block)
    t = time.perf_counter()
    th = threading.Thread(target=send); th.start()
    got = 0
    while got < total:
        chunk = s.recv(1 << 20)
        if not chunk: raise OSError("echo closed early")
        got += len(chunk)
    th.join()
    d = time.perf_counter() - t
    s.close()
    return mib / d

def build_probe_image(bin_dir, tmp):
    """lucid-beta-test:e2e: FROM scratch with busybox-static and beta_probe (what the e2e suites use)."""
    ctx = os.path.join(tmp, "ctx"); os.mkdir(ctx)
    shutil.copy("/bin/busybox", os.path.join(ctx, "busybox"))
    shutil.copy(os.path.join(bin_dir, "beta_probe"), os.path.join(ctx, "probe"))
    open(os.path.join(ctx, "Dockerfile"), "w").write(
        'FROM scratch\nCOPY busybox /bin/busybox\nCOPY probe /bin/probe\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "3600"]\n')
    subprocess.run(["docker", "build", "-q", "-t", "lucid-beta-test:e2e", ctx], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_BUILDKIT": "0"})

def start_betad(bin_dir, args, log_path, admin, env=None, timeout=30):
    """betad with `args` and its admin listener on 127.0.0.1:`admin`, once /v1/health answers 200."""
    log = open(log_path, "w")
    p = subprocess.Popen([os.path.join(bin_dir, "betad"), "--admin", f"127.0.0.1:{admin}", *args], stdout=log,
                         stderr=log, env=env)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if get(admin, "/v1/health")[0] == 200: return p
        except OSError: pass
        if p.poll() is not None: break
        time.sleep(0.1)
    p.kill()
    sys.exit(f"betad did not become healthy; its log: {log_path}\n" + open(log_path).read()[-3000:])

def stop_betad(p):
    if not p: return
    p.terminate()
    try: p.wait(15)
    except subprocess.TimeoutExpired: p.kill()

def compare(connects, mib, ways):
    """Set-up to a first echoed byte (median/p99 of `connects`, alternating) and echo throughput
    (median of 3, `mib` MiB each way) for each name -> connect() of `ways`, in the same run."""
    for c in ways.values(): echo_round(c)  # warm-up (and, through tor, the circuit)
    lat = {k: [] for k in ways}
    for _ in range(connects):
        for k, c in ways.items(): lat[k].append(echo_round(c))
    tp = {k: [] for k in ways}
    for _ in range(3):
        for k, c in ways.items(): tp[k].append(echo_throughput(c, mib))
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
    med = statistics.median
    return {k: {"setup_to_first_echo_ms_median": round(med(lat[k]), 3), "setup_to_first_echo_ms_p99": round(q(lat[k], 0.99), 3),
                "echo_throughput_mib_s_median_of_3": round(med(tp[k]), 2)} for k in ways}

def start_echo(name, network, test_label):
    """A busybox echo server on `network` at port 9000, labelled as service `echo` of the ops plane."""
    sh("docker", "run", "-d", "--name", name, "--network", network, "--label", f"com.lucid.test={test_label}",
       "--label", "com.lucid.plane=ops", "--label", "com.lucid.service=echo", "--label", "com.lucid.expose=9000",
       "lucid-beta-test:e2e", "nc", "-ll", "-p", "9000", "-e", "/bin/busybox", "cat")

def wait_published(admin, service_at_plane, timeout=20):
    """(onion, virtual port) once beta's admin resolver answers for `service_at_plane`."""
    deadline = time.time() + timeout
    while True:
        st, body = get(admin, f"/v1/resolve/{service_at_plane}")
        if st == 200:
            r = json.loads(body)
            return r["onion"], r["port"]
        if time.time() > deadline: sys.exit(f"{service_at_plane} never published")
        time.sleep(0.05)

def container_ip(name):
    return sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).stdout.strip()

def network_gateway(network):
    return sh("docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", network).stdout.strip()

def socks_vs_direct(a, prefix, admin, socks_port):
    """The SOCKS front relaying a destination of this cluster (connected directly to the container)
    against a direct TCP connection to the same echo server, alternating, in the same run."""
    start_echo(f"{prefix}-echo", f"{prefix}-ops", prefix)
    onion, vport = wait_published(admin, "echo@ops")
    ip, gw = container_ip(f"{prefix}-echo"), network_gateway(f"{prefix}-ops")
    direct = lambda: socket.create_connection((ip, 9000), timeout=10)
    front = lambda: socks_connect((gw, socks_port), onion, vport)
    r = compare(a.connects, a.mib, {"direct": direct, "front": front})
    return {"connects": a.connects, "mib_each_way": a.mib, **r,
            "ratio_setup_median": round(r["front"]["setup_to_first_echo_ms_median"] / r["direct"]["setup_to_first_echo_ms_median"], 2),
            "ratio_throughput": round(r["front"]["echo_throughput_mib_s_median_of_3"] / r["direct"]["echo_throughput_mib_s_median_of_3"], 2)}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "release", "bin"))
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--connects", type=int, default=200)
    ap.add_argument("--mib", type=int, default=64)
    a = ap.parse_args()
    prefix = f"lucidbench{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="lucid-beta-bench-")
    admin = free_port()
    socks_port = free_port()
    betad = None
    try:
        build_probe_image(a.bin, tmp)
        sh("docker", "network", "create", "--label", "com.lucid.plane=ops", "--label", f"com.lucid.test={prefix}", f"{prefix}-ops")
        betad = start_betad(a.bin, ["--cluster-id", "bench", "--planes", "ops",
                                    "--key-dir", os.path.join(tmp, "keys"), "--state-dir", os.path.join(tmp, "tor"),
                                    "--socks", "127.0.0.1:auto", "--disable-network", "--scope-label", f"com.lucid.test={prefix}",
                                    "--resolver-port", str(free_port()),
                                    "--socks-port", str(socks_port), "--metrics-port", "0"], os.path.join(tmp, "betad.log"), admin)
        lat = []
        for i in range(a.starts):
            name = f"{prefix}-svc{i}"
            t0 = time.monotonic()
            sh("docker", "run", "-d", "--name", name, "--network", f"{prefix}-ops", "--label", f"com.lucid.test={prefix}",
               "--label", "com.lucid.plane=ops", "--label", f"com.lucid.service=svc{i}", "--label", "com.lucid.expose=8080",
               "lucid-beta-test:e2e")
            t_started = time.monotonic()
            while get(admin, f"/v1/resolve/svc{i}@ops")[0] != 200:
                if time.monotonic() - t0 > 20: sys.exit(f"svc{i} never published")
                time.sleep(0.005)
            t1 = time.monotonic()
            lat.append(((t1 - t0) * 1000, (t1 - t_started) * 1000))
        # Resolver under a bounded loopback load: `concurrency` threads, `requests` requests in all.
        samples, lock, left = [], threading.Lock(), [a.requests]
        def worker():
            while True:
                with lock:
                    if left[0] == 0: return
                    left[0] -= 1
                t = time.perf_counter(); st, _ = get(admin, "/v1/resolve/svc0@ops"); d = (time.perf_counter() - t) * 1000
                if st != 200: raise SystemExit(f"resolver answered {st}")
                with lock: samples.append(d)
        t0 = time.monotonic()
        ts = [threading.Thread(target=worker) for _ in range(a.concurrency)]
        for t in ts: t.start()
        for t in ts: t.join()
        wall = time.monotonic() - t0
        samples.sort()
        q = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]
        socks = socks_vs_direct(a, prefix, admin, socks_port)
        print(json.dumps({
            "socks_front_vs_direct": socks,
            "publish_latency_ms": {"starts": a.starts,
                                   "median_from_docker_run": round(statistics.median(x[0] for x in lat), 1),
                                   "median_after_docker_run_returned": round(statistics.median(x[1] for x in lat), 1),
                                   "max_from_docker_run": round(max(x[0] for x in lat), 1)},
            "resolver_latency_ms": {"requests": len(samples), "concurrency": a.concurrency,
                                    "p50": round(q(0.50), 3), "p99": round(q(0.99), 3), "max": round(samples[-1], 3),
                                    "throughput_rps": round(len(samples) / wall)}}, indent=2))
    finally:
        stop_betad(betad)
        ids = sh("docker", "ps", "-aq", "--filter", f"label=com.lucid.test={prefix}", check=False).stdout.split()
        if ids: sh("docker", "rm", "-f", *ids, check=False)
        sh("docker", "network", "rm", f"{prefix}-ops", check=False)
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
