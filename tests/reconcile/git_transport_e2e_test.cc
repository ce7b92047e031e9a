// The reconciler's fetch (issue 6, item 1) over every transport against real servers on loopback: a
// local path, file://, ssh:// (a private sshd), http(s):// (git http-backend behind a small CGI
// bridge), and through a real SOCKS5 proxy (`ssh -D`) whose use is checked in the logs, fail-closed
// once the proxy is gone. Every child runs under `timeout` and is killed and reaped in teardown.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lucid/base/subprocess.h"
#include "lucid/reconcile/git_mirror.h"
#include "testing/docker.h"
#include "testing/registry.h"
#include "testing/testing.h"

extern char** environ;

using namespace lucid;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace lt = lucid::testing;

namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kSsh = "/usr/bin/ssh";
constexpr int kChildLifetimeSeconds = 90;  // `timeout` kills a child (and its group) after this

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text,
                fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  fs::permissions(p, perms);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Runs argv (bounded) and returns stdout, failing the test on a non-zero exit.
std::string must(const std::vector<std::string>& argv, std::optional<fs::path> cwd = {}) {
  ProcessOptions o;
  o.argv = argv;
  o.cwd = std::move(cwd);
  o.timeout = 30s;
  auto r = run_process(o);
  if (!r) {
    ADD_FAILURE() << argv[0] << ": " << r.error().message;
    return {};
  }
  EXPECT_EQ(r->exit_code, 0) << fmt::format("{}: {}", fmt::join(argv, " "), r->err);
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Sets (or, with nullopt, unsets) an environment variable for the scope; restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value)
      ::setenv(name_.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Loopback fetches go direct unless a test sets the proxy itself: no inherited proxy variable may
// send them elsewhere.
struct NoInheritedProxies {
  ScopedEnv a{"http_proxy", std::nullopt}, b{"https_proxy", std::nullopt}, c{"HTTP_PROXY", std::nullopt},
      d{"HTTPS_PROXY", std::nullopt}, e{"ALL_PROXY", std::nullopt}, f{"all_proxy", std::nullopt};
};

// A background child under `timeout -k 2 kChildLifetimeSeconds` (its own process group, so the
// whole group dies on timeout or SIGTERM), stdout and stderr appended to `log`. The destructor
// sends SIGTERM, waits up to 3 s, then SIGKILLs the group and reaps.
class Child {
 public:
  Child() = default;
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  std::string start(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<std::string> full{"timeout", "-k", "2", std::to_string(kChildLifetimeSeconds)};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> cargv;
    for (auto& a : full) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawnp(&pid_, "timeout", &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      return fmt::format("could not start {}", argv[0]);
    }
    return {};
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);  // timeout relays it to the child's whole process group
    int status = 0;
    bool reaped = lt::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 3s, 20ms);
    if (!reaped) {
      ::kill(-pid_, SIGKILL);  // timeout made itself the group leader
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// git http-backend as CGI behind a threaded Python HTTP(S) server: every header is handed over
// (Git-Protocol, Content-Encoding), "Status:" is honoured, and each accepted connection is logged
// as "conn <peer> <port>" so a test can count what reached the remote.
constexpr const char* kCgiBridge = R"PY(
import os, ssl, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, root, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
def note(line):
    with lock, open(log, 'a') as f:
        f.write(line + '\n')
class Cgi(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def setup(self):
        super().setup()
        note('conn %s %d' % self.client_address)
    def log_message(self, *args):
        pass
    def body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            out = b''
            while True:
                n = int(self.rfile.readline().split(b';')[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get('Content-Length') or 0))
    def cgi(self):
        data = self.body() if self.command == 'POST' else b''
        path, _, query = self.path.partition('?')
        env = {'PATH': os.environ.get('PATH', ''), 'GIT_PROJECT_ROOT': root, 'GIT_HTTP_EXPORT_ALL': '1',
               'REQUEST_METHOD': self.command, 'PATH_INFO': path, 'QUERY_STRING': query,
               'REMOTE_ADDR': self.client_address[0], 'CONTENT_LENGTH': str(len(data)),
               'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.0'}
        for k, v in self.headers.items():
            env['HTTP_' + k.upper().replace('-', '_')] = v
        if 'Content-Type' in self.headers:
            env['CONTENT_TYPE'] = self.headers['Content-Type']
        r = subprocess.run(['git', 'http-backend'], input=data, env=env, capture_output=True, timeout=30)
        head, sep, out = r.stdout.partition(b'\r\n\r\n')
        if not sep:
            head, sep, out = r.stdout.partition(b'\n\n')
        status, headers = 200, []
        for line in head.decode('latin-1').splitlines():
            k, _, v = line.partition(':')
            if k.lower() == 'status':
                status = int(v.split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = cgi
server = ThreadingHTTPServer(('127.0.0.1', port), Cgi)
if len(sys.argv) > 5:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
note('listening')
server.serve_forever()
)PY";

class GitTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lt::have_program("git")) GTEST_SKIP() << "git not installed (run scripts/bootstrap)";
    if (!lt::have_program("timeout")) GTEST_SKIP() << "coreutils timeout not on PATH";
    root_ = dir_ / "srv";
    remote_ = root_ / "config.git";
    work_ = dir_ / "work";
    fs::create_directories(root_);
    must({"git", "init", "-q", "--bare", "-b", "main", remote_.string()});
    must({"git", "init", "-q", "-b", "main", work_.string()});
    first_ = commit("first");
    newest_ = commit("second");
    ASSERT_NE(first_, newest_);
  }

  // A new commit on main in the work tree, pushed to the bare remote; returns its id.
  std::string commit(const std::string& message) {
    write_text(work_ / "clusters.yaml", "# " + message + "\n");
    must({"git", "-C", work_.string(), "add", "clusters.yaml"});
    must({"git", "-C", work_.string(), "-c", "user.name=Lucid Test", "-c", "user.email=test@lucid.invalid",
          "-c", "commit.gpgsign=false", "commit", "-q", "-m", message});
    must({"git", "-C", work_.string(), "push", "-q", remote_.string(), "main"});
    return must({"git", "-C", work_.string(), "rev-parse", "HEAD"});
  }

  // Fetches `url` into a fresh mirror, expects the newest commit; pushes one more, fetches again into
  // the same mirror and expects that one (the mirror updates, not just clones).
  void fetch_twice(const std::string& url, const std::string& label, const std::string& proxy = {}) {
    auto mirror = dir_ / ("mirror-" + label + ".git");
    auto t0 = std::chrono::steady_clock::now();
    auto got = reconcile::fetch_tracked(mirror, url, reconcile::tracked_ref("main"), proxy);
    ASSERT_TRUE(got) << label << ": " << got.error().message;
    EXPECT_EQ(*got, newest_) << label;
    newest_ = commit("after " + label);
    auto again = reconcile::fetch_tracked(mirror, url, reconcile::tracked_ref("main"), proxy);
    ASSERT_TRUE(again) << label << ": " << again.error().message;
    EXPECT_EQ(*again, newest_) << label << ": the second fetch did not update the mirror";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::printf("%s: two fetches in %lld ms\n", label.c_str(), static_cast<long long>(ms.count()));
  }

  lt::ScratchDir dir_;
  fs::path root_, remote_, work_;
  std::string first_, newest_;
};

