#include "lucid/chain/core_api_client.h"

#include <fmt/format.h>

#include "lucid/base/hex.h"

namespace lucid::chain {

namespace {

// The "error" member of an API answer, else the start of its body (bounded: it goes into messages).
std::string reason_of(const HttpResponse& response) {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_string())
    return body["error"].get<std::string>();
  return response.body.substr(0, 200);
}

ErrorKind kind_of_refusal(long status) {
  switch (status) {
    case 401:
      return ErrorKind::kAuthentication;
    case 409:
      return ErrorKind::kAlreadyExists;
    default:
      return ErrorKind::kInvalidArgument;
  }
}

}  // namespace

CoreApiClient::CoreApiClient(std::vector<std::string> base_urls, std::chrono::milliseconds timeout)
    : base_urls_(std::move(base_urls)) {
  for (std::string& url : base_urls_)
    while (url.ends_with('/')) url.pop_back();
  options_.timeout = timeout;
  options_.max_body_bytes = std::size_t{1} << 20;  // a receipt with its logs
}

Result<CoreApiClient::Answer> CoreApiClient::first_answer(const std::string& method, const std::string& path,
                                                          const std::string* body) {
  if (base_urls_.empty())
    return fail(ErrorKind::kInvalidArgument, "no blockchain-core API URL given (CHAIN_CORE)");
  std::string failures;
  for (std::size_t tried = 0; tried < base_urls_.size(); ++tried) {
    const std::size_t index = (current_ + tried) % base_urls_.size();
    const std::string& base = base_urls_[index];
    auto response = http_request(method, base + path, body, "application/json", options_);
    std::string failure;
    if (!response) {
      failure = response.error().message;
    } else if (response->status >= 500) {
      failure = fmt::format("HTTP {}: {}", response->status, reason_of(*response));
    } else {
      current_ = index;
      return Answer{std::move(*response), base};
    }
    failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", base, failure);
  }
  return fail(ErrorKind::kIo,
              fmt::format("no blockchain-core API answered {} {}: {}", method, path, failures));
}

Result<std::string> CoreApiClient::submit(const Transaction& tx) {
  const std::string body = transaction_to_json(tx).dump();
  auto answer = first_answer("POST", "/v1/transactions", &body);
  if (!answer) return std::unexpected(answer.error());
  if (answer->response.status == 202) return answer->base_url;
  return fail(kind_of_refusal(answer->response.status),
              fmt::format("{} refused the transaction (HTTP {}): {}", answer->base_url,
                          answer->response.status, reason_of(answer->response)));
}

Result<std::optional<nlohmann::json>> CoreApiClient::transaction(const Hash& hash) {
  auto answer = first_answer("GET", fmt::format("/v1/transactions/{}", to_hex(hash)), nullptr);
  if (!answer) return std::unexpected(answer.error());
  if (answer->response.status == 404) return std::optional<nlohmann::json>{};
  auto body = nlohmann::json::parse(answer->response.body, nullptr, false);
  const bool well_formed = body.is_object() && body.contains("height") &&
                           body["height"].is_number_unsigned() && body.contains("final") &&
                           body["final"].is_boolean() && body.contains("receipt") &&
                           body["receipt"].is_object();
  if (answer->response.status != 200 || !well_formed)
    return fail(ErrorKind::kCorrupt,
                fmt::format("{}/v1/transactions/{}: unexpected answer (HTTP {}): {}", answer->base_url,
                            to_hex(hash), answer->response.status, reason_of(answer->response)));
  return std::optional<nlohmann::json>(std::move(body));
}

}  // namespace lucid::chain
