// A private scratch directory: created empty with mode 0700 under $TMPDIR (else /tmp) and removed
// with its contents when the object goes away.
#pragma once

#include <filesystem>
#include <string>

#include "lucid/base/result.h"

namespace lucid {

class PrivateTempDir {
 public:
  // `prefix` starts the directory's name ("lucid-compose-" → /tmp/lucid-compose-Ab12Cd).
  static Result<PrivateTempDir> create(const std::string& prefix);
  PrivateTempDir(PrivateTempDir&& other) noexcept;
  PrivateTempDir& operator=(PrivateTempDir&&) = delete;
  PrivateTempDir(const PrivateTempDir&) = delete;
  PrivateTempDir& operator=(const PrivateTempDir&) = delete;
  ~PrivateTempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit PrivateTempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace lucid
