#include "lucid/base/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "lucid/base/files.h"

namespace lucid {

Result<PrivateTempDir> PrivateTempDir::create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::filesystem::path root = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string templ = (root / (prefix + "XXXXXX")).string();
  // mkdtemp makes the directory 0700 with a name no one else can have claimed.
  if (::mkdtemp(templ.data()) == nullptr)
    return fail(ErrorKind::kIo,
                fmt::format("cannot create a private directory in {}: {}", root.string(), errno_text(errno)));
  return PrivateTempDir(std::filesystem::path(templ));
}

PrivateTempDir::PrivateTempDir(PrivateTempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

PrivateTempDir::~PrivateTempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace lucid
