#include "lucid/chain/service_config.h"

#include <cstdlib>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/number.h"
#include "lucid/base/secret.h"
#include "lucid/base/secret_env.h"
#include "lucid/base/text.h"
#include "lucid/seal/keys.h"

namespace lucid::chain {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

Result<Genesis> load_genesis_file(const std::filesystem::path& path) {
  auto text = read_text_file(path);
  if (!text) return std::unexpected(text.error());
  auto document = nlohmann::json::parse(*text, nullptr, false);
  if (document.is_discarded()) return fail(ErrorKind::kCorrupt, fmt::format("{}: not JSON", path.string()));
  return parse_genesis(document, path.string());
}

Result<Genesis> service_genesis(const std::filesystem::path& genesis_file) {
  const std::string chain_id = env_or("CHAIN_ID", "");
  if (chain_id.empty()) return load_genesis_file(genesis_file);
  auto time_ms = parse_number<std::uint64_t>(env_or("CHAIN_GENESIS_TIME_MS", "0"), "CHAIN_GENESIS_TIME_MS");
  if (!time_ms) return std::unexpected(time_ms.error());
  // parse_genesis checks every field as it does for a file, naming the variables.
  nlohmann::json document{{"chain_id", chain_id},
                          {"validators", split_comma_list(env_or("CHAIN_VALIDATORS", ""))},
                          {"time_ms", *time_ms}};
  return parse_genesis(document, "CHAIN_ID/CHAIN_VALIDATORS/CHAIN_GENESIS_TIME_MS");
}

Result<crypto::Ed25519KeyPair> service_key(const char* seed_variable, const std::filesystem::path& key_file) {
  std::optional<std::string> seed_hex = take_secret_env(seed_variable);
  if (!seed_hex || seed_hex->empty()) {
    auto key = seal::load_node_key(key_file);
    if (!key)
      return fail(key.error().kind,
                  fmt::format("no {} and the key file {}", seed_variable, key.error().message));
    return key;
  }
  crypto::Ed25519Seed seed;
  Status parsed = from_hex_into(*seed_hex, seed.span());
  secure_zero(*seed_hex);
  if (!parsed)
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} must hold the key's 32-byte seed as 64 hex digits (the value is not shown)",
                            seed_variable));
  return crypto::Ed25519KeyPair::from_seed(seed);
}

}  // namespace lucid::chain