// A private sshd on a free 127.0.0.1 port: its own host key, config, authorized key and log in the
// scratch directory (nothing under /etc/ssh or ~/.ssh), LogLevel DEBUG so forwards are recorded.
struct Sshd {
  fs::path dir, log, client_key, known_hosts;
  int port = 0;
  std::string user;
  Child child;

  // Empty on success, else why not (the test skips or fails with it).
  std::string start(const fs::path& scratch) {
    if (::access(kSshd, X_OK) != 0)
      return "no /usr/sbin/sshd (apt-get install openssh-server; scripts/bootstrap)";
    if (!lt::have_program("ssh-keygen")) return "ssh-keygen not installed (openssh-client)";
    if (::access(kSsh, X_OK) != 0) return "no /usr/bin/ssh (openssh-client)";
    // sshd insists on its privilege-separation directory; a missing one is created (empty, 0755).
    if (!fs::exists("/run/sshd") && ::mkdir("/run/sshd", 0755) != 0) return "cannot create /run/sshd";
    const passwd* pw = ::getpwuid(::geteuid());
    if (pw == nullptr) return "no passwd entry for the current user";
    user = pw->pw_name;
    dir = scratch / "sshd";
    fs::create_directories(dir);
    log = dir / "sshd.log";
    client_key = dir / "client_ed25519";
    known_hosts = dir / "known_hosts";
    must({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lucid-test-host", "-f",
          (dir / "host_ed25519").string()});
    must({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lucid-test-client", "-f",
          client_key.string()});
    write_text(dir / "authorized_keys", read_text(client_key.string() + ".pub"));
    port = lt::free_loopback_port();
    write_text(known_hosts, fmt::format("[127.0.0.1]:{} {}", port, read_text(dir / "host_ed25519.pub")));
    write_text(
        dir / "sshd_config",
        fmt::format("Port {}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nAllowTcpForwarding yes\n"
                    "LogLevel DEBUG\n",
                    port, (dir / "host_ed25519").string(), (dir / "sshd.pid").string(),
                    (dir / "authorized_keys").string()));
    if (auto e = child.start({kSshd, "-D", "-e", "-f", (dir / "sshd_config").string(), "-E", log.string()},
                             dir / "sshd.out");
        !e.empty())
      return e;
    std::string ready = fmt::format("Server listening on 127.0.0.1 port {}", port);
    if (!lt::wait_until([&] { return read_text(log).find(ready) != std::string::npos || !child.running(); },
                        10s, 20ms) ||
        !child.running())
      return fmt::format("sshd did not listen on port {} within 10 s: {}", port,
                         first_line(read_text(log) + read_text(dir / "sshd.out"), 400));
    return {};
  }

