#include "gitsig/ssh_tools.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lucid::gitsig::testing_tools {

using lucid::testing::run;
using lucid::testing::RunResult;

namespace {

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}
std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The tests must not depend on the user's git configuration (signing defaults, hooks, …).
struct GitEnvironment {
  GitEnvironment() {
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  }
};
const GitEnvironment kGitEnvironment;

int counter = 0;

}  // namespace

std::string missing_tools() {
  if (!lucid::testing::have_program("ssh-keygen"))
    return "ssh-keygen not found (apt-get install openssh-client)";
  if (!lucid::testing::have_program("git")) return "git not found (apt-get install git)";
  return "";
}

TestKey make_key(const fs::path& dir, const std::string& name, const std::string& kind, int bits) {
  TestKey k;
  k.private_key = dir / name;
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", kind, "-N",
                                   "",           "-C", name, "-f", k.private_key.string()};
  if (bits != 0) {
    argv.push_back("-b");
    argv.push_back(std::to_string(bits));
  }
  auto r = run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string pub = read_text(k.private_key.string() + ".pub");
  std::istringstream in(pub);
  std::string b64;
  in >> k.type >> b64;
  k.public_text = k.type + " " + b64;
  auto l = run({"ssh-keygen", "-l", "-E", "sha256", "-f", k.private_key.string() + ".pub"});
  EXPECT_EQ(l.exit_code, 0) << l.err;
  std::istringstream lin(l.out);
  std::string size;
  lin >> size >> k.fingerprint;
  return k;
}

std::string sign(const fs::path& dir, const TestKey& key, const std::string& ns, const std::string& message,
                 const std::vector<std::string>& extra) {
  fs::path msg = dir / ("msg-" + std::to_string(++counter));
  write_text(msg, message);
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-Y", "sign", "-f", key.private_key.string(),
                                   "-n",         ns};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(msg.string());
  auto r = run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read_text(msg.string() + ".sig");
}

bool ssh_keygen_verifies(const fs::path& dir, const fs::path& allowed_signers, const std::string& principal,
                         const std::string& ns, const std::string& signature, const std::string& message) {
  fs::path msg = dir / ("vmsg-" + std::to_string(++counter));
  fs::path sig = dir / ("vsig-" + std::to_string(counter));
  write_text(msg, message);
  write_text(sig, signature);
  auto r = run({"ssh-keygen", "-Y", "verify", "-f", allowed_signers.string(), "-I", principal, "-n", ns, "-s",
                sig.string()},
               msg);
  return r.exit_code == 0;
}

RunResult git_try(const fs::path& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::string git(const fs::path& repo, const std::vector<std::string>& args) {
  auto r = git_try(repo, args);
  EXPECT_EQ(r.exit_code, 0) << "git " << (args.empty() ? "" : args[0]) << ": " << r.err;
  return r.out;
}

void init_repo(const fs::path& repo) {
  fs::create_directories(repo);
  git(repo, {"init", "-q", "-b", "main"});
  git(repo, {"config", "user.name", "Test Signer"});
  git(repo, {"config", "user.email", "signer@example.test"});
}

std::string commit(const fs::path& repo, const std::string& message, const TestKey* key,
                   const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [path, content] : files) {
    fs::create_directories((repo / path).parent_path());
    write_text(repo / path, content);
    git(repo, {"add", path});
  }
  std::vector<std::string> args;
  if (key != nullptr) {
    args = {"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key->private_key.string(), "commit", "-q",
            "-S"};
  } else {
    args = {"commit", "-q", "--no-gpg-sign"};
  }
  args.insert(args.end(), {"--allow-empty", "-m", message});
  git(repo, args);
  std::string id = git(repo, {"rev-parse", "HEAD"});
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

std::string write_commit_object(const fs::path& repo, const std::string& raw) {
  fs::path f = repo.parent_path() / ("object-" + std::to_string(++counter));
  write_text(f, raw);
  std::string id = git(repo, {"hash-object", "-t", "commit", "-w", f.string()});
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

std::string graft_signature(const std::string& unsigned_raw, const std::string& signature) {
  std::size_t end = unsigned_raw.find("\n\n");
  std::string header = "gpgsig";
  std::size_t pos = 0;
  bool first = true;
  while (pos < signature.size()) {
    std::size_t eol = signature.find('\n', pos);
    if (eol == std::string::npos) eol = signature.size();
    header += (first ? " " : "\n ") + signature.substr(pos, eol - pos);
    first = false;
    pos = eol + 1;
  }
  return unsigned_raw.substr(0, end + 1) + header + unsigned_raw.substr(end);
}

}  // namespace lucid::gitsig::testing_tools
