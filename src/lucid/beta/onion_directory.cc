#include "lucid/beta/onion_directory.h"

#include <fmt/format.h>

#include "lucid/base/text.h"
#include "lucid/crypto/onion_address.h"
#include "lucid/yaml/loader.h"
#include "lucid/yaml/scalar.h"

namespace lucid::beta {

Result<Directory> parse_directory(std::string_view yaml_text) {
  auto tree = yaml::parse(yaml_text, "onion directory");
  if (!tree) return std::unexpected(tree.error());
  auto doc = yaml::to_json(*tree);
  if (!doc) return std::unexpected(doc.error());
  auto bad = [](const std::string& what) {
    return fail(ErrorKind::kInvalidArgument, "onion directory: " + what);
  };
  if (!doc->is_object() || !doc->contains("clusters") || !(*doc)["clusters"].is_object())
    return bad("expected `clusters:` mapping cluster ids to {plane: <address>.onion}");
  Directory out;
  for (const auto& [cluster, planes] : (*doc)["clusters"].items()) {
    if (!planes.is_object())
      return bad(fmt::format("clusters.{} must map planes to onion addresses", cluster));
    for (const auto& [plane, address] : planes.items()) {
      const std::string where = fmt::format("clusters.{}.{}", cluster, plane);
      if (!address.is_string()) return bad(where + " must be an onion address");
      // Version and checksum too: a mistyped address is an error here, not a circuit that never opens.
      auto key = crypto::parse_onion_address(lower(address.get<std::string>()));
      if (!key)
        return bad(fmt::format("{}: '{}' is not a v3 onion address ({})", where,
                               address.get<std::string>().substr(0, 80), key.error().message));
      const std::string label = crypto::onion_address(*key);
      if (out.onions.contains(label)) return bad(fmt::format("{}: {}.onion is listed twice", where, label));
      out.onions[label] = {cluster, plane};
    }
  }
  if (!doc->contains("clients")) return out;
  if (!(*doc)["clients"].is_object())
    return bad("`clients:` must map cluster ids to {plane: <client authorization key>}");
  for (const auto& [cluster, planes] : (*doc)["clients"].items()) {
    if (!planes.is_object()) return bad(fmt::format("clients.{} must map planes to keys", cluster));
    for (const auto& [plane, key] : planes.items()) {
      const std::string where = fmt::format("clients.{}.{}", cluster, plane);
      if (!key.is_string()) return bad(where + " must be a client authorization key");
      auto parsed = crypto::parse_client_auth_key(key.get<std::string>());
      if (!parsed) return bad(fmt::format("{}: {}", where, parsed.error().message));
      out.clients[plane].push_back(crypto::client_auth_key_text(*parsed));
    }
  }
  return out;
}

Result<OnionDirectory> parse_onion_directory(std::string_view yaml_text) {
  auto directory = parse_directory(yaml_text);
  if (!directory) return std::unexpected(directory.error());
  return std::move(directory->onions);
}

std::optional<std::string> find_onion(const OnionDirectory& directory, const std::string& cluster,
                                      const std::string& plane) {
  for (const auto& [label, remote] : directory)
    if (remote.cluster == cluster && remote.plane == plane) return label;
  return std::nullopt;
}

}  // namespace lucid::beta
