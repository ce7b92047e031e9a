// A client of lucid-blockchain-core's API (docs/formats.md "Data chain: the API of
// lucid-blockchain-core") over several validators' base URLs: submits a signed transaction and reads
// where it landed, failing over to the next validator when one is unreachable or answers 5xx.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lucid/base/http_client.h"
#include "lucid/base/result.h"
#include "lucid/chain/transaction.h"

namespace lucid::chain {

class CoreApiClient {
 public:
  // `base_urls`: "http://host:port" of each validator's API, tried in turn from the last that answered.
  explicit CoreApiClient(std::vector<std::string> base_urls,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::vector<std::string>& base_urls() const { return base_urls_; }

  // POST /v1/transactions. Returns the base URL that queued it. A refusal (400, 401, 409: every
  // validator would refuse it alike) fails with its kind and the validator's reason, without trying
  // the others; kIo when none answered, naming each one's failure.
  Result<std::string> submit(const Transaction& tx);

  // GET /v1/transactions/<hash>: {"height", "hash", "state_root", "final", "index", "receipt"}, or
  // nullopt while the validator asked has not executed it (404).
  Result<std::optional<nlohmann::json>> transaction(const Hash& hash);

 private:
  // Sends one request to each validator in turn until one answers below 500; returns that answer
  // and its base URL, or kIo naming every failure.
  struct Answer {
    HttpResponse response;
    std::string base_url;
  };
  Result<Answer> first_answer(const std::string& method, const std::string& path, const std::string* body);

  std::vector<std::string> base_urls_;
  std::size_t current_ = 0;  // the validator that answered last
  HttpOptions options_;
};

}  // namespace lucid::chain
