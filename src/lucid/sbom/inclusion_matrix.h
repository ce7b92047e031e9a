// The content inclusion matrix (policies/inclusion-matrix.yaml): per container, the components an
// image must (error) or should (warning) hold, each satisfied by any of its `deb:`/`lucid:` SBOM entries.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sbom/spdx.h"

namespace lucid::sbom {

struct MatrixComponent {
  std::string id;
  std::string description;
  std::vector<std::string> sbom;  // "deb:<package>" or "lucid:<binary>"
};

struct MatrixContainer {
  std::string name;
  std::vector<MatrixComponent> must;
  std::vector<MatrixComponent> should;
};

struct InclusionMatrix {
  std::map<std::string, MatrixContainer> containers;
};

Result<InclusionMatrix> load_inclusion_matrix(const std::filesystem::path& path);
Result<InclusionMatrix> parse_inclusion_matrix(std::string_view yaml_text, const std::string& file);

struct InclusionFinding {
  enum class Level { kError, kWarning };
  Level level = Level::kError;
  std::string container;
  std::string component;
  std::string message;  // "<image>: inclusion: must-include tor (Tor v3 runtime) missing: none of deb:tor in
                        // the SBOM"
};

// Findings for one image whose container is `container`; none when the matrix has no such row.
std::vector<InclusionFinding> check_inclusion(const InclusionMatrix& matrix, std::string_view container,
                                              const Sbom& sbom, std::string_view image);

// True when some package of `sbom` satisfies the entry ("deb:tor" → purl pkg:deb/…/tor;
// "lucid:betad" → purl pkg:generic/lucid/betad).
bool sbom_has(const Sbom& sbom, std::string_view entry);

}  // namespace lucid::sbom
