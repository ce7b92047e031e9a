// The console's clone of the config repo: a bare mirror of the remote's branches and Lucid's tags
// under the console's directory. Every change it makes is a git object pushed to the remote — a
// fast-forward of a wave ref, a signed revert commit, a pause tag — so the console holds no state
// that Git does not. git runs as a subprocess without a shell; commits and tags are signed by the
// ordinary git signing configuration (gpg.format, user.signingkey) or the key given.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::rollout {

// How the console signs what it writes. Empty `ssh_key`: git's own configuration decides (which
// must sign: an unsigned commit is refused by every site).
struct Signing {
  std::string ssh_key;  // a private key file for gpg.format=ssh, or ""
};

// A wave's pause: an annotated tag `refs/tags/lucid/paused/<wave>` whose message says who paused it,
// when and why.
struct Pause {
  std::string wave, message;
};

class ConfigRepo {
 public:
  // Opens (cloning as a bare mirror when absent) the clone of `url` at `dir`.
  static Result<ConfigRepo> open(const std::string& url, const std::filesystem::path& dir);

  const std::string& url() const { return url_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Fetches every branch and every `lucid/` tag of the remote (pruning what it deleted).
  Status fetch() const;
  // The commit `ref` points at in the clone; "" when there is no such ref.
  Result<std::string> resolve(const std::string& ref) const;
  // The commit of the remote's default branch as last fetched: its HEAD, else main, else master.
  Result<std::string> head() const;
  // A file's text at `commit`; nullopt when absent.
  Result<std::optional<std::string>> read_file(const std::string& commit, const std::string& path) const;
  Result<bool> is_ancestor(const std::string& ancestor, const std::string& descendant) const;
  // `git diff` between two commits (text; with --stat first).
  Result<std::string> diff(const std::string& from, const std::string& to) const;
  // The first line of a commit's message.
  Result<std::string> subject(const std::string& commit) const;

  // Moves the remote's `ref` to `commit` — refused by the remote unless it is a fast-forward — then
  // the clone's.
  Status fast_forward(const std::string& ref, const std::string& commit) const;
  // A signed commit whose tree is `target`'s, with parent `head`: the content of `target` rolled
  // forward on top of `head`. Returns its id (not pushed).
  Result<std::string> commit_tree_of(const std::string& target, const std::string& head,
                                     const std::string& message, const Signing& signing) const;

  Result<std::optional<Pause>> pause_of(const std::string& wave) const;
  // Pushes the pause tag of `wave` on `commit` (refused when the wave is already paused).
  Status pause(const std::string& wave, const std::string& commit, const std::string& message,
               const Signing& signing) const;
  // Deletes the pause tag on the remote and in the clone.
  Status resume(const std::string& wave) const;

 private:
  ConfigRepo(std::string url, std::filesystem::path dir) : url_(std::move(url)), dir_(std::move(dir)) {}
  std::string url_;
  std::filesystem::path dir_;
};

std::string pause_tag_ref(const std::string& wave);  // refs/tags/lucid/paused/<wave>

}  // namespace lucid::rollout
