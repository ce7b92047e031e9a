#include "lucid/sops/sops_config.h"

#include <regex>

#include <fmt/format.h>

#include "lucid/yaml/loader.h"

namespace lucid::sops {
namespace fs = std::filesystem;

Result<std::optional<SopsCreationRule>> sops_find_creation_rule(const fs::path& file) {
  fs::path abs = fs::absolute(file).lexically_normal();
  for (fs::path dir = abs.parent_path();; dir = dir.parent_path()) {
    fs::path config = dir / ".sops.yaml";
    if (fs::is_regular_file(config)) {
      auto doc = yaml::load_file(config);
      if (!doc) return std::unexpected(doc.error());
      const yaml::Node* rules = doc->find("creation_rules");
      if (rules == nullptr || !rules->is_sequence()) return std::optional<SopsCreationRule>();
      std::string rel = abs.lexically_relative(dir).string();
      for (const auto& r : rules->items) {
        if (!r.is_mapping()) continue;
        if (const yaml::Node* re = r.find("path_regex"); re != nullptr && re->is_scalar()) {
          try {
            if (!std::regex_search(rel, std::regex(re->value)) &&
                !std::regex_search(abs.string(), std::regex(re->value)))
              continue;
          } catch (const std::regex_error&) {
            return fail(ErrorKind::kInvalidArgument,
                        fmt::format("{}: path_regex does not compile", re->mark.str()));
          }
        }
        SopsCreationRule out;
        out.config = config;
        if (const yaml::Node* age = r.find("age"); age != nullptr) {
          auto add = [&](const std::string& list) {
            std::size_t start = 0;
            for (;;) {
              auto comma = list.find(',', start);
              std::string one =
                  list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
              one.erase(0, one.find_first_not_of(" \t\n"));
              one.erase(one.find_last_not_of(" \t\n") + 1);
              if (!one.empty()) out.age.push_back(one);
              if (comma == std::string::npos) break;
              start = comma + 1;
            }
          };
          if (age->is_scalar()) add(age->value);
          for (const auto& i : age->items)
            if (i.is_scalar()) add(i.value);
        }
        auto str = [&](const char* k) {
          const yaml::Node* n = r.find(k);
          return n != nullptr && n->is_scalar() ? n->value : std::string();
        };
        out.rules.unencrypted_suffix = str("unencrypted_suffix");
        out.rules.encrypted_suffix = str("encrypted_suffix");
        out.rules.unencrypted_regex = str("unencrypted_regex");
        out.rules.encrypted_regex = str("encrypted_regex");
        out.rules.mac_only_encrypted = str("mac_only_encrypted") == "true";
        return std::optional<SopsCreationRule>(std::move(out));
      }
      return std::optional<SopsCreationRule>();
    }
    if (dir == dir.root_path() || dir.empty()) return std::optional<SopsCreationRule>();
  }
}

}  // namespace lucid::sops
