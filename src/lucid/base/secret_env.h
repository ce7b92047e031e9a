// Key material handed over in an environment variable (AGE_PRIVATE_KEY, SOPS_AGE_KEY): read once,
// then wiped from the environment so no child and no /proc/<pid>/environ reader sees it.
#pragma once

#include <optional>
#include <string>

namespace lucid {

// The value of `name` (nullopt when unset), after which the variable is gone: its bytes are
// overwritten where they live (for variables given at exec, the block /proc/<pid>/environ shows)
// and it is unset. The caller wipes the returned text (secure_zero) when done with it.
// Not thread-safe, like setenv: call before starting threads that read the environment.
std::optional<std::string> take_secret_env(const char* name);

}  // namespace lucid
