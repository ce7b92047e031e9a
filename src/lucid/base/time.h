// Wall-clock time as RFC 3339 UTC text ("2026-11-26T17:40:00Z").
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace lucid {

std::string utc_now_rfc3339();
std::string rfc3339(std::time_t when);  // the same text for a given Unix time

// True for a calendar date written YYYY-MM-DD (month 01–12, day 01–31), as policies use for expiry.
bool is_iso_date(std::string_view text);

// A flag's duration: "500ms", "30s", "5m", "1h", "7d" or plain seconds; nullopt for anything else
// (negative, no digits, another unit, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace lucid
