#include "lucid/seal/proof.h"

#include <fmt/format.h>

#include "lucid/base/hex.h"
#include "lucid/crypto/merkle.h"

namespace lucid::seal {
using nlohmann::json;

Result<json> make_inclusion_proof(const Manifest& m, std::uint64_t index) {
  if (index >= m.chunks.size()) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("chunk {} does not exist; the session has chunks 0..{}", index,
                            m.chunks.empty() ? 0 : m.chunks.size() - 1));
  }
  std::vector<crypto::Digest> leaves;
  for (const auto& c : m.chunks) leaves.push_back(c.leaf_hash);
  json path = json::array();
  for (const auto& d : crypto::merkle_inclusion_proof(leaves, index)) path.push_back(to_hex(d));
  return json{{"format", kProofFormat},        {"version", 1},
              {"session_id", m.session_id},    {"index", index},
              {"tree_size", leaves.size()},    {"leaf_hash", to_hex(m.chunks[index].leaf_hash)},
              {"root", to_hex(m.merkle_root)}, {"path", path}};
}

Status verify_inclusion_proof(const std::string& proof_text, const crypto::Digest& root,
                              const crypto::Digest& leaf_hash) {
  json doc;
  try {
    doc = json::parse(proof_text);
  } catch (const json::parse_error& e) {
    return fail(ErrorKind::kCorrupt, fmt::format("proof is not valid JSON: {}", e.what()));
  }
  auto bad = [](const std::string& what) { return fail(ErrorKind::kCorrupt, "proof: " + what); };
  if (!doc.is_object() || doc.value("format", "") != kProofFormat)
    return bad(fmt::format("\"format\" must be \"{}\"", kProofFormat));
  if (!doc.contains("index") || !doc["index"].is_number_unsigned())
    return bad("\"index\" must be a non-negative integer");
  if (!doc.contains("tree_size") || !doc["tree_size"].is_number_unsigned())
    return bad("\"tree_size\" must be a non-negative integer");
  if (!doc.contains("path") || !doc["path"].is_array())
    return bad("\"path\" must be an array of hex digests");
  std::vector<crypto::Digest> path;
  for (std::size_t i = 0; i < doc["path"].size(); ++i) {
    const json& item = doc["path"][i];
    crypto::Digest d{};
    if (!item.is_string() || !from_hex_into(item.get<std::string>(), d))
      return bad(fmt::format("path[{}] is not a 64-character hex digest", i));
    path.push_back(d);
  }
  // The proof may restate its leaf and root; if it does they must be the ones being checked.
  for (const auto& [key, expected] : {std::pair{"leaf_hash", leaf_hash}, std::pair{"root", root}}) {
    if (!doc.contains(key)) continue;
    crypto::Digest stated{};
    if (!doc[key].is_string() || !from_hex_into(doc[key].get<std::string>(), stated))
      return bad(fmt::format("\"{}\" is not a hex digest", key));
    if (stated != expected)
      return fail(ErrorKind::kAuthentication, fmt::format("proof is for a different {} than the one given",
                                                          key == std::string("root") ? "root" : "leaf"));
  }
  auto index = doc["index"].get<std::uint64_t>();
  auto size = doc["tree_size"].get<std::uint64_t>();
  if (!crypto::merkle_verify_inclusion(root, leaf_hash, index, size, path)) {
    return fail(ErrorKind::kAuthentication,
                fmt::format("the audit path does not lead from leaf {} of {} to the root", index, size));
  }
  return {};
}

}  // namespace lucid::seal
