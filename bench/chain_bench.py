#!/usr/bin/env python3
"""Data chain benchmark (issue 14): anchoring throughput of three validators against the physical
limit of their etcd cluster, measured in the same run on the same cluster.

Starts a 3-member etcd cluster (/usr/bin/etcd on free loopback ports, scratch data dirs, heartbeat
100 ms / election 1000 ms, as the tests and the deployment run it) and, for each block interval
(--intervals, default 100 and 20 ms), three `lucid-blockchain-core serve` validators of a new chain
on it (validator i talks to member i first). Then, per interval:

1. Physical limit, right before the chain run (and the first figure again right after it; the
   ratio uses their mean): --count puts of a 1 KiB value (the shape of the pending-queue write)
   through etcd's JSON gateway (POST /v3/kv/put, base64 key and value) by --clients threads, each
   on its own member, keep-alive connections (and once more with a new connection per put, as the
   validators' libcurl client does); 500 deletes of those keys one after the other by one client
   (how the proposer clears an ordered block's transactions); and --block-puts transactions of one
   block-sized value (500 x 1 KiB) with the proposer's compare (version == 0), one client.
2. The chain: --count Ed25519-signed AnchorRegistry.anchor transactions of one sender (nonces
   0..N-1, distinct session ids, made by bench/gen_anchor_txs before the clock starts) POSTed to the
   validators' /v1/transactions (round robin) by --clients threads; /v1/status of all three polled
   every 50 ms and every block read once. Anchors/s = N / (first submit -> every transaction in a
   block that all three validators call final); submit -> final latency p50/p95 over all N (at the
   50 ms polling resolution). Checked afterwards: every nonce in exactly one block, every receipt
   successful and final on all three (GET /v1/transactions/<hash>), one block hash and state root at
   the final height, no incident, nothing halted. A transaction that never becomes final, a
   duplicate, a failed receipt or a crash ends the run with the evidence (exit 1).

The ratio printed is chain anchors/s / raw etcd puts/s. The chain writes at least two keys per
anchor (its pending put and, once ordered, its delete) plus its share of the block put and three
votes, so a chain that used etcd perfectly would reach about 0.5. CPU seconds of the etcd members,
the validators and this script over each phase are printed too: on this 2-core machine they share
the cores, so they say where the time goes. Figures are noisy (+-10-20 % between runs).

  python3 bench/chain_bench.py [--bin build/release/bin] [--count 2000] [--clients 4]
                               [--intervals 100,20] [--quick] [--deadline 900] [--keep-logs] [--json]
"""
import argparse, base64, ctypes, http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, \
    threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.05


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_ports(n):
    """n distinct free loopback ports (held open together so that none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_call(port, method, path, body=None, timeout=10, conn=None):
    """(status, parsed JSON or None). With `conn`, reuses that keep-alive connection."""
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
    finally:
        if own:
            c.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, None


def cpu_seconds(pid):
    """utime + stime of a live process, seconds (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def self_cpu():
    t = os.times()
    return t.user + t.system


def load_average():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))]


class Procs:
    """Every process the bench starts, stopped (TERM, then KILL) at the end, also on failure."""

    def __init__(self):
        self.items = []  # (name, Popen, log file)

    @staticmethod
    def _die_with_parent():
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: nothing outlives a killed bench

    def start(self, name, argv, log_path):
        f = open(log_path, "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=self._die_with_parent)
        self.items.append((name, p, f))
        return p

    def stop(self, procs=None):
        chosen = [x for x in self.items if procs is None or x[1] in procs]
        for _, p, _ in chosen:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p, f in chosen:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            f.close()
        self.items = [x for x in self.items if x not in chosen]


def tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------------------- etcd

def start_etcd(procs, tmp):
    ports = free_ports(6)
    members = [{"name": f"m{i}", "client": ports[2 * i], "peer": ports[2 * i + 1],
                "dir": os.path.join(tmp, f"m{i}.data"), "log": os.path.join(tmp, f"m{i}.log")} for i in range(3)]
    cluster = ",".join(f"{m['name']}=http://127.0.0.1:{m['peer']}" for m in members)
    token = f"lucid-chain-bench-{os.getpid()}"
    for m in members:
        url = f"http://127.0.0.1:{m['client']}"
        peer = f"http://127.0.0.1:{m['peer']}"
        m["proc"] = procs.start(m["name"], [
            "/usr/bin/etcd", "--name", m["name"], "--data-dir", m["dir"],
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
            "--heartbeat-interval", "100", "--election-timeout", "1000",
            "--logger", "zap", "--log-outputs", "stderr"], m["log"])
    deadline = time.monotonic() + 30
    for m in members:
        while True:
            if m["proc"].poll() is not None:
                raise BenchError(f"etcd {m['name']} exited {m['proc'].returncode}:\n{tail(m['log'])}")
            try:
                st, body = http_call(m["client"], "GET", "/health", timeout=2)
                if st == 200 and body and body.get("health") == "true":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"etcd {m['name']} not healthy within 30 s:\n{tail(m['log'])}")
            time.sleep(0.1)
    return members


