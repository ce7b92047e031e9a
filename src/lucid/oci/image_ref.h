// Image references as compose files and lucidctl spell them: [registry/]repository[:tag][@sha256:hex].
// Parsing is strict about the digest (lower-case sha256, 64 hex) and keeps the parts apart.
#pragma once

#include <string>
#include <string_view>

#include "lucid/base/result.h"

namespace lucid::oci {

struct ImageRef {
  std::string registry;    // "127.0.0.1:5000"; "" when the reference names none
  std::string repository;  // "lucid/beta"
  std::string tag;         // "" when absent
  std::string digest;      // "sha256:<hex>" or ""

  // registry/repository (cosign's docker-reference: no tag, no digest).
  std::string name() const;
  // name()@digest when pinned, else name():tag.
  std::string str() const;
};

// The first component is a registry when it holds '.' or ':' or is "localhost".
Result<ImageRef> parse_image_ref(std::string_view text);
// True for "sha256:" followed by exactly 64 lower-case hex digits.
bool is_sha256_digest(std::string_view digest);

}  // namespace lucid::oci
