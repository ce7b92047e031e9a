#!/usr/bin/env python3
"""beta across sites (issue 13 "What must be shown" 6): connection set-up latency and throughput of a
tunnel and of TOR_SOCKS (beta's SOCKS front) between two sites over a private Tor network, against a
direct TCP connection and against tor's own SocksPort, in the same run.

Two host-mode betads (site-a, site-b), each with its own tor joining a private Tor network on
127.0.0.1 (scripts/tor-test-network: three authorities, three relays). An echo server (busybox nc)
runs on site B's ops plane network, published on B's ops onion. From this host, alternating:
  direct  TCP to the echo container (no Tor: the physical limit on this machine)
  tor     SOCKS5 to site A's own tor SocksPort for B's onion (a Tor client without beta: the peer)
  front   SOCKS5 to site A's front on A's ops network (TOR_SOCKS=beta:9050), relayed through A's tor
  tunnel  plain TCP to A's tunnel port (policies/tunnels.yaml: ops, -> echo:9000@site-b)
Set-up is a new connection to a first echoed byte (median/p99 of --connects; tor reuses the
rendezvous circuit after the first, so this is a stream set-up); throughput is --mib MiB each way
over one connection (median of 3). The ratios front/tor and tunnel/tor are what beta adds to Tor.

Needs the release build (betad, beta_probe), a running Docker engine, tor, tor-gencert and
busybox-static. Everything it creates is named lucidsites<pid>-* and removed at the end; all
traffic stays on loopback and the networks it creates.

  python3 bench/beta_sites_bench.py [--bin build/release/bin] [--connects 50] [--mib 8]
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from beta_bench import (build_probe_image, compare, container_ip, free_port, network_gateway, sh, socks_connect,
                        start_betad, start_echo, stop_betad, wait_published)

HERE = os.path.dirname(os.path.abspath(__file__))
TOR_NETWORK = os.path.join(HERE, "..", "scripts", "tor-test-network")

def free_port_run(count, first):
    """The first port P >= first with P..P+count-1 all free on 127.0.0.1."""
    for base in range(first, 60000, count):
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks: s.close()
    sys.exit("no run of free loopback ports for the private Tor network")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "release", "bin"))
    ap.add_argument("--connects", type=int, default=50)
    ap.add_argument("--mib", type=int, default=8)
    a = ap.parse_args()
    prefix = f"lucidsites{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="lucid-sites-bench-")
    net = os.path.join(tmp, "net")
    betads = []
    net_up = False
    try:
        build_probe_image(a.bin, tmp)
        t0 = time.monotonic()
        sh(TOR_NETWORK, "up", net, str(free_port_run(13, 26000 + (os.getpid() % 100) * 13)))
        net_up = True
        print(f"private Tor network up in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        client_torrc = os.path.join(net, "client.torrc")
        for site in ("a", "b"):
            sh("docker", "network", "create", "--label", "com.lucid.plane=ops", "--label",
               f"com.lucid.test={prefix}-{site}", f"{prefix}-{site}-ops")
        start_echo(f"{prefix}-echo", f"{prefix}-b-ops", f"{prefix}-b")

        def site_args(site, extra):
            return ["--cluster-id", f"site-{site}", "--planes", "ops", "--key-dir", os.path.join(tmp, site, "keys"),
                    "--state-dir", os.path.join(tmp, site, "tor"), "--scope-label", f"com.lucid.test={prefix}-{site}",
                    "--resolver-port", str(free_port()), "--metrics-port", "0", "--tor-config", client_torrc, *extra]
        admin_b = free_port()
        betads.append(start_betad(a.bin, site_args("b", ["--socks", "127.0.0.1:auto", "--socks-port", "0"]),
                                  os.path.join(tmp, "betad-b.log"), admin_b, timeout=120))
        onion, vport = wait_published(admin_b, "echo@ops", timeout=30)

        tor_socks, front_port, tunnel_port, admin_a = free_port(), free_port(), free_port(), free_port()
        open(os.path.join(tmp, "directory.yaml"), "w").write(f"clusters:\n  site-b:\n    ops: {onion}\n")
        open(os.path.join(tmp, "tunnels.yaml"), "w").write(
            f"tunnels:\n  - {{at: site-a, plane: ops, listen: {tunnel_port}, to: 'echo:9000@site-b'}}\n")
        betads.append(start_betad(a.bin, site_args("a", [
            "--socks", f"127.0.0.1:{tor_socks}", "--socks-port", str(front_port),
            "--directory", os.path.join(tmp, "directory.yaml"), "--tunnels", os.path.join(tmp, "tunnels.yaml")]),
            os.path.join(tmp, "betad-a.log"), admin_a, timeout=120))

        ip, gw_a = container_ip(f"{prefix}-echo"), network_gateway(f"{prefix}-a-ops")
        ways = {
            "direct": lambda: socket.create_connection((ip, 9000), timeout=10),
            "tor": lambda: socks_connect(("127.0.0.1", tor_socks), onion, vport, timeout=60),
            "front": lambda: socks_connect((gw_a, front_port), onion, vport, timeout=60),
            "tunnel": lambda: socket.create_connection((gw_a, tunnel_port), timeout=60),
        }
        # The first circuit to B's onion waits for its descriptor on the network's HSDirs.
        t0, deadline = time.monotonic(), time.time() + 180
        while True:
            try:
                s = ways["tor"](); s.sendall(b"x"); s.settimeout(30)
                if s.recv(1) == b"x": s.close(); break
            except OSError as e:
                if time.time() > deadline: sys.exit(f"site-b's onion never answered through tor: {e}")
                time.sleep(1)
        first_circuit_s = round(time.monotonic() - t0, 1)
        r = compare(a.connects, a.mib, ways)
        ratio = lambda k, base, key: round(r[k][key] / r[base][key], 2)
        setup, tput = "setup_to_first_echo_ms_median", "echo_throughput_mib_s_median_of_3"
        print(json.dumps({
            "connects": a.connects, "mib_each_way": a.mib, "first_circuit_s": first_circuit_s, **r,
            "ratios": {"front_vs_tor_setup": ratio("front", "tor", setup), "tunnel_vs_tor_setup": ratio("tunnel", "tor", setup),
                       "front_vs_tor_throughput": ratio("front", "tor", tput), "tunnel_vs_tor_throughput": ratio("tunnel", "tor", tput),
                       "tor_vs_direct_setup": ratio("tor", "direct", setup), "tor_vs_direct_throughput": ratio("tor", "direct", tput)}},
            indent=2))
    finally:
        for p in betads: stop_betad(p)
        for site in ("a", "b"):
            ids = sh("docker", "ps", "-aq", "--filter", f"label=com.lucid.test={prefix}-{site}", check=False).stdout.split()
            if ids: sh("docker", "rm", "-f", *ids, check=False)
            sh("docker", "network", "rm", f"{prefix}-{site}-ops", check=False)
        if net_up: sh(TOR_NETWORK, "down", net, check=False)
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
