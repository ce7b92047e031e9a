// Issue 12, "What must be shown" 6 (and item 4's private Compose directory), with the real lucidctl,
// docker-compose and Docker engine:
// - a key-holding lucidctl (AGE_PRIVATE_KEY set) starts children — $EDITOR for `secrets edit`, git
//   for `reconcile` — and no child's /proc/<pid>/environ holds key material, nor does lucidctl's own;
// - that lucidctl has RLIMIT_CORE 0 and is not dumpable while it runs, and SIGSEGV/SIGABRT of it
//   leave no core file, started with `ulimit -c unlimited` in a writable cwd on a machine whose
//   core_pattern writes core files there (a control process shows that it does);
// - the state dir is 0700 and state.db 0600, also when they existed with wider modes;
// - Compose runs in a fresh empty 0700 directory, so a planted `.env` is not read.
// The `observe-*` scripts are observers, not fakes: they record what they were given and wait.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lucid/base/subprocess.h"
#include "lucid/engine/compose_apply.h"
#include "testing/docker.h"
#include "testing/testing.h"

namespace lucid {
namespace {

namespace fs = std::filesystem;
namespace lt = lucid::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uid_t kServiceUid = 10001;  // the images' service user; lucidctl runs as it when we are root

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_script(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                         fs::perms::others_read | fs::perms::others_exec);
}

fs::path source_dir() {
  return lt::project_vectors_dir().parent_path().parent_path();
}

// The key text line of an age identity file ("AGE-SECRET-KEY-1…").
std::string key_line(const std::string& identity_file_text) {
  auto at = identity_file_text.find("AGE-SECRET-KEY-1");
  return identity_file_text.substr(at, identity_file_text.find('\n', at) - at);
}

// The pid an observer wrote to `file`, waiting up to `limit`; -1 when none came.
pid_t wait_pid_file(const fs::path& file, std::chrono::milliseconds limit) {
  for (auto until = Clock::now() + limit; Clock::now() < until; std::this_thread::sleep_for(20ms)) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
  }
  return -1;
}

std::string proc_file(pid_t pid, const char* name) {
  return slurp(fs::path("/proc") / std::to_string(pid) / name);
}

// A process's environment block. The observer scripts announce their pid and then exec `sleep`;
// while the kernel is inside that execve, /proc/<pid>/environ reads as empty (the new image's
// environment is not placed yet), so an empty read is retried for a bounded time.
std::string environ_of(pid_t pid) {
  std::string env = proc_file(pid, "environ");
  for (auto until = Clock::now() + 3s; env.empty() && Clock::now() < until; env = proc_file(pid, "environ"))
    std::this_thread::sleep_for(10ms);
  return env;
}

using lucid::testing::ScopedEnv;

// A scratch directory the process under test can use: owned by uid 10001 when we are root.
class Workdir {
 public:
  Workdir() {
    if (::geteuid() == 0) {
      EXPECT_EQ(::chown(dir_.path().c_str(), kServiceUid, kServiceUid), 0);
    }
  }
  fs::path operator/(const std::string& name) const { return dir_ / name; }
  const fs::path& path() const { return dir_.path(); }
  void give(const fs::path& p) const {
    if (::geteuid() == 0) {
      EXPECT_EQ(::chown(p.c_str(), kServiceUid, kServiceUid), 0);
    }
  }
  bool has_core_file() const {
    for (const auto& e : fs::directory_iterator(dir_.path()))
      if (e.path().filename().string().starts_with("core")) return true;
    return false;
  }

 private:
  lt::ScratchDir dir_;
};

