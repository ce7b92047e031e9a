#include "lucid/chain/service_config.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lucid/base/env.h"
#include "lucid/base/files.h"
#include "lucid/base/hex.h"
#include "lucid/base/number.h"
#include "lucid/base/text.h"

namespace lucid::chain {

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

}  // namespace lucid::chain
