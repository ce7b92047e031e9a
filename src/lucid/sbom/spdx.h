// SPDX 2.3 JSON SBOMs for Lucid images: generating one from the image's Lucid binaries and files
// (Debian packages found through the dpkg database), parsing any SPDX JSON, and checking its shape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"
#include "lucid/sbom/dpkg_db.h"

namespace lucid::sbom {

struct LucidBinary {
  std::string name;     // "betad"
  std::string version;  // "0.1.0"
  std::string sha256;   // hex of the binary's bytes; "" when unknown
};

// What an image holds, as the builder knows it.
struct ImageContents {
  std::string image;         // "127.0.0.1:5000/lucid/beta" (the SBOM's name and root package)
  std::string image_digest;  // "sha256:…" when known (recorded on the root package)
  std::vector<LucidBinary> binaries;
  std::vector<std::string> files;                // absolute paths inside the image
  std::string created = "1970-01-01T00:00:00Z";  // pass a build/commit time; default keeps output stable
  std::string distro = "debian-12";
};

struct SbomPackage {
  std::string spdx_id;
  std::string name;
  std::string version;
  std::string purl;  // "" when the package carries none
};

struct Sbom {
  std::string name;
  std::string document_namespace;
  std::vector<SbomPackage> packages;
};

struct GeneratedSbom {
  std::string json;                        // pretty-printed (2 spaces), trailing newline
  std::vector<std::string> unowned_files;  // image files no Debian package owns (Lucid binaries, configs)
};

// Deterministic: packages sorted by purl, the document namespace derived from the SHA-256 of the
// document with an empty namespace. Lucid binaries get purl pkg:generic/lucid/<name>@<version>.
Result<GeneratedSbom> generate_spdx(const ImageContents& image, const DpkgDatabase& dpkg);

// Reads name, namespace and packages (with the purl from externalRefs). kCorrupt when not SPDX JSON.
Result<Sbom> parse_spdx(std::string_view json_text);

// Structural check against the SPDX 2.3 JSON schema's required fields (document, creationInfo,
// packages, relationships, externalRefs, checksums) and a few enums. Empty when the shape is right.
std::vector<std::string> check_spdx_shape(std::string_view json_text);

}  // namespace lucid::sbom
