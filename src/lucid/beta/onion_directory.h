// Onions of other clusters: which cluster and plane each v3 address belongs to. The cluster render
// gives beta the other clusters' onion pins (BETA_ONION_<PLANE> in their .env) as BETA_DIRECTORY;
// `--directory FILE` holds the same YAML (docs/formats.md "Onion pins and beta's directory").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::beta {

struct RemoteOnion {
  std::string cluster, plane;
};
// By v3 label (56 characters, no ".onion").
using OnionDirectory = std::map<std::string, RemoteOnion>;

// The other clusters' Tor v3 client authorization keys, by plane, in tor's text form (upper case):
// who may read this cluster's onion of that plane.
using ClientKeys = std::map<std::string, std::vector<std::string>>;

struct Directory {
  OnionDirectory onions;
  ClientKeys clients;
};
// `clusters: {<cluster>: {<plane>: <address>.onion, ...}, ...}` and, optionally, `clients:
// {<cluster>: {<plane>: <52 base32>}}`. kInvalidArgument naming the entry for anything else (an
// address whose version or checksum is wrong, an onion listed twice, a key that is not 52 base32
// characters of 32 bytes).
Result<Directory> parse_directory(std::string_view yaml_text);
// Its onions only.
Result<OnionDirectory> parse_onion_directory(std::string_view yaml_text);

// The label of `cluster`'s onion for `plane`, when the directory pins one.
std::optional<std::string> find_onion(const OnionDirectory& directory, const std::string& cluster,
                                      const std::string& plane);

}  // namespace lucid::beta
