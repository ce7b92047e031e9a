// The few read-only git queries commit verification needs, run as `git -C REPO …` subprocesses
// (no shell): resolve a revision to a commit id, read a commit object or a file at a commit.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/base/subprocess.h"

namespace lucid::supply {

// `git -C REPO ARGS…` without a shell (the environment allow-list of base/subprocess). kNotFound when
// git is not installed; a non-zero exit is the caller's to judge.
Result<ProcessResult> run_git(const std::string& repo, std::vector<std::string> args);

// The full id of the commit `rev` names. kNotFound when REPO is not a git repository or `rev`
// names no commit.
Result<std::string> resolve_commit(const std::string& repo, std::string_view rev);
// The raw commit object (`git cat-file commit ID`), byte for byte.
Result<std::string> read_commit_object(const std::string& repo, const std::string& commit_id);
// The content of `path` in the tree of `commit_id`; nullopt when there is no such file.
Result<std::optional<std::string>> read_file_at(const std::string& repo, const std::string& commit_id,
                                                const std::string& path);
// Whether `ancestor` is `descendant` or one of its ancestors.
Result<bool> is_ancestor(const std::string& repo, const std::string& ancestor, const std::string& descendant);

}  // namespace lucid::supply
