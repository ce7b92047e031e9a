// The few read-only git queries commit verification needs, run as `git -C REPO …` through the one
// git runner (git_runner.h): resolve a revision to a commit id, read a commit object or a file at a commit.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/gitsig/git_runner.h"

namespace lucid::gitsig {

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

}  // namespace lucid::gitsig
