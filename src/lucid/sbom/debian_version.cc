#include "lucid/sbom/debian_version.h"

#include <cctype>

#include <fmt/format.h>

namespace lucid::sbom {

namespace {

// dpkg's order(): '~' < end/digit < letters < other characters.
int order(int c) {
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int verrevcmp(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  auto at = [](std::string_view s, std::size_t k) -> int {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !std::isdigit(at(a, i))) || (j < b.size() && !std::isdigit(at(b, j)))) {
      int ac = order(at(a, i));
      int bc = order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    while (std::isdigit(at(a, i)) && std::isdigit(at(b, j))) {
      if (!first_diff) first_diff = at(a, i) - at(b, j);
      ++i;
      ++j;
    }
    if (std::isdigit(at(a, i))) return 1;
    if (std::isdigit(at(b, j))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

}  // namespace

Result<DebianVersion> parse_debian_version(std::string_view text) {
  DebianVersion v;
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return fail(ErrorKind::kInvalidArgument, "debian version: empty");
  if (auto colon = s.find(':'); colon != std::string_view::npos) {
    std::string_view e = s.substr(0, colon);
    if (e.empty() || e.size() > 9)
      return fail(ErrorKind::kInvalidArgument, fmt::format("debian version {}: bad epoch", text));
    long epoch = 0;
    for (char c : e) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("debian version {}: epoch is not a number", text));
      epoch = epoch * 10 + (c - '0');
    }
    v.epoch = epoch;
    s = s.substr(colon + 1);
  }
  if (auto dash = s.rfind('-'); dash != std::string_view::npos) {
    v.revision = std::string(s.substr(dash + 1));
    s = s.substr(0, dash);
    if (v.revision.empty())
      return fail(ErrorKind::kInvalidArgument, fmt::format("debian version {}: empty revision", text));
  }
  if (s.empty())
    return fail(ErrorKind::kInvalidArgument, fmt::format("debian version {}: empty upstream", text));
  if (!std::isdigit(static_cast<unsigned char>(s.front())))
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("debian version {}: upstream must start with a digit", text));
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != '~' &&
        c != ':')
      return fail(ErrorKind::kInvalidArgument, fmt::format("debian version {}: bad character '{}'", text, c));
  for (char c : v.revision)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+' && c != '~')
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("debian version {}: bad character '{}' in revision", text, c));
  v.upstream = std::string(s);
  return v;
}

int compare_debian_versions(const DebianVersion& a, const DebianVersion& b) {
  if (a.epoch != b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (int r = verrevcmp(a.upstream, b.upstream)) return r < 0 ? -1 : 1;
  int r = verrevcmp(a.revision, b.revision);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

int compare_debian_versions(std::string_view a, std::string_view b) {
  auto pa = parse_debian_version(a);
  auto pb = parse_debian_version(b);
  if (pa && pb) return compare_debian_versions(*pa, *pb);
  if (pa) return -1;
  if (pb) return 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace lucid::sbom
