// `lucidctl secrets check|decrypt|encrypt|edit` and `lucidctl render --cluster` with SOPS secrets,
// run as programs: exit codes, one-line errors, no partial output, keys only via env/file, and no
// plaintext secret on disk, in any process's argv, or in stderr while and after render runs.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/random.h"
#include "lucid/crypto/age.h"
#include "lucid/sops/sops_file.h"
#include "testing/testing.h"

extern char** environ;

namespace lucid::sops {
namespace {

namespace fs = std::filesystem;
using lucid::testing::run;
using lucid::testing::RunResult;
using lucid::testing::ScratchDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}
fs::path source_dir() {
  return testing::project_vectors_dir().parent_path().parent_path();
}
fs::path demo_keys() {
  return testing::project_vectors_dir() / "deploy-demo-keys";
}

// Sets (or clears) the key environment for one child run.
class KeyEnv {
 public:
  KeyEnv(const char* var, const std::string& value) {
    for (const char* v : {"AGE_PRIVATE_KEY", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"}) ::unsetenv(v);
    if (var != nullptr) ::setenv(var, value.c_str(), 1);
  }
  ~KeyEnv() {
    for (const char* v : {"AGE_PRIVATE_KEY", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"}) ::unsetenv(v);
  }
};

RunResult lucidctl(std::vector<std::string> args) {
  args.insert(args.begin(), (testing::bin_dir() / "lucidctl").string());
  return run(args);
}

bool one_line(const std::string& s) {
  return !s.empty() && s.find('\n') == s.size() - 1;
}

TEST(LucidctlSecrets, CheckTheReferenceRepoWithAndWithoutAKey) {
  std::string deploy = (source_dir() / "deploy").string();
  {
    KeyEnv env(nullptr, "");
    auto r = lucidctl({"secrets", "check", deploy});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("7 file(s), 0 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("MACs not verified"), std::string::npos);
  }
  {
    KeyEnv env("AGE_PRIVATE_KEY", slurp(demo_keys() / "operator-demo.agekey"));
    auto r = lucidctl({"secrets", "check", deploy});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("secrets/admin-1.enc.yaml: well formed, fully encrypted, MAC verified"),
              std::string::npos)
        << r.out;
  }
  // A tampered copy fails, naming the file and what failed.
  ScratchDir dir;
  fs::create_directories(dir / "secrets");
  std::string text = slurp(source_dir() / "deploy/secrets/obs-1.enc.yaml");
  auto at = text.find("cluster_unencrypted: obs-1");
  text.replace(at, 26, "cluster_unencrypted: obs-2");
  spit(dir / "secrets" / "obs-1.enc.yaml", text);
  spit(dir / "secrets" / "plain.enc.yaml", "a: 1\n");
  KeyEnv env("SOPS_AGE_KEY_FILE", (demo_keys() / "site-obs-1.agekey").string());
  auto r = lucidctl({"secrets", "check", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL secrets/obs-1.enc.yaml: MAC mismatch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL secrets/plain.enc.yaml: not a SOPS file"), std::string::npos) << r.out;
}

TEST(LucidctlSecrets, DecryptTheRealSopsFixturesToStdoutOrAPrivateFile) {
  auto shared = testing::shared_vectors_dir();
  if (!shared) GTEST_SKIP() << "../shared/vectors is absent (set LUCID_SHARED_VECTORS)";
  fs::path flux = *shared / "sops" / "fluxcd-kustomize-controller";
  KeyEnv env("SOPS_AGE_KEY_FILE", (flux / "keys" / "age.txt").string());
  auto r = lucidctl({"secrets", "decrypt", (flux / "algorithms_age.yaml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stringData:\n  key: value\n"), std::string::npos) << r.out;
  auto e = lucidctl({"secrets", "decrypt", (flux / "component_env.env").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "key=value\n");
  ScratchDir dir;
  fs::path out = dir / "plain.json";
  auto j = lucidctl({"secrets", "decrypt", (flux / "files_file.txt").string(), "-o", out.string()});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(j.out, "");
  // files_file.txt is sops's JSON envelope; by its extension it is read (JSON being YAML) and written as
  // YAML.
  EXPECT_EQ(slurp(out), "data: value\n");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(LucidctlSecrets, BadInputIsOneLineNonZeroAndNoOutput) {
  ScratchDir dir;
  fs::path good = dir / "good.yaml";
  std::string op_key = slurp(demo_keys() / "operator-demo.agekey");
  std::string text = slurp(source_dir() / "deploy/secrets/admin-1.enc.yaml");
  std::string armor = text;
  armor.replace(armor.find("-----END AGE ENCRYPTED FILE-----"), 5, "==== ");
  std::string truncated = text.substr(0, text.find("  lastmodified:"));
  std::string payload = text;  // cut the age payload inside the first stanza's armor
  {
    auto a = payload.find("-----BEGIN AGE ENCRYPTED FILE-----");
    auto b = payload.find("-----END AGE ENCRYPTED FILE-----", a);
    auto last_line = payload.rfind("\n        ", b - 10);
    payload.erase(last_line, b - 9 - last_line);
  }
  struct Case {
    const char* name;
    std::string content;
    std::string key;
    const char* says;
  } cases[] = {
      {"armor.enc.yaml", armor, op_key, "sops.age[0]"},
      {"truncated.enc.yaml", truncated, op_key, "sops.lastmodified: missing"},
      {"payload.enc.yaml", payload, op_key, "data key"},
      {"wrongkey.enc.yaml", text, slurp(demo_keys() / "site-relay-1.agekey"), "wrong key"},
      {"plain.yaml", "a: 1\nb: [x, y]\n", op_key, "not a SOPS file"},
      {"garbage.yaml", "a: [1, 2\n", op_key, "garbage.yaml"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path in = dir / c.name;
    spit(in, c.content);
    fs::path out = dir / (std::string(c.name) + ".out");
    KeyEnv env("AGE_PRIVATE_KEY", c.key);
    auto r = lucidctl({"secrets", "decrypt", in.string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("AGE-SECRET-KEY"), std::string::npos);
    auto o = lucidctl({"secrets", "decrypt", in.string(), "-o", out.string()});
    EXPECT_NE(o.exit_code, 0);
    EXPECT_FALSE(fs::exists(out));
  }
  // No key at all.
  KeyEnv none(nullptr, "");
  auto r = lucidctl({"secrets", "decrypt", (source_dir() / "deploy/secrets/admin-1.enc.yaml").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no age identity"), std::string::npos);
}

TEST(LucidctlSecrets, EncryptThenDecryptAndTheDataKeyOpensWithDebiansAge) {
  ScratchDir dir;
  auto id = crypto::X25519Identity::generate();
  std::string key_text = id.to_string() + "\n";
  fs::path key = dir / "key.txt";
  spit(key, key_text);
  spit(dir / "plain.yaml", "user: alice\npassword: hunter2\nport: 5432\n");
  auto e = lucidctl({"secrets", "encrypt", (dir / "plain.yaml").string(), "--age", id.recipient().to_string(),
                     "-o", (dir / "x.enc.yaml").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::string enc = slurp(dir / "x.enc.yaml");
  EXPECT_EQ(enc.find("hunter2"), std::string::npos);
  auto d = lucidctl({"secrets", "decrypt", (dir / "x.enc.yaml").string(), "--identity", key.string()});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, "user: alice\npassword: hunter2\nport: 5432\n");
  // .sops.yaml creation rule supplies recipients and selectors.
  spit(dir / ".sops.yaml",
       "creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^password$\n    age: " +
           id.recipient().to_string() + "\n");
  auto c = lucidctl({"secrets", "encrypt", (dir / "plain.yaml").string()});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("user: alice\n"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("encrypted_regex: ^password$"), std::string::npos);
  // The data key stanza is a real age file: Debian's age opens it.
  if (!testing::have_program("age")) GTEST_SKIP() << "age is not installed";
  auto f = sops_parse(enc, SopsFormat::kYaml, "x");
  ASSERT_TRUE(f);
  spit(dir / "dk.age", f->meta.groups[0][0].enc);
  auto a = run({"age", "-d", "-i", key.string(), (dir / "dk.age").string()});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out.size(), 32u);
}

TEST(LucidctlSecrets, EditReencryptsOnlyWhatChangedAndLeavesNoTemporary) {
  ScratchDir dir;
  auto id = crypto::X25519Identity::generate();
  fs::path key = dir / "key.txt";
  spit(key, id.to_string() + "\n");
  spit(dir / "plain.yaml", "a: one\nb: two\nc: 3\n");
  ASSERT_EQ(lucidctl({"secrets", "encrypt", (dir / "plain.yaml").string(), "--age",
                      id.recipient().to_string(), "-o", (dir / "s.enc.yaml").string()})
                .exit_code,
            0);
  auto before = sops_parse(slurp(dir / "s.enc.yaml"), SopsFormat::kYaml, "s");
  ASSERT_TRUE(before);
  // The editor: records where it was run and the modes, then changes b.
  fs::path log = dir / "editor.log";
  fs::path editor = dir / "editor.sh";
  spit(editor, "#!/bin/sh\nstat -c '%a %n' \"$1\" \"$(dirname \"$1\")\" > " + log.string() +
                   "\nsed -i 's/^b: two$/b: deux/' \"$1\"\n");
  fs::permissions(editor, fs::perms::owner_all);
  ::setenv("EDITOR", editor.c_str(), 1);
  auto r = lucidctl({"secrets", "edit", (dir / "s.enc.yaml").string(), "--identity", key.string()});
  ::unsetenv("EDITOR");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string l = slurp(log);
  EXPECT_EQ(l.substr(0, 4), "600 ") << l;
  auto nl = l.find('\n');
  EXPECT_EQ(l.substr(nl + 1, 4), "700 ") << l;
  fs::path tmp_file = l.substr(4, nl - 4);
  EXPECT_FALSE(fs::exists(tmp_file));
  EXPECT_FALSE(fs::exists(tmp_file.parent_path()));
  auto after = sops_parse(slurp(dir / "s.enc.yaml"), SopsFormat::kYaml, "s");
  ASSERT_TRUE(after);
  EXPECT_EQ(sops_lookup(after->data, "a")->text, sops_lookup(before->data, "a")->text);
  EXPECT_EQ(sops_lookup(after->data, "c")->text, sops_lookup(before->data, "c")->text);
  EXPECT_NE(sops_lookup(after->data, "b")->text, sops_lookup(before->data, "b")->text);
  EXPECT_NE(after->meta.mac, before->meta.mac);
  auto d = lucidctl({"secrets", "decrypt", (dir / "s.enc.yaml").string(), "--identity", key.string()});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, "a: one\nb: deux\nc: 3\n");
  // An editor that fails leaves the file as it was.
  std::string now = slurp(dir / "s.enc.yaml");
  ::setenv("EDITOR", "false", 1);
  auto f = lucidctl({"secrets", "edit", (dir / "s.enc.yaml").string(), "--identity", key.string()});
  ::unsetenv("EDITOR");
  EXPECT_NE(f.exit_code, 0);
  EXPECT_EQ(slurp(dir / "s.enc.yaml"), now);
}

// --- render with secrets: values only in memory and in the output ---------------------------------

// Every regular file under `root` (skipping build trees and .git) that contains any of `needles`.
std::vector<std::string> files_containing(const fs::path& root, const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  std::error_code ec;
  if (!fs::exists(root, ec)) return hits;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const auto name = it->path().filename().string();
    if (it->is_directory(ec) &&
        (name == ".git" || name == "build" || name == "node_modules" || name == "proc")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || it->file_size(ec) > (64u << 20)) continue;
    std::string body = slurp(it->path());
    for (const auto& n : needles)
      if (body.find(n) != std::string::npos) hits.push_back(it->path().string());
  }
  return hits;
}

// Every /proc/<pid>/cmdline that contains any of `needles`.
std::vector<std::string> cmdlines_containing(const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = slurp(e.path() / "cmdline");
    for (const auto& n : needles)
      if (cmd.find(n) != std::string::npos) hits.push_back(pid);
  }
  return hits;
}

TEST(LucidctlRender, ResolvesSecretsAndNoPlaintextIsLeftAnywhere) {
  ScratchDir dir;
  fs::path repo = dir / "repo";
  fs::copy(source_dir() / "deploy", repo, fs::copy_options::recursive);
  // Fresh secret values that exist nowhere but in this process (not in manifest.json).
  auto fresh = [] {
    std::vector<std::uint8_t> b(16);
    random_bytes(b);
    return "lucid-test-" + to_hex(b);
  };
  std::vector<std::string> secrets = {fresh(), fresh(), fresh()};
  auto site = crypto::X25519Identity::generate();
  {
    SopsNode plain = SopsNode::mapping();
    plain.entries.emplace_back("cluster_unencrypted", SopsNode::scalar(SopsType::kStr, "edge-node-eu-1"));
    SopsNode s3 = SopsNode::mapping();
    s3.entries.emplace_back("access_key", SopsNode::scalar(SopsType::kStr, secrets[0]));
    s3.entries.emplace_back("secret_key", SopsNode::scalar(SopsType::kStr, secrets[1]));
    plain.entries.emplace_back("s3", std::move(s3));
    SopsNode ledger = SopsNode::mapping();
    ledger.entries.emplace_back("pubkeys", SopsNode::scalar(SopsType::kStr, secrets[2]));
    plain.entries.emplace_back("ledger", std::move(ledger));
    auto r = site.recipient();
    auto f = sops_encrypt(std::move(plain), SopsFormat::kYaml, std::span(&r, 1), {});
    ASSERT_TRUE(f);
    spit(repo / "secrets" / "edge-node-eu-1.enc.yaml", *sops_serialize(*f));
  }
  std::string site_key = site.to_string();
  // Run render with a tiny stdout pipe that we do not drain at first: lucidctl blocks while it holds
  // the decrypted values, and we search the process list and the filesystem meanwhile.
  int out_pipe[2], err_pipe[2];
  ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  ::fcntl(out_pipe[1], F_SETPIPE_SZ, 4096);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::string bin = (testing::bin_dir() / "lucidctl").string();
  std::vector<std::string> argv = {bin, "render", "--cluster", "edge-node-eu-1", repo.string()};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  {
    KeyEnv env("AGE_PRIVATE_KEY", site_key);
    ASSERT_EQ(::posix_spawn(&pid, bin.c_str(), &fa, nullptr, args.data(), environ), 0);
  }
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // Wait until lucidctl has written (it is then past decryption) and is blocked or done.
  pollfd p{out_pipe[0], POLLIN, 0};
  ASSERT_GT(::poll(&p, 1, 20000), 0);
  ::usleep(200 * 1000);
  bool alive = ::waitpid(pid, nullptr, WNOHANG) == 0;
  std::vector<std::string> in_argv = cmdlines_containing(secrets);
  std::vector<std::string> on_disk;
  std::vector<fs::path> roots = {dir.path(), "/tmp", "/dev/shm", source_dir()};
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') roots.emplace_back(t);
  for (const auto& root : roots)
    for (auto& h : files_containing(root, secrets)) on_disk.push_back(h);
  // Drain and reap.
  std::string out, err;
  char buf[65536];
  for (int fd : {out_pipe[0], err_pipe[0]}) {
    std::string& sink = fd == out_pipe[0] ? out : err;
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) sink.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_TRUE(alive) << "render finished before the search (output fit the pipe); the search ran after exit";
  // S3 keys are used by the node profile's services; LEDGER_PUBKEYS (walletd) is resolved but unused.
  EXPECT_NE(out.find(secrets[0]), std::string::npos) << "S3_ACCESS_KEY missing from the render output";
  EXPECT_NE(out.find(secrets[1]), std::string::npos) << "S3_SECRET_KEY missing from the render output";
  for (const auto& s : secrets) EXPECT_EQ(err.find(s), std::string::npos) << "a secret value reached stderr";
  EXPECT_TRUE(in_argv.empty()) << "secret value in /proc/" << (in_argv.empty() ? "" : in_argv[0])
                               << "/cmdline";
  EXPECT_TRUE(on_disk.empty()) << "secret value on disk: " << (on_disk.empty() ? "" : on_disk[0]);
  EXPECT_EQ(out.find(site_key), std::string::npos);
  EXPECT_EQ(err.find(site_key), std::string::npos);

  // The same render with the wrong key: one line, no values, no output.
  KeyEnv env("AGE_PRIVATE_KEY", crypto::X25519Identity::generate().to_string());
  auto r = lucidctl({"render", "--cluster", "edge-node-eu-1", repo.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("enc:sops:edge-node-eu-1.enc.yaml#"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrong key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lucid::sops
