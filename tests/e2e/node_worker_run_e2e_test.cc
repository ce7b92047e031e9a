// End-to-end tests of `lucid-node-worker run` and `health`: the real binary runs as a child process on a
// scratch spool; recordings are dropped into its inbox the way writers do (x.part, then rename), and
// the sealed sessions are checked with the binary's own `verify` and `open`. Every wait is bounded.
// The container case needs the image: `lucidctl build --stage 3` (builds lucid/node-worker:<version>).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/hex.h"
#include "lucid/seal/keys.h"
#include "lucid/version.h"
#include "testing/data.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid::e2e {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using lucid::testing::bin_dir;
using lucid::testing::read_bytes;
using lucid::testing::run;
using lucid::testing::ScratchDir;
using lucid::testing::wait_until;
using nlohmann::json;

constexpr auto kWait = 10s;
constexpr std::uint64_t kMiB = 1024 * 1024;

std::string worker() {
  return (bin_dir() / "lucid-node-worker").string();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Hidden entries (staging directories, temporary files) left in `dir`.
std::vector<std::string> hidden_entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with('.')) out.push_back(e.path().filename().string());
  return out;
}

// Writes a recording the way a recorder does: NAME.part in the inbox, then a rename to NAME.
void drop(const fs::path& inbox, const std::string& name, const fs::path& source) {
  fs::copy_file(source, inbox / (name + ".part"));
  fs::rename(inbox / (name + ".part"), inbox / name);
}

