#!/usr/bin/env python3
"""Supply-chain verify benchmark (issue 5 item 7): `lucidctl verify --cluster` of a node cluster's
images against a private docker-registry on 127.0.0.1 (time per run, median of N), after
`lucidctl build --stage 0` and `--stage 3` pushed, signed and pinned them into a copy of deploy/.

Needs the release build (lucidctl, lucid-node-worker, betad, betactl), a running Docker engine
(scripts/bootstrap), docker-registry and ffmpeg. Everything it creates is named lucidbench<pid>/* or
lives in a temporary directory, and is removed at the end; traffic stays on loopback.

  python3 bench/verify_bench.py [--bin build/release/bin] [--runs 10]
"""
import argparse, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(root, "build", "release", "bin"))
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    lucidctl = os.path.join(a.bin, "lucidctl")
    prefix = f"lucidbench{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="lucid-verify-bench-")
    port = free_port()
    reg = None
    built = []
    try:
        open(os.path.join(tmp, "registry.yml"), "w").write(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {tmp}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
        reg = subprocess.Popen(["docker-registry", "serve", os.path.join(tmp, "registry.yml")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/v2/", timeout=1); break
            except Exception:
                time.sleep(0.05)
        repo = os.path.join(tmp, "repo")
        shutil.copytree(os.path.join(root, "deploy"), repo)
        subprocess.run([lucidctl, "keys", "gen", "--out", os.path.join(tmp, "k")], check=True, capture_output=True)
        shutil.copy(os.path.join(tmp, "k.pub"), os.path.join(repo, "policies", "signers", "bench.pub"))
        for stage in (0, 3):
            t0 = time.monotonic()
            r = subprocess.run([lucidctl, "build", "--stage", str(stage), "--push", f"127.0.0.1:{port}", "--key",
                                os.path.join(tmp, "k.key"), "--repo", repo, "--images",
                                os.path.join(root, "docker", "images.yaml"), "--bin-dir", a.bin,
                                "--local-prefix", prefix, "--json"], capture_output=True, text=True, timeout=1200)
            if r.returncode != 0:
                sys.exit(f"build --stage {stage} failed: {r.stderr}")
            j = json.loads(r.stdout)
            built += [i["local_tag"] for i in j["images"]]
            print(f"build --stage {stage}: {time.monotonic() - t0:.1f} s, " +
                  ", ".join(f"{i['name']} {i['files']} files / {i['sbom_packages']} SBOM packages" for i in j["images"]))
        cmd = [lucidctl, "verify", "--cluster", "edge-node-eu-1", repo, "--registry", url,
               "--service", "beta", "--service", "node-worker", "--json"]
        times = []
        for _ in range(a.runs):
            t0 = time.monotonic()
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            times.append(time.monotonic() - t0)
            if r.returncode != 0:
                sys.exit(f"verify exited {r.returncode}: {r.stdout}{r.stderr}")
        print(f"verify --cluster edge-node-eu-1 (2 images: pin, mirror, tag, signature, SBOM, inclusion, advisories):"
              f" median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms,"
              f" max {max(times) * 1000:.0f} ms over {a.runs} runs")
        t0 = time.monotonic()
        r = subprocess.run(cmd[:-5] + ["--json"], capture_output=True, text=True, timeout=120)
        print(f"verify --cluster edge-node-eu-1 (all 5 services, 3 not built): {(time.monotonic() - t0) * 1000:.0f} ms,"
              f" exit {r.returncode}")
    finally:
        for t in built:
            subprocess.run(["docker", "rmi", "-f", t], capture_output=True)
        if reg:
            reg.terminate(); reg.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
