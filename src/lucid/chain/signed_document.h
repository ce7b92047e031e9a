// What the chain's signed JSON documents (transactions, genesis, blocks, votes) share: their signing
// bytes (a domain string, then RFC 8785 canonical JSON of the body), the bound on their integers,
// and the first steps of their strict parsing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lucid/base/json_fields.h"
#include "lucid/base/result.h"

namespace lucid::chain {

// Canonical JSON holds integers exactly up to 2^53; heights, nonces and times stay below it.
inline constexpr std::uint64_t kMaxDocumentInteger = (std::uint64_t{1} << 53) - 1;

// `domain` ‖ canonical JSON of `body`. Bodies hold only strings and integers up to
// kMaxDocumentInteger (checked on parse), so this cannot fail.
std::string signing_bytes(std::string_view domain, const nlohmann::json& body);

// The bytes of a string, for hashing and signing.
std::span<const std::uint8_t> bytes_of(const std::string& text);

// kCorrupt "<path>: expected an object" unless `document` is one.
Status require_object(const nlohmann::json& document, const std::string& path);

// The document's "chain_id", checked with valid_chain_id.
Result<std::string> read_chain_id(JsonFields& fields);

// An integer member bounded by kMaxDocumentInteger.
Result<std::uint64_t> read_document_integer(JsonFields& fields, const std::string& key);

}  // namespace lucid::chain
