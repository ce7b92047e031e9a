// Pinning built digests into a config repo's compose file: only `image:` lines change, the rest of
// the text (comments, order) is kept byte for byte; the change is shown as a unified diff.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::build {

struct PinTarget {
  std::string tag;     // written as repository:tag@digest ("" → repository@digest)
  std::string digest;  // "sha256:<hex>"
};

struct PinChange {
  int line = 0;  // 1-based
  std::string before;
  std::string after;
};

struct PinResult {
  std::string text;                    // the new compose text (equal to the input when nothing changed)
  std::vector<PinChange> changes;      // lines whose image changed
  std::vector<std::string> unmatched;  // repositories no `image:` line names
};

// Rewrites every `image: [registry/]<repository>[:tag][@digest]` line whose repository is a key of
// `targets` ("lucid/node-worker") to `[registry/]<repository>:<tag>@<digest>`, keeping the registry
// as written. kInvalidArgument when a matching line cannot be parsed.
Result<PinResult> pin_images(std::string_view compose_text, const std::map<std::string, PinTarget>& targets);

// A unified diff (3 lines of context) of two texts with the same line count and per-line changes.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view label_before,
                         std::string_view label_after);

}  // namespace lucid::build
