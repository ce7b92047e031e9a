#include "lucid/sbom/purl.h"

#include <cctype>

#include <fmt/format.h>

#include "lucid/base/text.h"

namespace lucid::sbom {

namespace {

std::string encode(std::string_view s, bool keep_slash = false) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '+' ||
        (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

Result<std::string> decode(std::string_view s) {
  auto out = percent_decode(s);
  if (!out) return fail(ErrorKind::kInvalidArgument, "purl: bad percent-encoding: " + out.error().message);
  return out;
}

}  // namespace

std::string Purl::base() const {
  std::string out = "pkg:" + type + "/";
  if (!namespace_.empty()) out += encode(namespace_, true) + "/";
  return out + encode(name);
}

std::string Purl::str() const {
  std::string out = base();
  if (!version.empty()) {
    out.push_back('@');
    out.append(encode(version));
  }
  char sep = '?';
  for (const auto& [k, v] : qualifiers) {
    out.push_back(sep);
    out.append(k);
    out.push_back('=');
    out.append(encode(v));
    sep = '&';
  }
  return out;
}

Result<Purl> parse_purl(std::string_view text) {
  std::string_view s = text;
  if (!s.starts_with("pkg:"))
    return fail(ErrorKind::kInvalidArgument, fmt::format("purl {}: no pkg: scheme", text));
  s.remove_prefix(4);
  while (s.starts_with('/')) s.remove_prefix(1);
  Purl p;
  if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
  if (auto q = s.find('?'); q != std::string_view::npos) {
    std::string_view qs = s.substr(q + 1);
    s = s.substr(0, q);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0)
        return fail(ErrorKind::kInvalidArgument, fmt::format("purl {}: bad qualifier", text));
      std::string key = lower(kv.substr(0, eq));
      auto value = decode(kv.substr(eq + 1));
      if (!value) return std::unexpected(value.error());
      p.qualifiers[key] = *value;
      if (amp == std::string_view::npos) break;
      qs = qs.substr(amp + 1);
    }
  }
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    auto v = decode(s.substr(at + 1));
    if (!v) return std::unexpected(v.error());
    p.version = *v;
    s = s.substr(0, at);
  }
  auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return fail(ErrorKind::kInvalidArgument, fmt::format("purl {}: no type/name", text));
  p.type = lower(s.substr(0, slash));
  s = s.substr(slash + 1);
  while (s.ends_with('/')) s.remove_suffix(1);
  auto last = s.rfind('/');
  auto name = decode(last == std::string_view::npos ? s : s.substr(last + 1));
  if (!name || name->empty()) return fail(ErrorKind::kInvalidArgument, fmt::format("purl {}: no name", text));
  p.name = *name;
  if (last != std::string_view::npos) {
    auto ns = decode(s.substr(0, last));
    if (!ns) return std::unexpected(ns.error());
    p.namespace_ = *ns;
  }
  if (p.type == "deb" || p.type == "golang" || p.type == "npm" || p.type == "pypi") {
    p.namespace_ = lower(p.namespace_);
    if (p.type != "golang") p.name = lower(p.name);
  }
  return p;
}

Purl debian_purl(std::string_view name, std::string_view version, std::string_view arch,
                 std::string_view distro) {
  Purl p;
  p.type = "deb";
  p.namespace_ = "debian";
  p.name = std::string(name);
  p.version = std::string(version);
  if (!arch.empty()) p.qualifiers["arch"] = std::string(arch);
  if (!distro.empty()) p.qualifiers["distro"] = std::string(distro);
  return p;
}

}  // namespace lucid::sbom