  // The client options every ssh of the test uses: this key, this known_hosts, nothing interactive.
  std::string client_options() const {
    return fmt::format(
        "-F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes "
        "-o BatchMode=yes -o ConnectTimeout=5",
        client_key.string(), known_hosts.string());
  }
  std::string url(const fs::path& repo) const {
    return fmt::format("ssh://{}@127.0.0.1:{}{}", user, port, repo.string());
  }
  std::string log_text() const { return read_text(log); }
};

// A git http-backend on a free 127.0.0.1 port (TLS when `cert`/`key` are given).
struct HttpRemote {
  fs::path log;
  int port = 0;
  Child child;

  std::string start(const fs::path& scratch, const fs::path& project_root, const std::string& name,
                    const fs::path& cert = {}, const fs::path& key = {}) {
    if (!lt::have_program("python3")) return "python3 not installed (scripts/bootstrap)";
    auto script = scratch / "cgi_bridge.py";
    write_text(script, kCgiBridge);
    log = scratch / (name + ".log");
    port = lt::free_loopback_port();
    std::vector<std::string> argv{"python3", script.string(), std::to_string(port), project_root.string(),
                                  log.string()};
    if (!cert.empty()) argv.insert(argv.end(), {cert.string(), key.string()});
    if (auto e = child.start(argv, scratch / (name + ".out")); !e.empty()) return e;
    if (!lt::wait_until(
            [&] { return read_text(log).find("listening") != std::string::npos || !child.running(); }, 10s,
            20ms) ||
        !child.running())
      return fmt::format("the CGI bridge did not listen on port {} within 10 s: {}", port,
                         first_line(read_text(scratch / (name + ".out")), 400));
    return {};
  }
  std::size_t connections() const { return count(read_text(log), "conn "); }
};

// Lines in the sshd log recording a direct-tcpip forward (what `ssh -D` asks for per SOCKS
// connection) to 127.0.0.1:`port`.
std::size_t forwards_to(const std::string& sshd_log, int port) {
  std::size_t n = 0;
  std::istringstream in(sshd_log);
  for (std::string line; std::getline(in, line);)
    if (line.find("server_request_direct_tcpip") != std::string::npos &&
        line.find(fmt::format("target 127.0.0.1 port {}", port)) != std::string::npos)
      ++n;
  return n;
}

