// Docker helpers for e2e suites: is an engine answering (start it when we may), the docker CLI,
// bounded waits, and tiny FROM-scratch images built with the classic builder (no registry needed).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "testing/testing.h"

namespace lucid::testing {

// Empty when an engine answers (starting dockerd if installed and we are root); else why not,
// naming scripts/bootstrap. Suites GTEST_SKIP with it.
std::string ensure_docker();
RunResult docker(const std::vector<std::string>& args);
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step = std::chrono::milliseconds(100));

// Builds `tag` FROM scratch holding /bin/busybox (the static one from busybox-static) plus `files`
// (source path → path in the image), with `extra` Dockerfile lines appended (HEALTHCHECK, CMD, …).
// ENTRYPOINT is /bin/busybox, CMD `sleep 3600`. Returns "" on success, else why not.
// Removes every container and network of compose project `project` (best effort; for test
// teardown after the project was brought down).
void remove_project_containers(const std::string& project);

std::string build_busybox_image(const std::string& tag,
                                const std::map<std::filesystem::path, std::string>& files = {},
                                const std::string& extra = {});

}  // namespace lucid::testing