// `lucid-node-worker run` as a child process with stdout/stderr in files; killed at scope exit.
class Worker {
 public:
  // `as`: a command line prefix the worker runs under (e.g. setpriv to another user).
  Worker(const fs::path& spool, const fs::path& logs, std::vector<std::string> extra = {},
         std::vector<std::string> as = {})
      : out_(logs / log_name("out")), err_(logs / log_name("err")) {
    std::vector<std::string> argv = std::move(as);
    argv.insert(argv.end(), {worker(), "run", "--spool", spool.string(), "--heartbeat", "1s"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = lucid::testing::spawn(argv, out_, err_);
  }
  ~Worker() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void signal(int sig) { ::kill(pid_, sig); }

  // The exit status (128 + signal when killed), or nullopt if it is still running after `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit = kWait) {
    wait_until(
        [&] {
          int status = 0;
          if (exit_code_) return true;
          if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        },
        limit, 20ms);
    return exit_code_;
  }

  std::vector<json> events() const {
    std::vector<json> out;
    std::ifstream f(out_);
    for (std::string line; std::getline(f, line);) out.push_back(json::parse(line, nullptr, false));
    return out;
  }
  // The first event of `type` (and `name`, when given), waiting up to kWait for it.
  std::optional<json> wait_event(const std::string& type, const std::string& name = "") const {
    std::optional<json> found;
    wait_until(
        [&] {
          for (const auto& e : events())
            if (e.is_object() && e.value("event", "") == type &&
                (name.empty() || e.value("name", "") == name)) {
              found = e;
              return true;
            }
          return false;
        },
        kWait, 20ms);
    return found;
  }
  std::string err() const { return read_text(err_); }
  std::string log() const { return read_text(out_) + read_text(err_); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static std::string log_name(const char* what) {
    return "worker-" + std::to_string(++counter()) + "." + what;
  }

  fs::path out_;
  fs::path err_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

class NodeWorkerRun : public ::testing::Test {
 protected:
  fs::path spool() const { return dir_ / "spool"; }
  fs::path inbox() const { return spool() / "inbox"; }
  fs::path logs() const { return dir_.path(); }

  testing::RunResult health(std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {worker(), "health", "--spool", spool().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }
  // `verify` and `open` of sessions/NAME; true when the restored bytes equal `original`.
  void expect_round_trip(const std::string& name, const fs::path& original) const {
    fs::path session = spool() / "sessions" / name;
    auto v = run({worker(), "verify", session.string(), "--node-pub", (spool() / "node.key.pub").string()});
    EXPECT_EQ(v.exit_code, 0) << name << ": " << v.out << v.err;
    fs::path restored = dir_ / ("restored-" + name);
    auto o = run({worker(), "open", session.string(), "--session-key-file",
                  (spool() / "keys" / (name + ".key")).string(), "-o", restored.string()});
    ASSERT_EQ(o.exit_code, 0) << name << ": " << o.err;
    EXPECT_TRUE(read_bytes(restored) == read_bytes(original)) << name << ": restored bytes differ";
  }

  ScratchDir dir_;
};

TEST_F(NodeWorkerRun, StartMakesTheSpoolAndTheNodeKeyPersists) {
  std::string first_key;
  {
    Worker w(spool(), logs());
    auto started = w.wait_event("started");
    ASSERT_TRUE(started) << w.log();
    for (const char* d : {"inbox", "sessions", "keys", "failed"})
      EXPECT_TRUE(fs::is_directory(spool() / d)) << d;
    EXPECT_EQ(mode_of(spool() / "keys"), 0700u);
    EXPECT_EQ(mode_of(spool() / "node.key"), 0600u);
    auto pub = seal::load_public_key(spool() / "node.key.pub");
    ASSERT_TRUE(pub) << pub.error().message;
    first_key = to_hex(*pub);
    EXPECT_EQ((*started)["node_public_key"], first_key);
    EXPECT_TRUE((*started)["node_key_created"].get<bool>());

    auto h = health();
    EXPECT_EQ(h.exit_code, 0) << h.out << h.err;
    EXPECT_TRUE(h.out.starts_with("ok: ")) << h.out;

    // One worker per spool.
    auto second = run({worker(), "run", "--spool", spool().string()});
    EXPECT_EQ(second.exit_code, 2);
    EXPECT_NE(second.err.find("another lucid-node-worker is running"), std::string::npos) << second.err;

    w.signal(SIGTERM);
    EXPECT_EQ(w.wait_exit(), 0) << w.log();
    EXPECT_TRUE(w.wait_event("stopped"));
    auto after = health();
    EXPECT_EQ(after.exit_code, 1);
    EXPECT_NE(after.out.find("stopped"), std::string::npos) << after.out;
  }
  Worker again(spool(), logs());
  auto started = again.wait_event("started");
  ASSERT_TRUE(started) << again.log();
  EXPECT_EQ((*started)["node_public_key"], first_key);
  EXPECT_FALSE((*started)["node_key_created"].get<bool>());
  again.signal(SIGINT);
  EXPECT_EQ(again.wait_exit(), 0) << again.log();
}

TEST_F(NodeWorkerRun, RenamedRecordingIsSealedAndRoundTrips) {
  fs::path source = dir_ / "recording.ts";
  testing::write_random_file(source, 20 * kMiB + 123, 7);
  Worker w(spool(), logs());
  ASSERT_TRUE(w.wait_event("started")) << w.log();
  drop(inbox(), "rec.ts", source);
  auto sealed = w.wait_event("sealed", "rec.ts");
  ASSERT_TRUE(sealed) << w.log();
  EXPECT_EQ((*sealed)["chunks"], 3);
  EXPECT_EQ((*sealed)["bytes"], 20 * kMiB + 123);
  EXPECT_TRUE((*sealed)["ms"].is_number());
  EXPECT_FALSE(present(inbox() / "rec.ts")) << "the inbox file is removed once sealed";
  EXPECT_EQ(mode_of(spool() / "keys" / "rec.ts.key"), 0600u);
  expect_round_trip("rec.ts", source);
  auto v = run({worker(), "verify", (spool() / "sessions" / "rec.ts").string(), "--json", "--node-pub",
                (spool() / "node.key.pub").string()});
  EXPECT_EQ(json::parse(v.out)["merkle_root"], (*sealed)["root"]);
  EXPECT_TRUE(hidden_entries(spool() / "sessions").empty());
  EXPECT_TRUE(hidden_entries(spool() / "keys").empty());
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0) << w.log();
}

TEST_F(NodeWorkerRun, PartAndHiddenFilesWaitUntilRenamed) {
  fs::path source = dir_ / "small";
  testing::write_random_file(source, 300000, 11);
  Worker w(spool(), logs());
  ASSERT_TRUE(w.wait_event("started")) << w.log();
  fs::copy_file(source, inbox() / "late.part");
  fs::copy_file(source, inbox() / ".hidden");
  // A recording written in place and closed is taken too; sealing it in order shows the worker has
  // looked at the inbox after the .part and hidden files appeared.
  fs::copy_file(source, inbox() / "direct");
  ASSERT_TRUE(w.wait_event("sealed", "direct")) << w.log();
  drop(inbox(), "barrier", source);
  ASSERT_TRUE(w.wait_event("sealed", "barrier")) << w.log();
  EXPECT_TRUE(present(inbox() / "late.part"));
  EXPECT_TRUE(present(inbox() / ".hidden"));
  EXPECT_FALSE(present(spool() / "sessions" / "late.part"));
  EXPECT_FALSE(present(spool() / "sessions" / ".hidden"));
  EXPECT_TRUE(fs::is_empty(spool() / "failed"));

  fs::rename(inbox() / "late.part", inbox() / "late");
  ASSERT_TRUE(w.wait_event("sealed", "late")) << w.log();
  expect_round_trip("late", source);
  expect_round_trip("direct", source);
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0) << w.log();
}

TEST_F(NodeWorkerRun, RecordingsPresentAtStartAreSealedAndLeftoversCleared) {
  fs::path a = dir_ / "a";
  fs::path b = dir_ / "b";
  testing::write_random_file(a, 9 * kMiB, 1);
  testing::write_log_text_file(b, 2 * kMiB, 2);
  for (const char* d : {"inbox", "sessions", "keys"}) fs::create_directories(spool() / d);
  fs::permissions(spool() / "keys", fs::perms::owner_all);
  fs::copy_file(a, inbox() / "a");
  fs::copy_file(b, inbox() / "b");
  // What a worker killed mid-seal of "a" leaves: a staging directory, a temporary and an orphan key.
  fs::create_directories(spool() / "sessions" / ".a.staging-Xy12Zq" / "chunks");
  testing::write_bytes(spool() / "keys" / ".a.key.tmp-Qw34Er", {1, 2, 3});
  testing::write_bytes(spool() / "keys" / "a.key", {'j', 'u', 'n', 'k', '\n'});
  fs::permissions(spool() / "keys" / "a.key", fs::perms::owner_read | fs::perms::owner_write);

  Worker w(spool(), logs());
  ASSERT_TRUE(w.wait_event("sealed", "a")) << w.log();
  ASSERT_TRUE(w.wait_event("sealed", "b")) << w.log();
  EXPECT_TRUE(hidden_entries(spool() / "sessions").empty());
  EXPECT_TRUE(hidden_entries(spool() / "keys").empty());
  expect_round_trip("a", a);  // with a fresh key in place of the orphan
  expect_round_trip("b", b);
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0) << w.log();
}

TEST_F(NodeWorkerRun, InputsThatCannotBeSealedGoToFailedWithAReason) {
  fs::path source = dir_ / "dup-1";
  testing::write_random_file(source, 100000, 3);
  Worker w(spool(), logs());
  ASSERT_TRUE(w.wait_event("started")) << w.log();

  drop(inbox(), "dup", source);
  ASSERT_TRUE(w.wait_event("sealed", "dup")) << w.log();
  fs::path second = dir_ / "dup-2";
  testing::write_random_file(second, 5000, 4);
  drop(inbox(), "dup", second);  // the name is taken: refused, the first session and key untouched
  // A symbolic link (here to the node key: the worker must not seal what a link points at), a
  // directory and a named pipe (which must not stall the worker).
  fs::create_symlink(spool() / "node.key", inbox() / "link");
  fs::create_directories(dir_ / "folder" / "x");
  fs::rename(dir_ / "folder", inbox() / "folder");
  ASSERT_EQ(::mkfifo((inbox() / "pipe").c_str(), 0600), 0);

  const std::vector<std::pair<std::string, std::string>> cases = {{"dup", "already exists"},
                                                                  {"link", "symbolic link"},
                                                                  {"folder", "is a directory"},
                                                                  {"pipe", "named pipe"}};
  for (const auto& [name, why] : cases) {
    auto failed = w.wait_event("failed", name);
    ASSERT_TRUE(failed) << name << ": " << w.log();
    EXPECT_NE((*failed)["error"].get<std::string>().find(why), std::string::npos) << failed->dump();
    fs::path moved = name == "dup" ? spool() / "failed" / "dup" : spool() / "failed" / name;
    EXPECT_TRUE(present(moved)) << name;
    EXPECT_FALSE(present(inbox() / name)) << name;
    std::string reason = read_text(moved.string() + ".error");
    EXPECT_NE(reason.find(why), std::string::npos) << name << ": " << reason;
    if (name != "dup") {
      EXPECT_FALSE(present(spool() / "sessions" / name)) << name;
      EXPECT_FALSE(present(spool() / "keys" / (name + ".key"))) << name;
    }
  }
  EXPECT_TRUE(read_bytes(spool() / "failed" / "dup") == read_bytes(second));
  expect_round_trip("dup", source);
  EXPECT_TRUE(present(spool() / "node.key")) << "the link target stays where it was";
  EXPECT_TRUE(hidden_entries(spool() / "sessions").empty());

  // A second failure under a taken name goes beside the first.
  drop(inbox(), "dup", second);
  ASSERT_TRUE(wait_until([&] { return present(spool() / "failed" / "dup~2.error"); }, kWait)) << w.log();
  testing::RunResult h;
  EXPECT_TRUE(wait_until(
      [&] {
        h = health();
        return h.exit_code == 0 && h.out.find("1 sealed, 5 failed") != std::string::npos;
      },
      kWait))
      << h.out;
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0) << w.log();
}

