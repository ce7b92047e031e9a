// Wall-clock time as RFC 3339 UTC text ("2026-11-26T17:40:00Z").
#pragma once

#include <string>

namespace lucid {

std::string utc_now_rfc3339();

}  // namespace lucid