// `command` under /bin/sh in `cwd` with the core limit raised to unlimited, then exec'd (same pid)
// — as uid 10001 when we are root, so that "not dumpable" is visible as root-owned /proc files.
int spawn_with_cores(const fs::path& cwd, const std::string& command, const fs::path& out,
                     const fs::path& err) {
  std::string as = ::geteuid() == 0
                       ? fmt::format("/usr/bin/setpriv --reuid={0} --regid={0} --clear-groups ", kServiceUid)
                       : "";
  return lt::spawn({"/bin/sh", "-c",
                    fmt::format("cd '{}' && ulimit -c unlimited && exec {}{}", cwd.string(), as, command)},
                   out, err);
}

// The wait status of our child `pid`, or nullopt if it does not end within `limit`.
std::optional<int> wait_status(pid_t pid, std::chrono::milliseconds limit) {
  for (auto until = Clock::now() + limit; Clock::now() < until; std::this_thread::sleep_for(10ms)) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
  }
  return std::nullopt;
}

bool core_pattern_writes_files() {
  std::string pattern = slurp("/proc/sys/kernel/core_pattern");
  return !pattern.empty() && pattern[0] != '|';
}

// Observer: records its pid, its environment and argv, then waits to be inspected and killed.
std::string observer_script(const fs::path& dir, const std::string& name) {
  return fmt::format(
      "#!/bin/sh\n"
      "# Observer only: records what it was started with, then waits to be killed.\n"
      "tr '\\000' '\\n' < /proc/$$/environ > '{0}/{1}.env'\n"
      "printf '%s\\n' \"$@\" > '{0}/{1}.args'\n"
      "echo $$ > '{0}/{1}.pid.part' && mv '{0}/{1}.pid.part' '{0}/{1}.pid'\n"
      "exec sleep 120\n",
      dir.string(), name);
}

class KeyHoldingLucidctl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() == 0 && !fs::exists("/usr/bin/setpriv"))
      GTEST_SKIP() << "root, and no /usr/bin/setpriv (util-linux) to run lucidctl as uid 10001";
    identity_ = slurp(lt::project_vectors_dir() / "deploy-demo-keys" / "operator-demo.agekey");
    key_ = key_line(identity_);
    ASSERT_GT(key_.size(), 20u);
    // The key body without its prefix: found in any copy of the key however it is framed.
    key_body_ = key_.substr(std::string("AGE-SECRET-KEY-1").size());
  }

  std::string identity_, key_, key_body_;
};

