// Running a program without a shell: argv vector, optional stdin bytes, captured stdout/stderr and a
// timeout after which the child is killed. Spawn failures are errors; a non-zero exit is not.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

struct ProcessOptions {
  std::vector<std::string> argv;           // argv[0] is looked up on PATH when it has no '/'
  std::optional<std::string> stdin_bytes;  // nullopt: stdin is /dev/null
  std::optional<std::filesystem::path> cwd;
  std::chrono::milliseconds timeout{60000};
  std::size_t max_output = 256u << 20;  // per stream; more is an error (the child is killed)
};

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// kNotFound when the program cannot be started, kIo on a timeout or too much output.
Result<ProcessResult> run_process(const ProcessOptions& options);

// The first line of `text` without its newline, at most `max` characters: for error messages.
std::string first_line(std::string_view text, std::size_t max = 200);

}  // namespace lucid
