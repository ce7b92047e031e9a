// libFuzzer target: the compose loader (YAML with positions → typed ComposeFile) and every lint rule
// over the resulting model. Malformed input must become findings, never a crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lucid/fleet/compose.h"
#include "lucid/fleet/model.h"
#include "lucid/lint/lint.h"
#include "lucid/yaml/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  lucid::yaml::LoadOptions options;
  options.max_nodes = 200'000;  // keep alias bombs cheap under the sanitizers
  auto doc = lucid::yaml::parse_document(text, "docker-compose.yml", options);
  if (!doc) return 0;
  lucid::fleet::Model model;
  model.repo = "/nonexistent-fuzz-repo";
  auto root = std::make_shared<const lucid::yaml::Node>(std::move(*doc));
  model.compose = lucid::fleet::compose_from_node(root, "docker-compose.yml", model.findings);
  auto findings = lucid::lint::lint(model);
  for (const auto& f : findings)
    if (f.rule_id.empty() || f.file.empty()) __builtin_trap();
  return 0;
}