// `secrets edit` decrypts and starts $EDITOR: the editor gets the environment (it needs TERM,
// DISPLAY, …) but not the key variables; lucidctl's own environ no longer shows the key; limits
// and dumpable hold; the signal leaves no core.
TEST_F(KeyHoldingLucidctl, EditorChildHasNoKeyAndACrashLeavesNoCore) {
  for (int sig : {SIGSEGV, SIGABRT}) {
    SCOPED_TRACE(strsignal(sig));
    Workdir dir;
    fs::path file = dir / "edge.enc.yaml";
    fs::copy_file(source_dir() / "deploy" / "secrets" / "edge-node-eu-1.enc.yaml", file);
    dir.give(file);
    write_script(dir / "observe-editor", observer_script(dir.path(), "editor"));
    ScopedEnv key("AGE_PRIVATE_KEY", identity_);
    ScopedEnv sops("SOPS_AGE_KEY", identity_);
    ScopedEnv editor("EDITOR", (dir / "observe-editor").string());
    ScopedEnv marker("LUCID_E2E_MARKER", "visible");
    pid_t pid =
        spawn_with_cores(dir.path(), (lt::bin_dir() / "lucidctl").string() + " secrets edit " + file.string(),
                         dir / "out", dir / "err");
    ASSERT_GT(pid, 0);
    pid_t child = wait_pid_file(dir / "editor.pid", 20s);
    if (child <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      FAIL() << "the editor never started: " << slurp(dir / "err");
    }
    // The editor's temporary plaintext file is removed below: killing lucidctl leaves it behind.
    fs::path plaintext = [&] {
      std::string args = slurp(dir / "editor.args");
      return fs::path(args.substr(0, args.find('\n')));
    }();

    std::string child_env = environ_of(child);
    EXPECT_NE(child_env.find("LUCID_E2E_MARKER=visible"), std::string::npos) << "not the editor's environ?";
    EXPECT_EQ(child_env.find(key_body_), std::string::npos) << "key material in the editor's environment";
    EXPECT_EQ(child_env.find("AGE_PRIVATE_KEY"), std::string::npos);
    EXPECT_EQ(child_env.find("SOPS_AGE_KEY"), std::string::npos);
    EXPECT_EQ(slurp(dir / "editor.env").find(key_body_), std::string::npos);

    // lucidctl itself: the variables' bytes were wiped where /proc/<pid>/environ reads them.
    std::string own_env = proc_file(pid, "environ");
    EXPECT_NE(own_env.find("LUCID_E2E_MARKER=visible"), std::string::npos) << "not lucidctl's environ?";
    EXPECT_EQ(own_env.find(key_body_), std::string::npos) << "the key is still in lucidctl's environ block";
    std::string limits = proc_file(pid, "limits");
    auto core_line = limits.find("Max core file size");
    ASSERT_NE(core_line, std::string::npos);
    std::string line = limits.substr(core_line, limits.find('\n', core_line) - core_line);
    EXPECT_EQ(line.find("unlimited"), std::string::npos) << line;
    EXPECT_NE(line.find(" 0 "), std::string::npos) << line;
    // Not dumpable: the kernel makes /proc/<pid>/ entries (not the directory) root's.
    struct stat st {};
    ASSERT_EQ(::stat(fmt::format("/proc/{}/environ", pid).c_str(), &st), 0);
    const uid_t runs_as = ::geteuid() == 0 ? kServiceUid : ::geteuid();
    if (runs_as != 0) {
      EXPECT_EQ(st.st_uid, 0u) << "lucidctl is dumpable (its /proc entries are its own)";
    }

    ::kill(pid, sig);
    auto status = wait_status(pid, 10s);
    ::kill(child, SIGKILL);
    std::error_code ec;
    if (!plaintext.empty() && plaintext.is_absolute()) fs::remove_all(plaintext.parent_path(), ec);
    ASSERT_TRUE(status) << "lucidctl did not die of the signal";
    ASSERT_TRUE(WIFSIGNALED(*status)) << "status " << *status << " " << slurp(dir / "err");
    EXPECT_EQ(WTERMSIG(*status), sig);
    EXPECT_FALSE(WCOREDUMP(*status)) << "the kernel dumped core";
    EXPECT_FALSE(dir.has_core_file());
  }
}

// The control for the core checks above: the same launch with a program that does not harden
// itself does dump core here, so "no core" above is lucidctl's doing, not the machine's.
TEST_F(KeyHoldingLucidctl, ControlAnUnhardenedProcessDumpsCoreHere) {
  if (!core_pattern_writes_files())
    GTEST_SKIP() << "core_pattern pipes cores to a handler ('" << slurp("/proc/sys/kernel/core_pattern")
                 << "'): no core file appears in the cwd either way; the WCOREDUMP checks still hold";
  Workdir dir;
  pid_t pid = spawn_with_cores(dir.path(), "/bin/sleep 60", dir / "out", dir / "err");
  ASSERT_GT(pid, 0);
  // Signal sleep itself, not sh or setpriv before their exec.
  for (auto until = Clock::now() + 5s; Clock::now() < until && proc_file(pid, "comm") != "sleep\n";)
    std::this_thread::sleep_for(10ms);
  ::kill(pid, SIGSEGV);
  auto status = wait_status(pid, 10s);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFSIGNALED(*status));
  EXPECT_TRUE(WCOREDUMP(*status)) << "this machine writes no core for a plain crash: core_pattern '"
                                  << slurp("/proc/sys/kernel/core_pattern") << "'";
  EXPECT_TRUE(dir.has_core_file());
}

