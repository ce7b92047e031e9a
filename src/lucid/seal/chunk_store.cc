#include "lucid/seal/chunk_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "lucid/base/files.h"
#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"

namespace lucid::seal {
namespace fs = std::filesystem;

std::optional<ChunkFault> load_chunk(const fs::path& dir, const ManifestChunk& entry,
                                     std::vector<std::uint8_t>& buffer) {
  fs::path path = dir / chunk_relative_path(entry.index);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return ChunkFault{"missing-chunk",
                        fmt::format("file {} is missing", chunk_relative_path(entry.index).string())};
    return ChunkFault{"unreadable-chunk", fmt::format("cannot open {}: {}", path.string(), errno_text(err))};
  }
  struct stat st {};
  ::fstat(fd, &st);
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size != entry.sealed_bytes) {
    ::close(fd);
    return ChunkFault{"length-mismatch", fmt::format("sealed length {} differs from the manifest's {}", size,
                                                     entry.sealed_bytes)};
  }
  buffer.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buffer.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return ChunkFault{"unreadable-chunk",
                        fmt::format("cannot read {}: {}", path.string(), errno_text(err))};
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (crypto::merkle_leaf_hash(buffer) != entry.leaf_hash) {
    return ChunkFault{"leaf-hash-mismatch",
                      std::string("content does not match its leaf hash (altered, swapped or replaced)")};
  }
  return std::nullopt;
}

std::vector<std::string> unexpected_chunk_files(const fs::path& dir, std::uint64_t chunk_count) {
  std::vector<std::string> extra;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / kChunksDirName, ec)) {
    std::string name = e.path().filename().string();
    bool listed = false;
    if (name.size() == 15 && name.ends_with(".sealed")) {
      std::uint64_t index = 0;
      bool digits = true;
      for (std::size_t i = 0; i < 8; ++i) {
        if (name[i] < '0' || name[i] > '9')
          digits = false;
        else
          index = index * 10 + static_cast<std::uint64_t>(name[i] - '0');
      }
      listed = digits && index < chunk_count;
    }
    if (!listed) extra.push_back((fs::path(kChunksDirName) / name).string());
  }
  std::sort(extra.begin(), extra.end());
  return extra;
}

}  // namespace lucid::seal
