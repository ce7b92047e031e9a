#include "lucid/seal/manifest.h"

#include <array>
#include <set>

#include <fmt/format.h>

#include "lucid/base/canonical_json.h"
#include "lucid/base/hex.h"
#include "lucid/base/json_fields.h"
#include "lucid/base/random.h"
#include "lucid/seal/format.h"

namespace lucid::seal {
using nlohmann::json;

json manifest_algorithms() {
  return {{"aead", "XChaCha20-Poly1305"}, {"kdf", "HKDF-SHA256"},   {"leaf_hash", "BLAKE3"},
          {"merkle", "RFC9162-BLAKE3"},   {"signature", "Ed25519"}, {"compression", "zstd"},
          {"manifest_hash", "BLAKE3"}};
}

json Manifest::unsigned_json() const {
  json chunk_list = json::array();
  for (const auto& c : chunks) {
    chunk_list.push_back({{"index", c.index},
                          {"sealed_bytes", c.sealed_bytes},
                          {"plain_bytes", c.plain_bytes},
                          {"leaf_hash", to_hex(c.leaf_hash)}});
  }
  json people = json::array();
  for (const auto& p : participants)
    people.push_back({{"role", p.role}, {"public_key", to_hex(p.public_key)}});
  return {{"format", kManifestFormat},
          {"version", kManifestVersion},
          {"session_id", session_id},
          {"created_at", created_at},
          {"codec", codec},
          {"compression", {{"algorithm", compression}, {"level", compression_level}}},
          {"chunk_size", chunk_size},
          {"chunk_count", chunk_count},
          {"total_bytes", total_bytes},
          {"algorithms", manifest_algorithms()},
          {"merkle_root", to_hex(merkle_root)},
          {"chunks", chunk_list},
          {"participants", people},
          {"recorder", {{"software", recorder_software}, {"version", recorder_version}}},
          {"device_fingerprint", device_fingerprint}};
}

json Manifest::to_json() const {
  json doc = unsigned_json();
  json sigs = json::array();
  for (const auto& s : signatures)
    sigs.push_back({{"public_key", to_hex(s.public_key)}, {"signature", to_hex(s.signature)}});
  doc["signatures"] = sigs;
  return doc;
}

Result<std::string> Manifest::canonical_unsigned_bytes() const {
  return canonical_json(unsigned_json());
}

Result<crypto::Digest> Manifest::hash() const {
  auto bytes = canonical_unsigned_bytes();
  if (!bytes) return std::unexpected(bytes.error());
  return crypto::blake3({reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()});
}

Status Manifest::sign(const crypto::Ed25519KeyPair& key) {
  auto bytes = canonical_unsigned_bytes();
  if (!bytes) return std::unexpected(bytes.error());
  std::erase_if(signatures, [&](const ManifestSignature& s) { return s.public_key == key.public_key(); });
  signatures.push_back(
      {key.public_key(), key.sign({reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()})});
  return {};
}

std::optional<crypto::Ed25519PublicKey> Manifest::node_public_key() const {
  std::optional<crypto::Ed25519PublicKey> found;
  for (const auto& p : participants) {
    if (p.role != "node") continue;
    if (found) return std::nullopt;
    found = p.public_key;
  }
  return found;
}

Result<std::string> serialize_manifest(const Manifest& manifest) {
  auto text = canonical_json(manifest.to_json());
  if (!text) return std::unexpected(text.error());
  return *text + "\n";
}

// ---- strict parsing ----
namespace {

Error field_error(const std::string& field, const std::string& what) {
  return Error{ErrorKind::kCorrupt, fmt::format("{}: {}", field, what)};
}

// A manifest's members: every string of a manifest is short; a longer one is refused before it is
// copied.
class Fields : public JsonFields {
 public:
  Fields(const json& obj, std::string path) : JsonFields(obj, std::move(path), kMaxManifestStringBytes) {}
};

// The most items each top-level array of a manifest may list, and why.
struct ArrayBound {
  std::uint64_t max;
  const char* why;  // nullptr: not a manifest field
};
ArrayBound array_bound(const std::string& key) {
  if (key == "chunks") return {kMaxChunkCount, "the most chunks a session may have"};
  if (key == "participants") return {kMaxParticipants, "the most participants of a session"};
  if (key == "signatures") return {kMaxParticipants, "one per participant at most"};
  return {0, nullptr};
}

// A first pass over the text that builds nothing. It stops at the first syntax error, at a fourth
// level of nesting, at a top-level array longer than its bound (array_bound) or past
// kMaxManifestJsonValues values, so that the DOM parse after it only ever sees a document whose
// memory is bounded, and an oversized list is refused before any of it is stored.
class ShapeLimiter : public nlohmann::json_sax<json> {
 public:
  std::string error;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& k) override {
    if (depth_ == 1) top_key_ = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = fmt::format("not valid JSON: {}", e.what());
    return false;
  }

