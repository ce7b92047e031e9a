// Running a program without a shell: argv vector, optional stdin bytes, captured stdout/stderr, an
// allow-listed environment, and a timeout after which the child's whole process group is stopped.
// Spawn failures are errors; a non-zero exit is not.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

struct ProcessOptions {
  std::vector<std::string> argv;           // argv[0] is looked up on PATH when it has no '/'
  std::optional<std::string> stdin_bytes;  // nullopt: stdin is /dev/null
  std::optional<std::filesystem::path> cwd;
  std::chrono::milliseconds timeout{60000};
  std::size_t max_output = 256u << 20;  // per stream; more is an error (the child is killed)
  // After a timeout (or too much output) the group gets SIGTERM, and SIGKILL once this has passed.
  std::chrono::milliseconds kill_grace{2000};
  // The child's environment: the variables of default_env_allow_list() and of `pass_env` (exact
  // names, or prefixes ending in '*') that this process has, then `set_env` ("NAME=value"), which
  // wins. Nothing else is inherited; AGE_PRIVATE_KEY and SOPS_AGE_KEY are never passed.
  std::vector<std::string> pass_env;
  std::vector<std::string> set_env;
};

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// The child starts in its own process group (so a timeout reaches git's ssh and nc, Compose's
// plugin, …). kNotFound when the program cannot be started, kIo on a timeout or too much output;
// then the group is stopped and the child reaped, and run_process returns without waiting for a
// descendant outside the group that still holds the output pipes.
Result<ProcessResult> run_process(const ProcessOptions& options);

// What git, ssh, docker, docker-compose, dpkg-query and nft need from the environment: PATH, HOME,
// USER, LOGNAME, locale (LANG, LANGUAGE, LC_*), TZ, TMPDIR, XDG_CONFIG_HOME, XDG_RUNTIME_DIR,
// SSH_AUTH_SOCK, GIT_*, the Docker client's DOCKER_HOST/CONFIG/CONTEXT/CERT_PATH/TLS_VERIFY/
// API_VERSION, COMPOSE_HTTP_TIMEOUT, proxies and CA files. Not COMPOSE_PROJECT_NAME/FILE/PROFILES
// and the like: the plan alone says what Compose runs.
std::span<const std::string_view> default_env_allow_list();

// The environment run_process gives a child started with `options`, as "NAME=value" strings.
std::vector<std::string> child_environment(const ProcessOptions& options);

// The first line of `text` without its newline, at most `max` characters: for error messages.
std::string first_line(std::string_view text, std::size_t max = 200);

}  // namespace lucid
