// Test helpers around the real ssh-keygen and git: generating keys, signing with -Y sign, verifying
// with -Y verify, and making commits in temporary repositories (global/system git config ignored).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "testing/testing.h"

namespace lucid::gitsig::testing_tools {

namespace fs = std::filesystem;

struct TestKey {
  fs::path private_key;
  std::string type;         // "ssh-ed25519", …
  std::string public_text;  // "<type> <base64>"
  std::string fingerprint;  // as ssh-keygen -l prints it
};

// Why ssh-keygen/git cannot be used here, or "" when both are present.
std::string missing_tools();

// ssh-keygen -t <kind> [-b bits]; kind "ed25519", "ecdsa" (bits 256/384/521) or "rsa".
TestKey make_key(const fs::path& dir, const std::string& name, const std::string& kind, int bits = 0);

// ssh-keygen -Y sign -n ns: the armored signature of `message`.
// `extra` goes before the file name, e.g. {"-O", "hashalg=sha256"}.
std::string sign(const fs::path& dir, const TestKey& key, const std::string& ns, const std::string& message,
                 const std::vector<std::string>& extra = {});

// ssh-keygen -Y verify: true when it accepts `signature` over `message` by `principal` in `ns`.
bool ssh_keygen_verifies(const fs::path& dir, const fs::path& allowed_signers, const std::string& principal,
                         const std::string& ns, const std::string& signature, const std::string& message);

// Runs git with the given args (no shell); fails the test on a non-zero exit; returns stdout.
std::string git(const fs::path& repo, const std::vector<std::string>& args);
lucid::testing::RunResult git_try(const fs::path& repo, const std::vector<std::string>& args);

// A fresh repository with user name/email set.
void init_repo(const fs::path& repo);
// Writes `files` (relative path → content), adds them and commits; signed with `key` when given.
// Returns the commit id.
std::string commit(const fs::path& repo, const std::string& message, const TestKey* key,
                   const std::vector<std::pair<std::string, std::string>>& files = {});
// Writes a raw commit object with git hash-object -t commit -w; returns its id.
std::string write_commit_object(const fs::path& repo, const std::string& raw);
// Inserts `signature` as a gpgsig header at the end of the headers of an unsigned commit object.
std::string graft_signature(const std::string& unsigned_raw, const std::string& signature);

}  // namespace lucid::gitsig::testing_tools