TEST_F(GitTransport, LocalPathAndFileUrl) {
  fetch_twice(remote_.string(), "local-path");
  fetch_twice("file://" + remote_.string(), "file-url");
}

TEST_F(GitTransport, Ssh) {
  Sshd sshd;
  if (auto e = sshd.start(dir_.path()); !e.empty()) GTEST_SKIP() << e;
  // fetch_tracked takes no ssh options and, without a proxy, passes the environment through.
  ScopedEnv ssh_command("GIT_SSH_COMMAND", "ssh " + sshd.client_options());
  fetch_twice(sshd.url(remote_), "ssh");
  EXPECT_GE(count(sshd.log_text(), "Accepted publickey for " + sshd.user), 2u)
      << "the fetches did not log in to the test's sshd";
}

TEST_F(GitTransport, SmartHttpAndHttps) {
  NoInheritedProxies direct;
  HttpRemote http;
  if (auto e = http.start(dir_.path(), root_, "http"); !e.empty()) GTEST_SKIP() << e;
  auto before = http.connections();
  fetch_twice(fmt::format("http://127.0.0.1:{}/config.git", http.port), "http");
  EXPECT_GT(http.connections(), before) << "the http fetches did not reach the CGI bridge";

  if (!lt::have_program("openssl")) GTEST_SKIP() << "openssl not installed: https:// not tested";
  auto cert = dir_ / "tls.crt", key = dir_ / "tls.key";
  must({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
        key.string(), "-out", cert.string()});
  HttpRemote https;
  if (auto e = https.start(dir_.path(), root_, "https", cert, key); !e.empty()) GTEST_SKIP() << e;
  ScopedEnv ca("GIT_SSL_CAINFO", cert.string());  // trust only the test's self-signed certificate
  fetch_twice(fmt::format("https://127.0.0.1:{}/config.git", https.port), "https");
  EXPECT_GT(https.connections(), 0u);
}

