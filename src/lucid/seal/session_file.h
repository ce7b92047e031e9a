// Opening the files of a session directory, which may come from an untrusted peer: never through a
// symbolic link, never blocking on a named pipe or device, never more bytes than the format allows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::seal {

// An open regular file of a session and its size; closes the descriptor when destroyed.
class SessionFile {
 public:
  SessionFile(SessionFile&& other) noexcept
      : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  SessionFile& operator=(SessionFile&&) = delete;
  SessionFile(const SessionFile&) = delete;
  ~SessionFile();

  std::uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // Reads the whole file (size() bytes) into `out`.
  Status read_all(std::vector<std::uint8_t>& out) const;

 private:
  friend Result<SessionFile> open_session_file(const std::filesystem::path&, const std::filesystem::path&,
                                               std::uint64_t);
  SessionFile(int fd, std::uint64_t size, std::filesystem::path path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::filesystem::path path_;
};

// Opens DIR/RELATIVE ("manifest.json", "chunks/00000003.sealed") one component at a time with
// O_NOFOLLOW, so no component below DIR may be a symbolic link, and with O_NONBLOCK, so a named pipe
// cannot stall the reader; the file must be a regular file of at most `max_bytes`. Errors name the
// file: kNotFound when it is absent, kInvalidArgument for a link or a non-file, kCorrupt when too big.
Result<SessionFile> open_session_file(const std::filesystem::path& dir, const std::filesystem::path& relative,
                                      std::uint64_t max_bytes);

// The text of DIR/RELATIVE, opened as above.
Result<std::string> read_session_text(const std::filesystem::path& dir, const std::filesystem::path& relative,
                                      std::uint64_t max_bytes);

}  // namespace lucid::seal
