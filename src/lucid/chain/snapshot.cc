#include "lucid/chain/snapshot.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/chain/signed_document.h"
#include "lucid/chain/transaction.h"
#include "lucid/crypto/blake3.h"

namespace lucid::chain {

namespace {

constexpr std::string_view kMagic = "lucid-chain-snapshot-v1\n";
// Bounds that keep a hostile file from asking for more memory than it holds.
constexpr std::uint32_t kMaxKeyBytes = 1024;
constexpr std::uint32_t kMaxValueBytes = 1u << 20;

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::optional<std::uint32_t> take_u32(std::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<std::uint8_t>(in[static_cast<std::size_t>(i)]);
  in.remove_prefix(4);
  return value;
}

Hash checksum(std::string_view bytes) {
  return crypto::blake3(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace

std::string encode_snapshot(const Snapshot& snapshot) {
  nlohmann::json header{{"chain_id", snapshot.chain_id},
                        {"height", snapshot.height},
                        {"block", to_hex(snapshot.block)},
                        {"time_ms", snapshot.time_ms},
                        {"state_root", to_hex(snapshot.state_root)},
                        {"entries", snapshot.state.entries().size()}};
  std::string out(kMagic);
  out += header.dump();
  out.push_back('\n');
  for (const auto& [key, value] : snapshot.state.entries()) {
    put_u32(out, static_cast<std::uint32_t>(key.size()));
    out += key;
    put_u32(out, static_cast<std::uint32_t>(value.size()));
    out.append(reinterpret_cast<const char*>(value.data()), value.size());
  }
  const Hash sum = checksum(out);
  out.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  return out;
}

Result<Snapshot> decode_snapshot(std::string_view bytes, const std::string& source) {
  auto corrupt = [&](const std::string& what) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}: {}; take a new snapshot (lucid-blockchain-ledger snapshot)", source, what));
  };
  if (!bytes.starts_with(kMagic))
    return corrupt("not a Lucid chain snapshot (no lucid-chain-snapshot-v1 line)");
  if (bytes.size() < kMagic.size() + sizeof(Hash)) return corrupt("truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof(Hash));
  Hash stored{};
  std::copy(bytes.end() - static_cast<std::ptrdiff_t>(sizeof(Hash)), bytes.end(), stored.begin());
  if (checksum(body) != stored) return corrupt("checksum mismatch: the file was altered or truncated");

  std::string_view rest = body.substr(kMagic.size());
  const auto newline = rest.find('\n');
  if (newline == std::string_view::npos) return corrupt("no header line");
  auto header = nlohmann::json::parse(rest.substr(0, newline), nullptr, false);
  rest.remove_prefix(newline + 1);
  if (header.is_discarded() || !header.is_object()) return corrupt("the header is not a JSON object");
  JsonFields fields(header, source + " header", 256);
  Snapshot snapshot;
  std::uint64_t count = 0;
  LUCID_TRY_ASSIGN(snapshot.chain_id, read_chain_id(fields));
  LUCID_TRY_ASSIGN(snapshot.height, read_document_integer(fields, "height"));
  LUCID_TRY_ASSIGN(snapshot.time_ms, read_document_integer(fields, "time_ms"));
  LUCID_TRY_ASSIGN(count, read_document_integer(fields, "entries"));
  LUCID_TRY_ASSIGN(snapshot.block, fields.hex_bytes<32>("block"));
  LUCID_TRY_ASSIGN(snapshot.state_root, fields.hex_bytes<32>("state_root"));
  if (auto known = fields.no_unknown_fields(); !known) return std::unexpected(known.error());

  std::string previous;
  for (std::uint64_t i = 0; i < count; ++i) {
    auto key_size = take_u32(rest);
    if (!key_size || *key_size > kMaxKeyBytes || rest.size() < *key_size)
      return corrupt(fmt::format("entry {}: bad key", i));
    std::string key(rest.substr(0, *key_size));
    rest.remove_prefix(*key_size);
    auto value_size = take_u32(rest);
    if (!value_size || *value_size > kMaxValueBytes || rest.size() < *value_size)
      return corrupt(fmt::format("entry {}: bad value", i));
    if (i > 0 && key <= previous) return corrupt(fmt::format("entry {}: keys out of order or repeated", i));
    snapshot.state.put(key, Bytes(rest.begin(), rest.begin() + *value_size));
    rest.remove_prefix(*value_size);
    previous = std::move(key);
  }
  if (!rest.empty()) return corrupt(fmt::format("{} bytes after the last entry", rest.size()));
  // The checksum only says the file is what its writer wrote; the root says the entries are the
  // state the validators signed.
  if (snapshot.state.root() != snapshot.state_root)
    return corrupt(fmt::format("the entries hash to {}, not the state root {} the header names",
                               to_hex(snapshot.state.root()), to_hex(snapshot.state_root)));
  return snapshot;
}

Status write_snapshot(const std::filesystem::path& path, const Snapshot& snapshot) {
  const std::string bytes = encode_snapshot(snapshot);
  return write_file_atomic(path, bytes_of(bytes), 0644);
}

Result<Snapshot> read_snapshot(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(bytes.error());
  return decode_snapshot(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                         path.string());
}

}  // namespace lucid::chain