// `reconcile` with the key in its environment: the git it starts (through run_process) gets the
// allow-listed environment only.
TEST_F(KeyHoldingLucidctl, GitChildOfReconcileHasNoKey) {
  std::string why = lt::ensure_docker();
  if (!why.empty())
    GTEST_SKIP() << "no Docker engine (reconcile negotiates with it before fetching): " << why;
  lt::ScratchDir dir;
  fs::create_directories(dir / "observer-bin");
  write_script(dir / "observer-bin" / "git", observer_script(dir.path(), "git"));
  ScopedEnv key("AGE_PRIVATE_KEY", identity_);
  ScopedEnv sops("SOPS_AGE_KEY", identity_);
  ScopedEnv marker("LUCID_E2E_MARKER", "not-allow-listed");
  ScopedEnv path("PATH", (dir / "observer-bin").string() + ":" + std::getenv("PATH"));
  pid_t pid = lt::spawn({(lt::bin_dir() / "lucidctl").string(), "reconcile", "--once", "--repo",
                         (dir / "no-repo").string(), "--cluster", fmt::format("secrets-e2e-{}", ::getpid()),
                         "--state-dir", (dir / "state").string(), "--insecure-skip-image-verify"},
                        dir / "out", dir / "err");
  ASSERT_GT(pid, 0);
  pid_t child = wait_pid_file(dir / "git.pid", 30s);
  std::string child_env = child > 0 ? environ_of(child) : "";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  if (child > 0) ::kill(child, SIGKILL);
  ASSERT_GT(child, 0) << "lucidctl reconcile never ran git: " << slurp(dir / "err");
  EXPECT_NE(child_env.find("PATH=" + (dir / "observer-bin").string()), std::string::npos) << child_env;
  EXPECT_EQ(child_env.find(key_body_), std::string::npos) << "key material in git's environment";
  EXPECT_EQ(child_env.find("AGE_PRIVATE_KEY"), std::string::npos) << child_env;
  EXPECT_EQ(child_env.find("SOPS_AGE_KEY"), std::string::npos) << child_env;
  EXPECT_EQ(child_env.find("LUCID_E2E_MARKER"), std::string::npos) << "not allow-listed, yet passed";
}

// The reconciler's state: a new state dir is made 0700 and state.db 0600; an existing one left
// open to others is tightened when lucidctl opens the store.
TEST(StateDirectory, PrivateWhenCreatedAndTightenedWhenOpened) {
  lt::ScratchDir dir;
  auto mode = [](const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 01000000u;
  };
  fs::path fresh = dir / "fresh";
  fs::path old = dir / "old";
  fs::create_directories(old);
  std::ofstream(old / "state.db").close();  // an empty file is a new SQLite database
  ::chmod(old.c_str(), 0755);
  ::chmod((old / "state.db").c_str(), 0644);
  for (const fs::path& state : {fresh, old}) {
    auto r = lt::run({(lt::bin_dir() / "lucidctl").string(), "status", "--state-dir", state.string()});
    EXPECT_NE(r.exit_code, 2) << r.err;
    EXPECT_EQ(mode(state), 0700u) << state;
    EXPECT_EQ(mode(state / "state.db"), 0600u) << state;
    for (const char* side : {"state.db-wal", "state.db-shm"})
      if (fs::exists(state / side)) {
        EXPECT_EQ(mode(state / side), 0600u) << state / side;
      }
  }
}

