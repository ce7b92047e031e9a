// File-system helpers with Lucid's "whole or nothing" rule: outputs are written beside their final
// name and renamed into place, so a failure never leaves a partial file or directory behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid {

Result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path);
Result<std::string> read_text_file(const std::filesystem::path& path);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& what);

// Writes `bytes` to a temporary file beside `path` with `mode`, fsyncs it, renames it over `path`
// and fsyncs the directory.
Status write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                         unsigned mode = 0644);

// Appends one line (a trailing newline is added) with O_APPEND, so concurrent writers never
// interleave within a line; creates the file with `mode` if needed.
Status append_line(const std::filesystem::path& path, const std::string& line, unsigned mode = 0600);

Status fsync_directory(const std::filesystem::path& dir);

// A directory that becomes `target` only on commit(): created as a hidden sibling of `target`
// (same file system, so the final rename is atomic) and removed with its contents if never committed.
class StagingDir {
 public:
  // Fails if `target` exists and is not an empty directory.
  static Result<StagingDir> create(const std::filesystem::path& target);

  StagingDir(StagingDir&& other) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  StagingDir(const StagingDir&) = delete;
  ~StagingDir();

  const std::filesystem::path& path() const { return staging_; }
  // fsyncs the staging directory, renames it to `target` and fsyncs the parent.
  Status commit();

 private:
  StagingDir(std::filesystem::path target, std::filesystem::path staging)
      : target_(std::move(target)), staging_(std::move(staging)) {}
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

// A file that becomes `target` only on commit(); removed if never committed. Use fd() to write.
class StagingFile {
 public:
  static Result<StagingFile> create(const std::filesystem::path& target, unsigned mode = 0644);
  StagingFile(StagingFile&& other) noexcept;
  StagingFile& operator=(StagingFile&&) = delete;
  StagingFile(const StagingFile&) = delete;
  ~StagingFile();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return staging_; }
  Status commit();
  // Removes the staging file now (also what the destructor does when not committed).
  void discard();

 private:
  StagingFile(std::filesystem::path target, std::filesystem::path staging, int fd)
      : target_(std::move(target)), staging_(std::move(staging)), fd_(fd) {}
  std::filesystem::path target_;
  std::filesystem::path staging_;
  int fd_ = -1;
  bool committed_ = false;
};

// errno as text, for messages: "No such file or directory".
std::string errno_text(int err);

}  // namespace lucid