TEST_F(NodeWorkerRun, UnreadableInputGoesToFailed) {
  // Root reads any file, so as root the worker runs as the image's user (uid 10001) instead.
  std::vector<std::string> as;
  if (::geteuid() == 0) {
    if (!fs::exists("/usr/bin/setpriv"))
      GTEST_SKIP() << "root, and no /usr/bin/setpriv (util-linux) to drop to uid 10001";
    fs::create_directories(spool());
    ASSERT_EQ(::chown(spool().c_str(), 10001, 10001), 0);
    fs::permissions(dir_.path(), fs::perms::others_exec, fs::perm_options::add);  // traversable
    as = {"/usr/bin/setpriv", "--reuid=10001", "--regid=10001", "--clear-groups"};
  }
  fs::path source = dir_ / "secret";
  testing::write_random_file(source, 1000, 5);
  Worker w(spool(), logs(), {}, as);
  ASSERT_TRUE(w.wait_event("started")) << w.log();
  fs::copy_file(source, inbox() / "locked.part");
  fs::permissions(inbox() / "locked.part", fs::perms::none);
  fs::rename(inbox() / "locked.part", inbox() / "locked");
  auto failed = w.wait_event("failed", "locked");
  ASSERT_TRUE(failed) << w.log();
  EXPECT_NE(read_text(spool() / "failed" / "locked.error").find("Permission denied"), std::string::npos);
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0);
}

