#!/usr/bin/env python3
"""Issue #2's performance targets, measured as ratios against peers in the same run.

  seal wall time        vs  zstd -3 -T2 on the same input       (goal: ratio <= 1.2)
  seal throughput       vs  restic backup of the same input     (goal: ratio >= 4)
  verify throughput     vs  b3sum over the sealed chunk files   (goal: ratio >= 0.5)
  seal peak RSS on a 4 GiB stream                               (goal: <= 256 MiB)

Inputs are generated locally: text-like (log lines) and random. Each timing is the median of
--runs runs (default 5). All traffic is local; nothing touches the network.
Usage: bench/seal_vs_peers.py [--bin build/release/bin] [--size-mib 512] [--runs 5] [--json OUT]
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

def sh(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)

def timed(argv, setup=None, **kw):
    if setup:
        setup()
    t0 = time.perf_counter()
    sh(argv, **kw)
    return time.perf_counter() - t0

def median_time(runs, argv_fn, setup):
    samples = []
    for i in range(runs):
        setup()
        t0 = time.perf_counter()
        sh(argv_fn(i))
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples

def make_text(path, size):
    rng = random.Random(7)
    words = ["session", "chunk", "sealed", "node", "onion", "plane", "ops", "chain", "wallet", "ok",
             "error", "retry", "merkle", "root", "anchor", "beta", "worker", "GET", "POST", "/v1/resolve"]
    with open(path, "wb") as f:
        written, n = 0, 0
        while written < size:
            lines = []
            for _ in range(1000):
                n += 1
                lines.append("2026-11-26T17:%02d:%02d.%06dZ level=%s svc=%s msg=\"%s\" id=%08x bytes=%d\n" % (
                    (n // 60) % 60, n % 60, rng.randrange(10**6), rng.choice(["info", "warn", "debug"]),
                    rng.choice(words), " ".join(rng.choice(words) for _ in range(rng.randrange(3, 9))),
                    rng.getrandbits(32), rng.randrange(1 << 20)))
            block = "".join(lines).encode()
            f.write(block[: size - written])
            written += min(len(block), size - written)

def make_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 24)
            f.write(os.urandom(n))
            left -= n

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/release/bin")
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rss-gib", type=int, default=4)
    ap.add_argument("--json", help="write the figures here as JSON")
    args = ap.parse_args()
    worker = os.path.abspath(os.path.join(args.bin, "lucid-node-worker"))
    for tool in ("zstd", "restic", "b3sum"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found; run scripts/bootstrap")
    size = args.size_mib << 20
    work = tempfile.mkdtemp(prefix="lucid-bench-", dir=os.environ.get("BENCH_DIR"))
    results = {"size_mib": args.size_mib, "runs": args.runs, "cpus": os.cpu_count(), "inputs": {}}
    try:
        sh([worker, "keygen", "--out", f"{work}/node.key"])
        with open(f"{work}/restic.pw", "w") as f:
            f.write("bench-only-password\n")
        env = dict(os.environ, RESTIC_PASSWORD_FILE=f"{work}/restic.pw", RESTIC_CACHE_DIR=f"{work}/restic-cache")
        for kind, maker in (("text", make_text), ("random", make_random)):
            src = f"{work}/{kind}.bin"
            maker(src, size)
            sess = f"{work}/sess"
            def clean_sess():
                shutil.rmtree(sess, ignore_errors=True)
                if os.path.exists(f"{work}/sk"):
                    os.remove(f"{work}/sk")
            seal_argv = lambda i: [worker, "seal", src, "--out", sess, "--node-key", f"{work}/node.key",
                                   "--session-key-file", f"{work}/sk", "--quiet"]
            seal_nofsync = lambda i: seal_argv(i) + ["--no-fsync"]
            t_seal, s_seal = median_time(args.runs, seal_argv, clean_sess)
            t_seal_nf, _ = median_time(args.runs, seal_nofsync, clean_sess)
            zout = f"{work}/out.zst"
            t_zstd, s_zstd = median_time(args.runs, lambda i: ["zstd", "-3", "-T2", "-q", "-f", src, "-o", zout],
                                         lambda: os.path.exists(zout) and os.remove(zout))
            repo = f"{work}/restic-repo"
            def restic_setup():
                shutil.rmtree(repo, ignore_errors=True)
                shutil.rmtree(f"{work}/restic-cache", ignore_errors=True)
                subprocess.run(["restic", "init", "-q", "-r", repo], check=True, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples = []
            for _ in range(args.runs):
                restic_setup()
                t0 = time.perf_counter()
                subprocess.run(["restic", "backup", "-q", "-r", repo, src], check=True, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                samples.append(time.perf_counter() - t0)
            t_restic = statistics.median(samples)
            # One sealed session to verify, b3sum over the same files.
            clean_sess()
            sh(seal_argv(0))
            chunks = sorted(os.path.join(sess, "chunks", n) for n in os.listdir(os.path.join(sess, "chunks")))
            sealed_bytes = sum(os.path.getsize(c) for c in chunks)
            t_verify, _ = median_time(args.runs, lambda i: [worker, "verify", sess, "--node-pub", f"{work}/node.key.pub"],
                                      lambda: None)
            t_b3, _ = median_time(args.runs, lambda i: ["b3sum", "--no-names"] + chunks, lambda: None)
            r = {
                "seal_s": t_seal, "seal_no_fsync_s": t_seal_nf, "zstd_T2_s": t_zstd, "restic_s": t_restic,
                "verify_s": t_verify, "b3sum_s": t_b3, "sealed_bytes": sealed_bytes,
                "seal_MiB_s": args.size_mib / t_seal, "restic_MiB_s": args.size_mib / t_restic,
                "ratio_seal_over_zstd": t_seal / t_zstd, "ratio_seal_no_fsync_over_zstd": t_seal_nf / t_zstd,
                "ratio_seal_throughput_over_restic": t_restic / t_seal,
                "ratio_verify_throughput_over_b3sum": t_b3 / t_verify,
                "seal_samples_s": s_seal, "zstd_samples_s": s_zstd,
            }
            results["inputs"][kind] = r
            print(f"[{kind} {args.size_mib} MiB] seal {t_seal:.3f}s (no-fsync {t_seal_nf:.3f}s)  zstd -3 -T2 {t_zstd:.3f}s  "
                  f"restic {t_restic:.3f}s  verify {t_verify:.3f}s  b3sum {t_b3:.3f}s  sealed/plain {sealed_bytes/size:.3f}")
            print(f"    seal/zstd = {r['ratio_seal_over_zstd']:.2f} (goal <= 1.2; no-fsync {r['ratio_seal_no_fsync_over_zstd']:.2f})"
                  f"   seal vs restic = {r['ratio_seal_throughput_over_restic']:.1f}x (goal >= 4)"
                  f"   verify vs b3sum = {r['ratio_verify_throughput_over_b3sum']:.2f}x (goal >= 0.5)", flush=True)
            clean_sess()
            os.remove(src)
        # Peak RSS while sealing a stream of --rss-gib GiB from a pipe (content does not matter).
        block = f"{work}/block.bin"
        make_random(block, 256 << 20)
        reps = args.rss_gib * 4
        cmd = (f"for i in $(seq {reps}); do cat {block}; done | /usr/bin/time -f '%M' -o {work}/rss "
               f"{worker} seal - --out {work}/big --node-key {work}/node.key --session-key-file {work}/sk --quiet --no-fsync")
        subprocess.run(["bash", "-c", cmd], check=True, stdout=subprocess.DEVNULL)
        rss_kib = int(open(f"{work}/rss").read().split()[-1])
        results["rss_input_gib"] = args.rss_gib
        results["seal_peak_rss_mib"] = rss_kib / 1024
        print(f"[rss] seal of a {args.rss_gib} GiB stream: peak RSS {rss_kib/1024:.1f} MiB (goal <= 256 MiB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)

if __name__ == "__main__":
    main()
