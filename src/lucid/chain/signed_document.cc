#include "lucid/chain/signed_document.h"

#include <fmt/format.h>

#include "lucid/base/canonical_json.h"
#include "lucid/chain/transaction.h"

namespace lucid::chain {

std::string signing_bytes(std::string_view domain, const nlohmann::json& body) {
  return std::string(domain) + canonical_json(body).value();
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Status require_object(const nlohmann::json& document, const std::string& path) {
  if (!document.is_object()) {
    return fail(ErrorKind::kCorrupt, fmt::format("{}: expected an object", path));
  }
  return {};
}

Result<std::string> read_chain_id(JsonFields& fields) {
  auto chain_id = fields.string("chain_id");
  if (chain_id && !valid_chain_id(*chain_id)) {
    return std::unexpected(fields.error("chain_id", "must be 1-64 characters of a-z, 0-9 and '-'"));
  }
  return chain_id;
}

Result<std::uint64_t> read_document_integer(JsonFields& fields, const std::string& key) {
  return fields.uint(key, kMaxDocumentInteger, "the largest integer canonical JSON holds");
}

}  // namespace lucid::chain
