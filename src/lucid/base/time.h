// Wall-clock time as RFC 3339 UTC text ("2026-11-26T17:40:00Z").
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace lucid {

std::string utc_now_rfc3339();
std::string rfc3339(std::time_t when);  // the same text for a given Unix time
// The Unix time of RFC 3339 UTC text as rfc3339() writes it ("…Z"); nullopt for anything else.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// True for a calendar date written YYYY-MM-DD (month 01–12, day 01–31), as policies use for expiry.
bool is_iso_date(std::string_view text);

// A flag's duration: "500ms", "30s", "5m", "1h", "7d" or plain seconds; nullopt for anything else
// (negative, no digits, another unit, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace lucid
