// What the rules over one profile's .env settings share (env/chain, env/sessions): a cluster's .env
// resolved to its values, with each key's line to point a finding at.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "lucid/fleet/env_file.h"
#include "lucid/lint/context.h"

namespace lucid::lint {

struct ClusterEnv {
  std::string_view rule;  // the rule its findings belong to
  const fleet::Cluster* cluster = nullptr;
  std::map<std::string, std::optional<std::string>> env;
  std::map<std::string, const fleet::EnvEntry*> entries;  // last entry of each key

  // `cluster` must have an .env.
  ClusterEnv(std::string_view rule_id, const fleet::Cluster& c)
      : rule(rule_id), cluster(&c), env(fleet::resolve_env_file(*c.env)) {
    for (const auto& e : c.env->entries) entries[e.key] = &e;
  }

  std::string value(std::string_view key) const {
    auto v = env.find(std::string(key));
    return v != env.end() && v->second ? *v->second : std::string();
  }
  // Where to point a finding about `key`: its line, or the file when it is absent.
  void add(Sink& sink, std::string_view key, std::string message, std::string hint) const {
    if (auto e = entries.find(std::string(key)); e != entries.end())
      sink.add(e->second->mark, rule, std::move(message), std::move(hint));
    else
      sink.add_file(cluster->env_path, rule, std::move(message), std::move(hint));
  }
};

// An Ed25519 public key or a 32-byte hash as the .env writes them: 64 lowercase hex digits.
inline bool is_hex_key(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace lucid::lint
