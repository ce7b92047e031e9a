// Compose apply: `docker compose` (v2) when present, else `docker-compose` (v1), run as
// `-p <project> -f - up -d --remove-orphans` with the rendered document on stdin (never on disk/argv).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::engine {

struct ComposeTool {
  std::vector<std::string> argv;  // {"docker", "compose"} or {"docker-compose"}
  std::string version;            // the first line `version` printed
};

// Which Compose is installed (asked once per process); kNotFound when neither answers.
Result<ComposeTool> find_compose();

struct ApplyOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // Working directory of Compose: with `-f -` it is the project directory, where Compose reads
  // `.env` (v1 and v2) and resolves relative paths. The rendered document is self-contained, so by
  // default each run gets a fresh empty 0700 directory (under $TMPDIR), removed afterwards: no
  // stray `.env` can be there, nor planted in advance.
  std::optional<std::filesystem::path> work_dir;
  bool remove_orphans = true;
  std::vector<std::string> extra_args;  // appended after `up -d` (e.g. "--no-color")
};

struct ApplyResult {
  std::string tool;  // "docker compose 2.x" / "docker-compose 1.29.2"
  std::chrono::milliseconds took{0};
  std::string log;  // Compose's stderr (progress lines); carries no secret values
};

// Feeds `compose_yaml` to Compose on stdin. Fails (kIo) on a non-zero exit with Compose's last
// error line, on a timeout, or when no Compose is installed (kNotFound).
Result<ApplyResult> apply(const std::string& compose_yaml, const std::string& project,
                          const ApplyOptions& options = {});

// `down --remove-orphans` for the project (tests and decommissioning); volumes are kept.
Status down(const std::string& project, const ApplyOptions& options = {});

}  // namespace lucid::engine
