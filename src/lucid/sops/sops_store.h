// SOPS's file stores: YAML (go-yaml v3 typing and layout), JSON (numbers are floats, tab
// indentation, Go's string escaping) and dotenv (KEY=VALUE, metadata flattened under `sops_`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "lucid/base/result.h"
#include "lucid/sops/sops_tree.h"

namespace lucid::sops {

enum class SopsFormat { kYaml, kJson, kDotenv };

// By extension, as sops decides: .json → JSON, .env → dotenv, anything else YAML.
SopsFormat sops_format_for(const std::filesystem::path& path);
std::string_view sops_format_name(SopsFormat format);

// Parses a whole document into a mapping (dotenv: a flat mapping of strings). `name` prefixes messages.
Result<SopsNode> sops_load_yaml(std::string_view text, const std::string& name);
Result<SopsNode> sops_load_json(std::string_view text, const std::string& name);
Result<SopsNode> sops_load_dotenv(std::string_view text, const std::string& name);
Result<SopsNode> sops_load(std::string_view text, SopsFormat format, const std::string& name);

// Writes a mapping the way sops's store writes it (dotenv: scalars only).
std::string sops_emit_yaml(const SopsNode& root);
std::string sops_emit_json(const SopsNode& root);
Result<std::string> sops_emit_dotenv(const SopsNode& root);
Result<std::string> sops_emit(const SopsNode& root, SopsFormat format);

// dotenv metadata: the `sops` mapping ↔ flat keys ("age__list_0__map_enc") without the prefix.
Result<SopsNode> sops_unflatten(const std::vector<std::pair<std::string, std::string>>& flat);
std::vector<std::pair<std::string, std::string>> sops_flatten(const SopsNode& node);  // sorted by key

}  // namespace lucid::sops
