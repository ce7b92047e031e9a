// blockchain-core's HTTP API (docs/chain.md "APIs"): submit a signed transaction; read a block, a
// receipt with its finality, events by filter, and an anchor with the proof that it is in the state
// of a final block; status, health and metrics. JSON in the forms of docs/formats.md.
#pragma once

#include "lucid/base/http_server.h"
#include "lucid/chain/validator.h"

namespace lucid::chain {

// Bounds on what one request may ask for.
inline constexpr std::uint64_t kMaxEventBlockRange = 10000;
inline constexpr std::size_t kMaxEventResults = 1000;

class CoreApi {
 public:
  explicit CoreApi(Validator& validator) : validator_(validator) {}
  http::Response handle(const http::Request& request) const;

  // The receipt in JSON: logs decoded against their contract's ABI where it knows the event.
  static nlohmann::json receipt_to_json(const Vm& vm, const Receipt& receipt);
  // What GET /v1/blocks/<height> answers: height, hash, state root, finality, the block and its votes.
  static nlohmann::json block_document(const ExecutedBlock& executed);

 private:
  http::Response submit(const http::Request& request) const;
  http::Response block(const std::string& which) const;
  http::Response transaction(const std::string& hash_hex) const;
  http::Response events(const http::Request& request) const;
  http::Response anchor(const std::string& session_id_hex) const;
  http::Response health() const;
  http::Response metrics() const;

  Validator& validator_;
};

}  // namespace lucid::chain