TEST_F(NodeWorkerRun, HealthFailsWhenAbsentAndWhenStale) {
  auto absent = health();
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_NE(absent.out.find("absent"), std::string::npos) << absent.out;
  EXPECT_EQ(std::count(absent.out.begin(), absent.out.end(), '\n'), 1) << "one line: " << absent.out;
  auto binary = run({worker(), "health", "--binary-only", "--spool", spool().string()});
  EXPECT_EQ(binary.exit_code, 0);
  EXPECT_EQ(binary.out, fmt::format("lucid-node-worker {} ok\n", kLucidVersion));

  Worker w(spool(), logs());
  ASSERT_TRUE(w.wait_event("started")) << w.log();
  auto alive = health();  // default max age: 3 × the worker's 1 s heartbeat
  EXPECT_EQ(alive.exit_code, 0) << alive.out;
  // Still fresh two heartbeats later: the file is rewritten, not just written once.
  std::this_thread::sleep_for(2500ms);
  auto later = health({"--max-age", "2s"});
  EXPECT_EQ(later.exit_code, 0) << later.out;

  w.signal(SIGKILL);
  ASSERT_EQ(w.wait_exit(), 128 + SIGKILL);
  testing::RunResult stale;
  EXPECT_TRUE(wait_until(
      [&] {
        stale = health({"--max-age", "1s"});
        return stale.exit_code == 1;
      },
      kWait, 100ms))
      << stale.out;
  EXPECT_NE(stale.out.find("stale"), std::string::npos) << stale.out;
  EXPECT_EQ(health({"--max-age", "10m"}).exit_code, 0) << "freshness, not the pid, decides";
  auto bad = health({"--max-age", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(NodeWorkerRun, SigtermFinishesTheRecordingInHandAndExitsZero) {
  fs::path source = dir_ / "big";
  testing::write_random_file(source, 64 * kMiB, 9);
  Worker w(spool(), logs(), {"--threads", "1"});
  ASSERT_TRUE(w.wait_event("started")) << w.log();
  drop(inbox(), "big", source);
  // Signal while it is being sealed if we catch it (a staging directory exists), else right after.
  wait_until(
      [&] { return !hidden_entries(spool() / "sessions").empty() || present(spool() / "sessions" / "big"); },
      kWait, 1ms);
  w.signal(SIGTERM);
  EXPECT_EQ(w.wait_exit(), 0) << w.log();
  ASSERT_TRUE(w.wait_event("stopped")) << w.log();
  EXPECT_TRUE(hidden_entries(spool() / "sessions").empty());
  if (w.wait_event("sealed", "big")) {
    EXPECT_FALSE(present(inbox() / "big"));
    expect_round_trip("big", source);
  } else {  // abandoned before it began: the input waits in the inbox, nothing else exists
    EXPECT_TRUE(present(inbox() / "big"));
    EXPECT_FALSE(present(spool() / "sessions" / "big"));
  }
}

// The image as compose runs it: read-only root, uid 10001, no capabilities, only the spool writable.
TEST(NodeWorkerContainer, ServiceRunsReadOnlyAsNonRootAndStopsCleanly) {
  const std::string image = fmt::format("lucid/node-worker:{}", kLucidVersion);
  if (auto why = testing::ensure_docker(); !why.empty()) GTEST_SKIP() << why;
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the spool to uid 10001";
  if (testing::docker({"image", "inspect", image}).exit_code != 0) {
    // Not built yet (a fresh machine): build it as `lucidctl build` does for a site, locally.
    auto built =
        run({(bin_dir() / "lucidctl").string(), "build", "--stage", "3", "--images",
             (fs::path(LUCID_SOURCE_DIR) / "docker/images.yaml").string(), "--bin-dir", bin_dir().string()});
    ASSERT_EQ(built.exit_code, 0) << "lucidctl build --stage 3: " << built.out << built.err;
    ASSERT_EQ(testing::docker({"image", "inspect", image}).exit_code, 0) << image << " was not built";
  }
  ScratchDir dir;
  fs::path spool = dir / "spool";
  fs::create_directories(spool);
  ASSERT_EQ(::chown(spool.c_str(), 10001, 10001), 0);
  const std::string name = fmt::format("lucid-node-worker-e2e-{}", ::getpid());
  struct Remove {
    std::string name;
    ~Remove() { testing::docker({"rm", "-f", name}); }
  } remove{name};
  auto started = testing::docker({"run", "-d", "--name", name, "--read-only", "--user", "10001:10001",
                                  "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--tmpfs",
                                  "/tmp:rw,noexec,nosuid,nodev,size=64m", "--network", "none", "-v",
                                  spool.string() + ":/var/lib/lucid", image});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  testing::RunResult h;
  ASSERT_TRUE(wait_until(
      [&] {
        h = testing::docker({"exec", name, "/usr/local/bin/lucid-node-worker", "health"});
        return h.exit_code == 0;
      },
      kWait, 200ms))
      << h.out << h.err << testing::docker({"logs", name}).err;

  fs::path source = dir / "rec";
  testing::write_random_file(source, 3 * kMiB, 21);
  fs::copy_file(source, spool / "inbox" / "rec.part");
  fs::rename(spool / "inbox" / "rec.part", spool / "inbox" / "rec");
  ASSERT_TRUE(wait_until([&] { return !present(spool / "inbox" / "rec"); }, kWait))
      << testing::docker({"logs", name}).out;
  auto v = run({worker(), "verify", (spool / "sessions" / "rec").string(), "--node-pub",
                (spool / "node.key.pub").string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto o = run({worker(), "open", (spool / "sessions" / "rec").string(), "--session-key-file",
                (spool / "keys" / "rec.key").string(), "-o", (dir / "restored").string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(read_bytes(dir / "restored") == read_bytes(source));
  EXPECT_NE(testing::docker({"logs", name}).out.find("\"event\":\"sealed\""), std::string::npos);

  auto stop = testing::docker({"stop", "-t", "10", name});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  auto code = testing::docker({"inspect", "-f", "{{.State.ExitCode}}", name});
  EXPECT_EQ(code.out, "0\n");
}

}  // namespace
}  // namespace lucid::e2e
