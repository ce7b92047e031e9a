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

def socks_connect(front, onion, port):
    """A connection to onion:port through the SOCKS5 front at `front` (name sent, remote resolution)."""
    s = socket.create_connection(front, timeout=10)
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

def socks_vs_direct(a, prefix, admin, socks_port):
    """The SOCKS front relaying a destination of this cluster (connected directly to the container)
    against a direct TCP connection to the same echo server, alternating, in the same run."""
    sh("docker", "run", "-d", "--name", f"{prefix}-echo", "--network", f"{prefix}-ops", "--label", f"com.lucid.test={prefix}",
       "--label", "com.lucid.plane=ops", "--label", "com.lucid.service=echo", "--label", "com.lucid.expose=9000",
       "lucid-beta-test:e2e", "nc", "-ll", "-p", "9000", "-e", "/bin/busybox", "cat")
    deadline = time.time() + 20
    while True:
        st, body = get(admin, "/v1/resolve/echo@ops")
        if st == 200: break
        if time.time() > deadline: sys.exit("echo never published")
        time.sleep(0.05)
    r = json.loads(body)
    onion, vport = r["onion"], r["port"]
    ip = sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", f"{prefix}-echo").stdout.strip()
    gw = sh("docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", f"{prefix}-ops").stdout.strip()
    direct = lambda: socket.create_connection((ip, 9000), timeout=10)
    front = lambda: socks_connect((gw, socks_port), onion, vport)
    for c in (direct, front): echo_round(c)  # warm-up
    d_lat, f_lat = [], []
    for _ in range(a.connects):
        d_lat.append(echo_round(direct)); f_lat.append(echo_round(front))
    d_tp, f_tp = [], []
    for _ in range(3):
        d_tp.append(echo_throughput(direct, a.mib)); f_tp.append(echo_throughput(front, a.mib))
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
    med = statistics.median
    return {"connects": a.connects, "mib_each_way": a.mib,
            "setup_to_first_echo_ms": {"direct_median": round(med(d_lat), 3), "front_median": round(med(f_lat), 3),
                                       "direct_p99": round(q(d_lat, 0.99), 3), "front_p99": round(q(f_lat, 0.99), 3),
                                       "ratio_median": round(med(f_lat) / med(d_lat), 2)},
            "echo_throughput_mib_s": {"direct_median_of_3": round(med(d_tp), 1), "front_median_of_3": round(med(f_tp), 1),
                                      "ratio": round(med(f_tp) / med(d_tp), 2)}}

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
        ctx = os.path.join(tmp, "ctx"); os.mkdir(ctx)
        shutil.copy("/bin/busybox", os.path.join(ctx, "busybox"))
        shutil.copy(os.path.join(a.bin, "beta_probe"), os.path.join(ctx, "probe"))
        open(os.path.join(ctx, "Dockerfile"), "w").write(
            'FROM scratch\nCOPY busybox /bin/busybox\nCOPY probe /bin/probe\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "3600"]\n')
        subprocess.run(["docker", "build", "-q", "-t", "lucid-beta-test:e2e", ctx], check=True, capture_output=True,
                       env={**os.environ, "DOCKER_BUILDKIT": "0"})
        sh("docker", "network", "create", "--label", "com.lucid.plane=ops", "--label", f"com.lucid.test={prefix}", f"{prefix}-ops")
        log = open(os.path.join(tmp, "betad.log"), "w")
        betad = subprocess.Popen([os.path.join(a.bin, "betad"), "--cluster-id", "bench", "--planes", "ops",
                                  "--key-dir", os.path.join(tmp, "keys"), "--state-dir", os.path.join(tmp, "tor"),
                                  "--socks", "127.0.0.1:auto", "--disable-network", "--scope-label", f"com.lucid.test={prefix}",
                                  "--admin", f"127.0.0.1:{admin}", "--resolver-port", str(free_port()),
                                  "--socks-port", str(socks_port), "--metrics-port", "0"], stdout=log, stderr=log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if get(admin, "/v1/health")[0] == 200: break
            except OSError: pass
            time.sleep(0.1)
        else:
            sys.exit("betad did not become healthy")
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
        if betad:
            betad.terminate()
            try: betad.wait(15)
            except subprocess.TimeoutExpired: betad.kill()
        ids = sh("docker", "ps", "-aq", "--filter", f"label=com.lucid.test={prefix}", check=False).stdout.split()
        if ids: sh("docker", "rm", "-f", *ids, check=False)
        sh("docker", "network", "rm", f"{prefix}-ops", check=False)
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
