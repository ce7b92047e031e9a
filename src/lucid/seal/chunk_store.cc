#include "lucid/seal/chunk_store.h"

#include <algorithm>

#include <fmt/format.h>

#include "lucid/crypto/merkle.h"
#include "lucid/seal/format.h"
#include "lucid/seal/session_file.h"

namespace lucid::seal {
namespace fs = std::filesystem;

std::optional<ChunkFault> load_chunk(const fs::path& dir, const ManifestChunk& entry,
                                     std::vector<std::uint8_t>& buffer) {
  buffer.clear();
  const fs::path relative = chunk_relative_path(entry.index);
  // Never more than a sealed chunk can be, whatever the manifest says: nothing larger is allocated.
  auto file = open_session_file(dir, relative, kMaxSealedChunkBytes);
  if (!file) {
    switch (file.error().kind) {
      case ErrorKind::kNotFound:
        return ChunkFault{"missing-chunk", fmt::format("file {} is missing", relative.string())};
      case ErrorKind::kCorrupt:
        return ChunkFault{"length-mismatch", file.error().message};
      default:
        return ChunkFault{"unreadable-chunk", file.error().message};
    }
  }
  if (file->size() != entry.sealed_bytes) {
    return ChunkFault{"length-mismatch", fmt::format("sealed length {} differs from the manifest's {}",
                                                     file->size(), entry.sealed_bytes)};
  }
  if (auto s = file->read_all(buffer); !s) {
    buffer.clear();
    return ChunkFault{"unreadable-chunk", s.error().message};
  }
  if (crypto::merkle_leaf_hash(buffer) != entry.leaf_hash) {
    return ChunkFault{"leaf-hash-mismatch",
                      std::string("content does not match its leaf hash (altered, swapped or replaced)")};
  }
  return std::nullopt;
}

std::vector<std::string> unexpected_chunk_files(const fs::path& dir, std::uint64_t chunk_count) {
  constexpr std::size_t kMaxNamedExtraFiles = 100;
  std::vector<std::string> extra;
  std::uint64_t more = 0;
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
    if (listed) continue;
    // A peer's directory may hold any number of files: name the first few, count the rest.
    if (extra.size() < kMaxNamedExtraFiles)
      extra.push_back((fs::path(kChunksDirName) / name).string());
    else
      ++more;
  }
  std::sort(extra.begin(), extra.end());
  if (more > 0) extra.push_back(fmt::format("{}/ ({} more files)", kChunksDirName, more));
  return extra;
}

}  // namespace lucid::seal
