#include "lucid/sbom/semver.h"

#include <cctype>

#include <fmt/format.h>

#include "lucid/base/number.h"

namespace lucid::sbom {

namespace {
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}
}  // namespace

Result<SemVer> parse_semver(std::string_view text) {
  std::string_view s = text;
  if (s.starts_with('v')) s.remove_prefix(1);
  if (auto plus = s.find('+'); plus != std::string_view::npos) s = s.substr(0, plus);
  SemVer v;
  std::string_view core = s;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    std::string_view pre = s.substr(dash + 1);
    while (true) {
      auto dot = pre.find('.');
      std::string_view id = pre.substr(0, dot);
      if (id.empty())
        return fail(ErrorKind::kInvalidArgument, fmt::format("semver {}: empty pre-release field", text));
      v.prerelease.emplace_back(id);
      if (dot == std::string_view::npos) break;
      pre = pre.substr(dot + 1);
    }
  }
  unsigned long long* parts[] = {&v.major, &v.minor, &v.patch};
  int n = 0;
  while (true) {
    if (n == 3)
      return fail(ErrorKind::kInvalidArgument, fmt::format("semver {}: more than three numbers", text));
    auto dot = core.find('.');
    std::string_view num = core.substr(0, dot);
    if (!all_digits(num) || num.size() > 18)
      return fail(ErrorKind::kInvalidArgument, fmt::format("semver {}: '{}' is not a number", text, num));
    auto number = parse_number<unsigned long long>(num, fmt::format("semver {}: number", text));
    if (!number) return std::unexpected(number.error());
    *parts[n++] = *number;
    if (dot == std::string_view::npos) break;
    core = core.substr(dot + 1);
  }
  return v;
}

int compare_semver(const SemVer& a, const SemVer& b) {
  auto cmp = [](unsigned long long x, unsigned long long y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (int r = cmp(a.major, b.major)) return r;
  if (int r = cmp(a.minor, b.minor)) return r;
  if (int r = cmp(a.patch, b.patch)) return r;
  if (a.prerelease.empty() || b.prerelease.empty())
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  for (std::size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    const auto& x = a.prerelease[i];
    const auto& y = b.prerelease[i];
    bool xn = all_digits(x), yn = all_digits(y);
    if (xn && yn) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (int r = x.compare(y)) return r < 0 ? -1 : 1;
    } else if (xn != yn) {
      return xn ? -1 : 1;
    } else if (int r = x.compare(y)) {
      return r < 0 ? -1 : 1;
    }
  }
  return cmp(a.prerelease.size(), b.prerelease.size());
}

}  // namespace lucid::sbom