def b64(data):
    return base64.b64encode(data).decode()


def raw_puts(members, count, clients, tag, value_size=1024, keep_alive=True):
    """`count` puts of a `value_size` value by `clients` threads, thread j on member j % 3: puts/s."""
    value = b64(b64(os.urandom(value_size))[:value_size].encode())  # value_size bytes of random text
    bodies = [json.dumps({"key": b64(f"/bench-raw/{tag}/{i:08d}".encode()), "value": value}) for i in range(count)]
    next_i, lock, errors = [0], threading.Lock(), []

    def worker(j):
        port = members[j % len(members)]["client"]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10) if keep_alive else None
        try:
            while True:
                with lock:
                    i = next_i[0]
                    next_i[0] += 1
                if i >= count:
                    return
                st, body = http_call(port, "POST", "/v3/kv/put", bodies[i], conn=conn)
                if st != 200:
                    errors.append(f"put {i}: HTTP {st} {body}")
                    return
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"put: {e}")
        finally:
            if conn:
                conn.close()

    threads = [threading.Thread(target=worker, args=(j,)) for j in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise BenchError(f"raw etcd puts failed: {errors[0]}")
    return count / dt


def sequential_deletes(members, count, tag):
    """Deletes of `count` keys raw_puts wrote, one after the other by one client on member 0 with a new
    connection each: the proposer's pattern when it clears an ordered block's transactions: deletes/s."""
    port = members[0]["client"]
    t0 = time.perf_counter()
    for i in range(count):
        st, body = http_call(port, "POST", "/v3/kv/deleterange",
                             json.dumps({"key": b64(f"/bench-raw/{tag}/{i:08d}".encode())}))
        if st != 200 or (body or {}).get("deleted") != "1":
            raise BenchError(f"delete {i}: HTTP {st} {body}")
    return count / (time.perf_counter() - t0)


def block_puts(members, count, tag, txs=500, tx_size=1024):
    """`count` etcd transactions, each `put(key) if version(key) == 0` of one block-sized value (txs
    x tx_size bytes), one after the other through member 0, as the proposer orders a block: txn/s."""
    value = b64(b64(os.urandom(txs * tx_size))[:txs * tx_size].encode())
    conn = http.client.HTTPConnection("127.0.0.1", members[0]["client"], timeout=30)
    t0 = time.perf_counter()
    try:
        for i in range(count):
            key = b64(f"/bench-raw/{tag}/block/{i:08d}".encode())
            body = json.dumps({"compare": [{"key": key, "target": "VERSION", "result": "EQUAL", "version": "0"}],
                               "success": [{"request_put": {"key": key, "value": value}}]})
            st, answer = http_call(members[0]["client"], "POST", "/v3/kv/txn", body, conn=conn)
            if st != 200 or not (answer or {}).get("succeeded"):
                raise BenchError(f"block-sized txn {i}: HTTP {st} {str(answer)[:200]}")
    finally:
        conn.close()
    return count / (time.perf_counter() - t0)


# ------------------------------------------------------------------------------------------ validators

def start_validators(procs, tmp, bin_dir, members, chain_id, interval_ms):
    core = os.path.join(bin_dir, "lucid-blockchain-core")
    d = os.path.join(tmp, chain_id)
    os.makedirs(d)
    keys, pubs = [], []
    for i in range(3):
        key = os.path.join(d, f"v{i}.key")
        p = subprocess.run([core, "keygen", "--out", key], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise BenchError(f"keygen: {p.stderr.strip()}")
        keys.append(key)
        pubs.append(p.stdout.strip())
    genesis = os.path.join(d, "genesis.json")
    argv = [core, "genesis", "--chain-id", chain_id, "--out", genesis]
    for pub in pubs:
        argv += ["--validator", pub]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise BenchError(f"genesis: {p.stderr.strip()}")
    ports = free_ports(3)
    urls = [f"http://127.0.0.1:{m['client']}" for m in members]
    validators = []
    for i in range(3):
        endpoints = ",".join(urls[i:] + urls[:i])  # its own member first, as deployed
        log_path = os.path.join(d, f"v{i}.log")
        proc = procs.start(f"v{i}", [core, "serve", "--genesis", genesis, "--key", keys[i], "--etcd", endpoints,
                                     "--listen", f"127.0.0.1:{ports[i]}", "--block-interval-ms", str(interval_ms)],
                           log_path)
        validators.append({"name": f"v{i}", "port": ports[i], "proc": proc, "log": log_path, "key": pubs[i]})
    deadline = time.monotonic() + 30
    while True:
        alive_check(validators)
        try:
            statuses = [http_call(v["port"], "GET", "/v1/status", timeout=2)[1] or {} for v in validators]
            healthy = all(http_call(v["port"], "GET", "/health", timeout=2)[0] == 200 for v in validators)
        except OSError:
            statuses, healthy = [], False
        if healthy and any(s.get("proposer") for s in statuses):
            return validators
        if time.monotonic() > deadline:
            raise BenchError(f"validators not healthy with a proposer within 30 s: {statuses}\n{tail(validators[0]['log'])}")
        time.sleep(0.1)


def alive_check(validators):
    for v in validators:
        if v["proc"].poll() is not None:
            raise BenchError(f"validator {v['name']} exited {v['proc'].returncode} (crash); its log ends:\n"
                             f"{tail(v['log'])}")


def make_transactions(bin_dir, chain_id, count):
    p = subprocess.run([os.path.join(bin_dir, "gen_anchor_txs"), "--chain-id", chain_id, "--count", str(count)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise BenchError(f"gen_anchor_txs: {p.stderr.strip()}")
    txs = [json.loads(line) for line in p.stdout.splitlines()]
    if len(txs) != count:
        raise BenchError(f"gen_anchor_txs printed {len(txs)} transactions, not {count}")
    return txs


def chain_run(validators, members, txs, clients, final_timeout):
    n = len(txs)
    bodies = [json.dumps(t["transaction"]) for t in txs]
    submitted = [None] * n  # monotonic time each POST started
    errors, lock, next_i = [], threading.Lock(), [0]
    timeline = []  # (t, [final_height per validator], [height per validator])
    blocks = {}  # height -> (time read, [nonces of our sender], tx count)
    sender = txs[0]["transaction"]["from"]
    stop = threading.Event()

    def submitter(j):
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= n:
                return
            v = validators[i % 3]
            submitted[i] = time.monotonic()
            for attempt in range(3):
                try:
                    st, body = http_call(v["port"], "POST", "/v1/transactions", bodies[i], timeout=10)
                except OSError as e:
                    st, body = 0, str(e)
                if st == 202:
                    break
                if attempt == 2 or st not in (0, 503):
                    errors.append(f"nonce {i} to {v['name']}: HTTP {st} {body}")
                    break
                time.sleep(0.05)

    def poller():
        while not stop.is_set():
            t = time.monotonic()
            finals, heights = [], []
            for v in validators:
                try:
                    st, body = http_call(v["port"], "GET", "/v1/status", timeout=5)
                except OSError:
                    st, body = 0, None
                body = body or {}
                finals.append(body.get("final_height", -1))
                heights.append(body.get("height", -1))
            timeline.append((t, finals, heights))
            stop.wait(POLL_S)

    def reader():
        """Every block from validator 0, once: which nonces of our sender it holds."""
        h = 1
        while not stop.is_set():
            head = timeline[-1][2][0] if timeline else 0
            if h > head:
                stop.wait(POLL_S)
                continue
            try:
                st, body = http_call(validators[0]["port"], "GET", f"/v1/blocks/{h}", timeout=10)
            except OSError:
                stop.wait(POLL_S)
                continue
            if st != 200:
                stop.wait(POLL_S)
                continue
            b = body["block"]
            blocks[h] = (b["header"]["time_ms"], [t["nonce"] for t in b["transactions"] if t["from"] == sender],
                         len(b["transactions"]))
            h += 1

    cpu0 = {p["name"]: cpu_seconds(p["proc"].pid) for p in members + validators}
    self0 = self_cpu()
    load_before = load_average()
    threads = [threading.Thread(target=poller), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    subs = [threading.Thread(target=submitter, args=(j,)) for j in range(clients)]
    t_start = time.monotonic()
    for t in subs:
        t.start()
    for t in subs:
        t.join()
    t_submitted = time.monotonic()
    try:
        if errors:
            raise BenchError(f"{len(errors)} submissions refused; first: {errors[0]}")
        # Done when every nonce is in a block read and all three call that height final.
        deadline = t_submitted + final_timeout
        t_done = None
        while t_done is None:
            alive_check(validators)
            seen = {}
            for h, (_, nonces, _) in sorted(blocks.items()):
                for x in nonces:
                    seen.setdefault(x, []).append(h)
            dups = {x: hs for x, hs in seen.items() if len(hs) > 1}
            if dups:
                raise BenchError(f"transactions in more than one block (nonce: heights): {dict(list(dups.items())[:5])}")
            if len(seen) == n:
                last = max(hs[0] for hs in seen.values())
                t_done = next((t for t, finals, _ in timeline if min(finals) >= last), None)
                if t_done is not None:
                    break
            if time.monotonic() > deadline:
                missing = sorted(set(range(n)) - set(seen))
                last = timeline[-1] if timeline else None
                raise BenchError(
                    f"not every transaction final within {final_timeout} s of the last submit: "
                    f"{len(missing)} of {n} nonces in no block read (first {missing[:10]}); "
                    f"final heights {last[1] if last else '?'}, heads {last[2] if last else '?'}")
            time.sleep(POLL_S)
    finally:
        stop.set()
        for t in threads:
            t.join()
    cpu1 = {p["name"]: cpu_seconds(p["proc"].pid) for p in members + validators}
    self1 = self_cpu()
    wall = t_done - t_start

    height_of = {x: h for h, (_, nonces, _) in blocks.items() for x in nonces}
    latencies = []
    for i in range(n):
        h = height_of[i]
        t_final = next(t for t, finals, _ in timeline if min(finals) >= h)
        latencies.append((t_final - submitted[i]) * 1000)
    ours = sorted({height_of[i] for i in range(n)})
    sizes = [blocks[h][2] for h in ours]
    gaps = [blocks[h][0] - blocks[h - 1][0] for h in ours if h - 1 in blocks]
    cpu = {k: round(cpu1[k] - cpu0[k], 2) for k in cpu0 if cpu0[k] is not None and cpu1[k] is not None}
    statuses = [http_call(v["port"], "GET", "/v1/status")[1] for v in validators]
    proposer = next((v["name"] for v, s in zip(validators, statuses) if s.get("proposer")), "?")
    return {
        "anchors": n, "clients": clients,
        "wall_s": round(wall, 3), "anchors_per_s": round(n / wall, 1),
        "submit_s": round(t_submitted - t_start, 3), "submits_per_s": round(n / (t_submitted - t_start), 1),
        "latency_ms": {"p50": round(pct(latencies, 50)), "p95": round(pct(latencies, 95)),
                       "max": round(max(latencies))},
        "blocks": len(ours), "txs_per_block": {"mean": round(statistics.mean(sizes), 1), "max": max(sizes)},
        "ms_between_blocks": round(statistics.mean(gaps)) if gaps else None,
        "cpu_s": {"etcd": round(sum(cpu.get(m["name"], 0) for m in members), 2),
                  "validators": {v["name"] + ("*" if v["name"] == proposer else ""): cpu.get(v["name"])
                                 for v in validators},
                  "bench": round(self1 - self0, 2)},
        "proposer": proposer, "load_before": load_before, "load_after": load_average(),
        "_height_of": height_of,
    }


def verify(validators, txs, height_of, clients):
    """Every receipt successful and final on all three validators; one chain; no incident."""
    problems, lock, next_i = [], threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= len(txs) * 3:
                return
            tx, v = txs[i // 3], validators[i % 3]
            st, body = http_call(v["port"], "GET", f"/v1/transactions/{tx['hash']}")
            if st != 200 or not body.get("final") or not body["receipt"].get("success") \
                    or body.get("height") != height_of[i // 3]:
                problems.append(f"nonce {i // 3} on {v['name']}: HTTP {st} {str(body)[:300]}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if problems:
        raise BenchError(f"{len(problems)} receipts not final and successful; first: {problems[0]}")
    statuses = [http_call(v["port"], "GET", "/v1/status")[1] for v in validators]
    for v, s in zip(validators, statuses):
        if s.get("halted") or s.get("incidents"):
            raise BenchError(f"{v['name']} halted={s.get('halted')} incidents={s.get('incidents')}")
        if s.get("transactions_executed") != len(txs):
            raise BenchError(f"{v['name']} executed {s.get('transactions_executed')} transactions, sent {len(txs)}")
    h = min(s["final_height"] for s in statuses)
    tops = {(b["hash"], b["state_root"]) for b in
            (http_call(v["port"], "GET", f"/v1/blocks/{h}")[1] for v in validators)}
    if len(tops) != 1:
        raise BenchError(f"validators disagree at final height {h}: {tops}")


# ------------------------------------------------------------------------------------------------ main

def bench_interval(a, procs, tmp, members, interval_ms):
    tag = f"i{interval_ms}"
    log(f"interval {interval_ms} ms: raw etcd puts ({a.count}, {a.clients} clients)")
    cpu0 = {m["name"]: cpu_seconds(m["proc"].pid) for m in members}
    self0, t0 = self_cpu(), time.monotonic()
    put_rate = raw_puts(members, a.count, a.clients, tag)
    raw_wall = time.monotonic() - t0
    raw_cpu = {"etcd": round(sum(cpu_seconds(m["proc"].pid) - cpu0[m["name"]] for m in members), 2),
               "bench": round(self_cpu() - self0, 2), "wall_s": round(raw_wall, 2)}
    put_rate_new_conn = raw_puts(members, a.count, a.clients, tag + "-nc", keep_alive=False)
    delete_rate = sequential_deletes(members, min(a.count, 500), tag)
    block_rate = block_puts(members, a.block_puts, tag)
    chain_id = f"bench-{tag}-{os.getpid()}"
    validators = start_validators(procs, tmp, a.bin, members, chain_id, interval_ms)
    try:
        txs = make_transactions(a.bin, chain_id, a.count)
        log(f"interval {interval_ms} ms: {a.count} anchors through the chain")
        chain = chain_run(validators, members, txs, a.clients, a.final_timeout)
        height_of = chain.pop("_height_of")
        verify(validators, txs, height_of, a.clients)
    finally:
        procs.stop([v["proc"] for v in validators])
    for v in validators:
        if v["proc"].returncode not in (0, None):
            raise BenchError(f"validator {v['name']} exited {v['proc'].returncode} on SIGTERM:\n{tail(v['log'])}")
    put_rate_after = raw_puts(members, a.count, a.clients, tag + "-after")
    put_rate_mean = (put_rate + put_rate_after) / 2
    return {"interval_ms": interval_ms,
            "etcd_puts_per_s": round(put_rate_mean, 1),
            "etcd_puts_per_s_before_after": [round(put_rate, 1), round(put_rate_after, 1)], "etcd_puts_per_s_new_connection": round(put_rate_new_conn, 1),
            "etcd_sequential_deletes_per_s": round(delete_rate, 1), "etcd_block_txns_per_s": round(block_rate, 2), "raw_cpu_s": raw_cpu, "chain": chain,
            "ratio": round(chain["anchors_per_s"] / put_rate_mean, 3)}


def on_signal(signum, _frame):
    raise BenchError("deadline reached" if signum == signal.SIGALRM else f"signal {signum}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "release", "bin"),
                    help="directory with lucid-blockchain-core and gen_anchor_txs")
    ap.add_argument("--count", type=int, default=2000, help="anchors per interval, and raw puts (default 2000)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    ap.add_argument("--intervals", default="100,20", help="block intervals in ms, comma-separated")
    ap.add_argument("--block-puts", type=int, default=20, help="block-sized etcd transactions timed")
    ap.add_argument("--final-timeout", type=int, default=180, help="s after the last submit for all to be final")
    ap.add_argument("--quick", action="store_true", help="300 anchors, 5 block-sized puts")
    ap.add_argument("--deadline", type=int, default=900, help="bound on the whole run, seconds")
    ap.add_argument("--keep-logs", action="store_true", help="on failure keep the etcd and validator logs")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    a = ap.parse_args()
    if a.quick:
        a.count, a.block_puts = 300, 5
    intervals = [int(x) for x in a.intervals.split(",") if x]
    if a.count < 1 or a.clients < 1 or not intervals or any(not 10 <= x <= 60000 for x in intervals):
        sys.exit("--count and --clients must be positive; --intervals between 10 and 60000 ms")
    a.bin = os.path.abspath(a.bin)
    for tool in ("lucid-blockchain-core", "gen_anchor_txs"):
        if not os.access(os.path.join(a.bin, tool), os.X_OK):
            sys.exit(f"{a.bin}/{tool} not found (/tmp/lbuild {tool}, or give --bin)")
    if not os.access("/usr/bin/etcd", os.X_OK):
        sys.exit("/usr/bin/etcd not found (Debian's etcd-server; scripts/bootstrap installs it)")

    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="lucid-chain-bench-")
    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(a.deadline)
    results = []
    try:
        members = start_etcd(procs, tmp)
        raw_puts(members, 500, a.clients, "warm-up")  # a new member's first writes are slower: not timed
        for interval in intervals:
            results.append(bench_interval(a, procs, tmp, members, interval))
    except BenchError as e:
        signal.alarm(0)
        procs.stop()
        log(f"chain_bench: {e}")
        if a.keep_logs:
            for d in os.listdir(tmp):
                if d.endswith(".data"):
                    shutil.rmtree(os.path.join(tmp, d), ignore_errors=True)
            log(f"(logs kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(1)
    except BaseException:
        signal.alarm(0)
        procs.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    signal.alarm(0)
    procs.stop()
    shutil.rmtree(tmp, ignore_errors=True)

    result = {"count": a.count, "clients": a.clients, "etcd": "3.4 x3, loopback", "intervals": results,
              "ideal_ratio_at_most": 0.5}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{a.count} anchors (one sender) and {a.count} raw 1 KiB puts, {a.clients} clients, 3 etcd members, "
          "3 validators, one 2-core machine")
    cols = [f"{r['interval_ms']} ms blocks" for r in results]
    print(f"{'':46}" + "".join(f"{c:>22}" for c in cols))

    def row(name, f):
        print(f"{name:46}" + "".join(f"{f(r):>22}" for r in results))

    row("etcd put 1 KiB, keep-alive (puts/s)", lambda r: f"{r['etcd_puts_per_s']:.0f}")
    row("  measured before / after the chain", lambda r: "{:.0f} / {:.0f}".format(*r["etcd_puts_per_s_before_after"]))
    row("etcd put 1 KiB, new connection each (puts/s)", lambda r: f"{r['etcd_puts_per_s_new_connection']:.0f}")
    row("etcd delete, 1 client in sequence (deletes/s)", lambda r: f"{r['etcd_sequential_deletes_per_s']:.0f}")
    row("etcd txn of a 500 KiB block value (txn/s)", lambda r: f"{r['etcd_block_txns_per_s']:.1f}")
    row("chain: anchors/s, first submit -> all final", lambda r: f"{r['chain']['anchors_per_s']:.0f}")
    row("chain: submits/s (202 answers)", lambda r: f"{r['chain']['submits_per_s']:.0f}")
    row("chain: submit -> final p50 / p95 (ms)", lambda r: f"{r['chain']['latency_ms']['p50']} / "
                                                          f"{r['chain']['latency_ms']['p95']}")
    row("chain: blocks, mean / max txs per block", lambda r: f"{r['chain']['blocks']}, "
        f"{r['chain']['txs_per_block']['mean']:.0f} / {r['chain']['txs_per_block']['max']}")
    row("chain: ms between blocks (header times)", lambda r: f"{r['chain']['ms_between_blocks']}")
    row("ratio chain anchors/s / etcd puts/s (mean)", lambda r: f"{r['ratio']:.3f}")
    row("CPU s during raw puts: etcd / bench", lambda r: f"{r['raw_cpu_s']['etcd']} / {r['raw_cpu_s']['bench']}")
    row("CPU s during chain run: etcd (3)", lambda r: f"{r['chain']['cpu_s']['etcd']}")
    row("  validators v0 v1 v2 (* proposer)", lambda r: " ".join(
        f"{v}{'*' if k.endswith('*') else ''}" for k, v in r["chain"]["cpu_s"]["validators"].items()))
    row("  bench clients", lambda r: f"{r['chain']['cpu_s']['bench']}")
    row("chain wall s", lambda r: f"{r['chain']['wall_s']}")
    print("ideal ratio <= 0.5: the chain writes at least 2 keys per anchor (queue put + delete), plus its "
          "share of the block put and 3 votes")
    print("verified: every anchor in exactly one block, receipts successful and final on all 3, one state root, "
          "no incident")


if __name__ == "__main__":
    main()