TEST_F(GitTransport, SocksProxyCarriesHttpAndSshAndFailsClosed) {
  NoInheritedProxies direct;
  Sshd sshd;
  if (auto e = sshd.start(dir_.path()); !e.empty()) GTEST_SKIP() << e;
  if (!lt::have_program("nc")) GTEST_SKIP() << "nc not installed (netcat-openbsd; scripts/bootstrap)";
  if (must({"sh", "-c", "nc -h 2>&1 | grep -c 'proxy_protocol' || true"}) == "0")
    GTEST_SKIP() << "nc is not netcat-openbsd (no -X 5): apt-get install netcat-openbsd";
  HttpRemote http;
  if (auto e = http.start(dir_.path(), root_, "http"); !e.empty()) GTEST_SKIP() << e;

  // The proxy: a real SOCKS5 listener from `ssh -D` logged in to the test's sshd.
  int socks_port = lt::free_loopback_port();
  std::string proxy = fmt::format("127.0.0.1:{}", socks_port);
  Child socks;
  std::vector<std::string> argv{kSsh, "-N", "-D", proxy, "-o", "ExitOnForwardFailure=yes"};
  std::istringstream opts(sshd.client_options());
  for (std::string o; opts >> o;) argv.push_back(o);
  argv.insert(argv.end(), {"-p", std::to_string(sshd.port), sshd.user + "@127.0.0.1"});
  ASSERT_EQ(socks.start(argv, dir_ / "socks.out"), "");
  ASSERT_TRUE(lt::wait_until(
                  [&] {
                    return must({"sh", "-c", fmt::format("ss -Hltn 'sport = :{}' | wc -l", socks_port)}) !=
                               "0" ||
                           !socks.running();
                  },
                  10s, 20ms) &&
              socks.running())
      << "ssh -D did not listen: " << read_text(dir_ / "socks.out");

  // fetch_tracked drops GIT_SSH_COMMAND when proxied (it would replace the proxying
  // core.sshCommand), so the key and known_hosts reach the proxied ssh through a wrapper first on
  // PATH. GIT_SSH_COMMAND stays set to a working *direct* command: were it used, the fetch would
  // succeed around the proxy and the forward counts below would catch it.
  auto bin = dir_ / "bin";
  fs::create_directories(bin);
  write_text(bin / "ssh", fmt::format("#!/bin/sh\nexec {} {} \"$@\"\n", kSsh, sshd.client_options()),
             fs::perms::owner_all);
  const char* old_path = std::getenv("PATH");
  ScopedEnv path("PATH", bin.string() + ":" + (old_path ? old_path : "/usr/bin:/bin"));
  ScopedEnv bypass("GIT_SSH_COMMAND", "ssh " + sshd.client_options());

  // http:// through the proxy: every connection the remote saw is a forward by the sshd.
  auto http_conns = http.connections();
  auto http_fwds = forwards_to(sshd.log_text(), http.port);
  fetch_twice(fmt::format("http://127.0.0.1:{}/config.git", http.port), "http-via-socks", proxy);
  auto http_seen = http.connections() - http_conns;
  EXPECT_GT(http_seen, 0u) << "the remote saw no connection";
  EXPECT_EQ(forwards_to(sshd.log_text(), http.port) - http_fwds, http_seen)
      << "not every connection to the http remote came through the proxy";

  // ssh:// through the proxy: the remote is the sshd itself; each new connection to it is a forward.
  auto ssh_conns = count(sshd.log_text(), "Connection from 127.0.0.1");
  auto ssh_fwds = forwards_to(sshd.log_text(), sshd.port);
  fetch_twice(sshd.url(remote_), "ssh-via-socks", proxy);
  auto ssh_seen = count(sshd.log_text(), "Connection from 127.0.0.1") - ssh_conns;
  EXPECT_EQ(ssh_seen, 2u) << "two fetches, two ssh connections";
  EXPECT_EQ(forwards_to(sshd.log_text(), sshd.port) - ssh_fwds, ssh_seen)
      << "not every ssh connection to the remote came through the proxy";
  std::printf("through the proxy: %zu http and %zu ssh connections, each a direct-tcpip forward\n", http_seen,
              ssh_seen);

  // Fail-closed: the proxy dies; the next fetches fail and the remotes see no new connection.
  socks.stop();
  http_conns = http.connections();
  ssh_conns = count(sshd.log_text(), "Connection from 127.0.0.1");
  newest_ = commit("while the proxy is down");
  auto h = reconcile::fetch_tracked(dir_ / "mirror-http-via-socks.git",
                                    fmt::format("http://127.0.0.1:{}/config.git", http.port),
                                    "refs/heads/main", proxy);
  EXPECT_FALSE(h) << "http fetch succeeded with the proxy down";
  auto s = reconcile::fetch_tracked(dir_ / "mirror-ssh-via-socks.git", sshd.url(remote_), "refs/heads/main",
                                    proxy);
  EXPECT_FALSE(s) << "ssh fetch succeeded with the proxy down";
  std::this_thread::sleep_for(200ms);  // let a (wrong) late connection reach the logs
  EXPECT_EQ(http.connections(), http_conns) << "the http remote was contacted around the dead proxy";
  EXPECT_EQ(count(sshd.log_text(), "Connection from 127.0.0.1"), ssh_conns)
      << "the ssh remote was contacted around the dead proxy";
  if (!h) std::printf("http, proxy down: %s\n", h.error().message.c_str());
  if (!s) std::printf("ssh, proxy down: %s\n", s.error().message.c_str());

  // Control: the same fetches without the proxy do reach the remotes (so "no connection" above
  // was not an artefact of a broken remote).
  auto d =
      reconcile::fetch_tracked(dir_ / "mirror-http-via-socks.git",
                               fmt::format("http://127.0.0.1:{}/config.git", http.port), "refs/heads/main");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, newest_);
  EXPECT_GT(http.connections(), http_conns);
  auto e = reconcile::fetch_tracked(dir_ / "mirror-ssh-via-socks.git", sshd.url(remote_), "refs/heads/main");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(*e, newest_);
  EXPECT_GT(count(sshd.log_text(), "Connection from 127.0.0.1"), ssh_conns);
}

}  // namespace