// Compose with `-f -` reads `.env` from its working directory. Planted in our cwd and in $TMPDIR
// (where a private directory is made), it is not read; an observer in front of docker-compose sees
// a fresh, empty 0700 directory that is gone afterwards. The control run shows the planted file
// would be read by Compose in a directory that has it.
TEST(ComposePrivateDirectory, PlantedDotEnvIsNotRead) {
  std::string why = lt::ensure_docker();
  if (!why.empty()) GTEST_SKIP() << "no Docker engine: " << why;
  ProcessOptions which;
  which.argv = {"sh", "-c", "command -v docker-compose"};
  auto real = run_process(which);
  if (!real || real->exit_code != 0) GTEST_SKIP() << "no docker-compose (v1) to observe";
  std::string real_compose = real->out.substr(0, real->out.find('\n'));

  lt::ScratchDir dir;
  fs::create_directories(dir / "observer-bin");
  fs::create_directories(dir / "tmp");
  fs::create_directories(dir / "cwd");
  for (const char* where : {"tmp", "cwd"})
    std::ofstream(dir / where / ".env") << "PLANTED_BY_DOTENV=planted\n";
  write_script(
      dir / "observer-bin" / "docker-compose",
      fmt::format(
          "#!/bin/sh\n"
          "# Observer only: records where Compose runs, then runs the real one.\n"
          "printf '%s|%s|%s|%s\\n' \"$*\" \"$(pwd)\" \"$(stat -c %a .)\" \"$(ls -A | wc -l)\" >> '{}'\n"
          "exec '{}' \"$@\"\n",
          (dir / "compose.log").string(), real_compose));
  ScopedEnv path("PATH", (dir / "observer-bin").string() + ":" + std::getenv("PATH"));
  ScopedEnv tmp("TMPDIR", (dir / "tmp").string());
  auto tool = engine::find_compose();
  if (!tool) GTEST_SKIP() << tool.error().message;
  if (tool->argv.size() != 1)
    GTEST_SKIP() << "Compose v2 is installed; the docker-compose observer is not used";

  const std::string prefix = fmt::format("lucidsecrets{}", ::getpid());
  const std::string image = prefix + ":test";
  why = lt::build_busybox_image(image);
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string project = "lucid-" + prefix;
  const std::string yaml = fmt::format(
      "services:\n"
      "  probe:\n"
      "    image: {}\n"
      "    stop_grace_period: 1s\n"
      "    labels:\n"
      "      com.lucid.test.planted: \"${{PLANTED_BY_DOTENV:-absent}}\"\n",
      image);

  // Control: Compose in a directory holding the .env reads it.
  ProcessOptions control;
  control.argv = {real_compose, "-p", project, "-f", "-", "config"};
  control.stdin_bytes = yaml;
  control.cwd = dir / "cwd";
  auto seen = run_process(control);
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_NE(seen->out.find("planted"), std::string::npos) << "control: the planted .env was not read\n"
                                                          << seen->out << seen->err;

  fs::path old_cwd = fs::current_path();
  fs::current_path(dir / "cwd");
  auto applied = engine::apply(yaml, project);
  fs::current_path(old_cwd);
  std::string label;
  if (applied) {
    auto r = lt::docker(
        {"inspect", "-f", "{{index .Config.Labels \"com.lucid.test.planted\"}}", project + "_probe_1"});
    label = r.out.substr(0, r.out.find('\n'));
  }
  engine::ApplyOptions down;
  down.timeout = 60s;
  (void)engine::down(project, down);
  lt::remove_project_containers(project);
  lt::docker({"rmi", "-f", image});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(label, "absent") << "Compose read a planted .env";

  std::string log = slurp(dir / "compose.log");
  auto up = log.find("up -d");
  ASSERT_NE(up, std::string::npos) << log;
  std::string line = log.substr(up, log.find('\n', up) - up);
  auto field = [&](int n) {
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) at = line.find('|', at) + 1;
    return line.substr(at, line.find('|', at) - at);
  };
  fs::path cwd = field(1);
  EXPECT_EQ(cwd.parent_path(), dir / "tmp") << line;
  EXPECT_TRUE(cwd.filename().string().starts_with("lucid-compose-")) << line;
  EXPECT_EQ(field(2), "700") << line;
  EXPECT_EQ(field(3), "0") << "the directory was not empty: " << line;
  EXPECT_FALSE(fs::exists(cwd)) << "the private directory was left behind";
}

}  // namespace
}  // namespace lucid
