// inotify on the spool's inbox/: reports the names of files closed after writing, moved or hard-linked
// in, so a writer's `x.part` → `x` rename (or a plain write and close) hands the recording over.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::seal {

class InboxWatch {
 public:
  static Result<InboxWatch> open(const std::filesystem::path& dir);
  InboxWatch(InboxWatch&& other) noexcept : fd_(other.fd_), dir_(std::move(other.dir_)) { other.fd_ = -1; }
  InboxWatch& operator=(InboxWatch&&) = delete;
  InboxWatch(const InboxWatch&) = delete;
  ~InboxWatch();

  // Becomes readable (poll) when events are pending.
  int fd() const { return fd_; }

  struct Events {
    std::vector<std::string> names;  // in arrival order; may repeat; not filtered by name
    bool overflow = false;           // events were lost: list the directory again
  };
  // Reads what is pending without blocking. kNotFound once the directory was removed or unmounted.
  Result<Events> read();

 private:
  InboxWatch(int fd, std::filesystem::path dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::filesystem::path dir_;
};

}  // namespace lucid::seal