 private:
  bool value() {
    if (depth_ == 2 && in_top_array_ && ++items_ > bound_.max) {
      error = bound_.why == nullptr
                  ? fmt::format("{}: unknown field", top_key_)
                  : fmt::format("{}: lists more than {} items ({})", top_key_, bound_.max, bound_.why);
      return false;
    }
    if (++values_ <= kMaxManifestJsonValues) return true;
    error = fmt::format(
        "holds more than {} JSON values; no manifest within the format's bounds ({} chunks) has "
        "that many",
        kMaxManifestJsonValues, kMaxChunkCount);
    return false;
  }
  bool open(bool array) {
    if (!value()) return false;
    if (depth_ == 0 && array) {
      error = "expected a JSON object at the top level";
      return false;
    }
    if (++depth_ > kMaxManifestDepth) {
      error = fmt::format("objects and arrays nest deeper than a manifest's {} levels", kMaxManifestDepth);
      return false;
    }
    if (depth_ == 2) {
      in_top_array_ = array;
      items_ = 0;
      bound_ = array_bound(top_key_);
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  int depth_ = 0;
  std::uint64_t values_ = 0;
  std::string top_key_;
  bool in_top_array_ = false;
  std::uint64_t items_ = 0;
  ArrayBound bound_{0, ""};
};

}  // namespace

Result<Manifest> parse_manifest(const std::string& text) {
  if (text.size() > kMaxManifestBytes)
    return fail(ErrorKind::kCorrupt, fmt::format("is {} bytes, more than a manifest may be ({} bytes)",
                                                 text.size(), kMaxManifestBytes));
  {
    ShapeLimiter limiter;
    if (!json::sax_parse(text, &limiter)) return fail(ErrorKind::kCorrupt, limiter.error);
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(ErrorKind::kCorrupt, fmt::format("not valid JSON: {}", e.what()));
  }
  if (!doc.is_object()) return fail(ErrorKind::kCorrupt, "expected a JSON object at the top level");

  Manifest m;
  Fields top(doc, "");
  std::string format;
  LUCID_TRY_ASSIGN(format, top.string("format"));
  if (format != kManifestFormat)
    return std::unexpected(field_error("format", fmt::format("expected \"{}\"", kManifestFormat)));
  std::uint64_t version = 0;
  LUCID_TRY_ASSIGN(version, top.uint("version"));
  if (version != kManifestVersion)
    return std::unexpected(
        field_error("version", fmt::format("unsupported version {} (this build reads version 1)", version)));
  LUCID_TRY_ASSIGN(m.session_id, top.string("session_id"));
  {
    std::array<std::uint8_t, 16> id{};
    if (!parse_uuid(m.session_id, id))
      return std::unexpected(field_error("session_id", "not a canonical lower-case UUID"));
  }
  LUCID_TRY_ASSIGN(m.created_at, top.string("created_at"));
  LUCID_TRY_ASSIGN(m.codec, top.string("codec"));
  {
    const json* c = nullptr;
    LUCID_TRY_ASSIGN(c, top.get("compression", json::value_t::object));
    Fields f(*c, "compression");
    LUCID_TRY_ASSIGN(m.compression, f.string("algorithm"));
    if (m.compression != "zstd")
      return std::unexpected(field_error("compression.algorithm", "only \"zstd\" is supported"));
    std::uint64_t level = 0;
    LUCID_TRY_ASSIGN(level, f.uint("level"));
    if (level < 1 || level > 22) return std::unexpected(field_error("compression.level", "must be 1..22"));
    m.compression_level = static_cast<int>(level);
    if (auto s = f.no_unknown_fields(); !s) return std::unexpected(s.error());
  }
  LUCID_TRY_ASSIGN(m.chunk_size, top.uint("chunk_size", kMaxChunkSize, "the largest chunk size"));
  LUCID_TRY_ASSIGN(m.chunk_count,
                   top.uint("chunk_count", kMaxChunkCount, "the most chunks a session may have"));
  LUCID_TRY_ASSIGN(m.total_bytes,
                   top.uint("total_bytes", kMaxSessionBytes, "the most chunks of the largest size"));
  {
    const json* a = nullptr;
    LUCID_TRY_ASSIGN(a, top.get("algorithms", json::value_t::object));
    if (*a != manifest_algorithms())
      return std::unexpected(field_error("algorithms", "not the v1 algorithm set"));
  }
  LUCID_TRY_ASSIGN(m.merkle_root, top.hex_bytes<32>("merkle_root"));
  {
    const json* list = nullptr;
    LUCID_TRY_ASSIGN(list, top.get("chunks", json::value_t::array));
    m.chunks.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      std::string path = fmt::format("chunks[{}]", i);
      if (!item.is_object()) return std::unexpected(field_error(path, "expected an object"));
      Fields f(item, path);
      ManifestChunk c;
      LUCID_TRY_ASSIGN(c.index, f.uint("index"));
      if (c.index != i)
        return std::unexpected(field_error(
            path + ".index", fmt::format("is {}, expected {} (chunks must be listed in order)", c.index, i)));
      LUCID_TRY_ASSIGN(c.sealed_bytes,
                       f.uint("sealed_bytes", kMaxSealedChunkBytes, "the largest a sealed chunk can be"));
      LUCID_TRY_ASSIGN(c.plain_bytes, f.uint("plain_bytes", kMaxChunkSize, "the largest chunk size"));
      LUCID_TRY_ASSIGN(c.leaf_hash, f.hex_bytes<32>("leaf_hash"));
      if (auto s = f.no_unknown_fields(); !s) return std::unexpected(s.error());
      m.chunks.push_back(c);
    }
  }
  {
    const json* list = nullptr;
    LUCID_TRY_ASSIGN(list, top.get("participants", json::value_t::array));
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string path = fmt::format("participants[{}]", i);
      if (!(*list)[i].is_object()) return std::unexpected(field_error(path, "expected an object"));
      Fields f((*list)[i], path);
      Participant p;
      LUCID_TRY_ASSIGN(p.role, f.string("role"));
      LUCID_TRY_ASSIGN(p.public_key, f.hex_bytes<32>("public_key"));
      if (auto s = f.no_unknown_fields(); !s) return std::unexpected(s.error());
      m.participants.push_back(p);
    }
  }
  {
    const json* r = nullptr;
    LUCID_TRY_ASSIGN(r, top.get("recorder", json::value_t::object));
    Fields f(*r, "recorder");
    LUCID_TRY_ASSIGN(m.recorder_software, f.string("software"));
    LUCID_TRY_ASSIGN(m.recorder_version, f.string("version"));
    if (auto s = f.no_unknown_fields(); !s) return std::unexpected(s.error());
  }
  LUCID_TRY_ASSIGN(m.device_fingerprint, top.string("device_fingerprint"));
  {
    const json* list = nullptr;
    LUCID_TRY_ASSIGN(list, top.get("signatures", json::value_t::array));
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string path = fmt::format("signatures[{}]", i);
      if (!(*list)[i].is_object()) return std::unexpected(field_error(path, "expected an object"));
      Fields f((*list)[i], path);
      ManifestSignature s;
      LUCID_TRY_ASSIGN(s.public_key, f.hex_bytes<32>("public_key"));
      LUCID_TRY_ASSIGN(s.signature, f.hex_bytes<64>("signature"));
      if (auto st = f.no_unknown_fields(); !st) return std::unexpected(st.error());
      m.signatures.push_back(s);
    }
  }
  if (auto s = top.no_unknown_fields(); !s) return std::unexpected(s.error());
  return m;
}

}  // namespace lucid::seal
