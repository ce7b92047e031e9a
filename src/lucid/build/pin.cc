#include "lucid/build/pin.h"

#include <set>

#include <fmt/format.h>

#include "lucid/oci/image_ref.h"

namespace lucid::build {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

}  // namespace

Result<PinResult> pin_images(std::string_view compose_text, const std::map<std::string, PinTarget>& targets) {
  PinResult out;
  std::set<std::string> seen;
  std::string text;
  text.reserve(compose_text.size() + 256);
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < compose_text.size()) {
    auto end = compose_text.find('\n', pos);
    bool has_nl = end != std::string_view::npos;
    if (!has_nl) end = compose_text.size();
    std::string line(compose_text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    // "    image: value" with an optional quote; comments after the value are not used in compose files
    // written by Lucid, and a line with one is left alone.
    auto key = line.find("image:");
    auto indent = line.find_first_not_of(' ');
    if (key != std::string::npos && key == indent && line.find('#') == std::string::npos) {
      std::string value = line.substr(key + 6);
      auto vs = value.find_first_not_of(" \t");
      auto ve = value.find_last_not_of(" \t\r");
      if (vs != std::string::npos) {
        std::string raw = value.substr(vs, ve - vs + 1);
        char quote = (raw.front() == '"' || raw.front() == '\'') ? raw.front() : 0;
        std::string ref_text =
            quote && raw.size() >= 2 && raw.back() == quote ? raw.substr(1, raw.size() - 2) : raw;
        auto ref = oci::parse_image_ref(ref_text);
        if (ref && targets.count(ref->repository)) {
          const PinTarget& t = targets.at(ref->repository);
          seen.insert(ref->repository);
          std::string pinned = ref->name() + (t.tag.empty() ? "" : ":" + t.tag) + "@" + t.digest;
          if (quote) pinned = std::string(1, quote) + pinned + std::string(1, quote);
          std::string new_line = line.substr(0, key + 6) + value.substr(0, vs) + pinned;
          if (new_line != line) out.changes.push_back({line_no, line, new_line});
          line = new_line;
        } else if (!ref && targets.size() > 0) {
          for (const auto& [repo, t] : targets)
            if (ref_text.find("/" + repo) != std::string::npos)
              return fail(ErrorKind::kInvalidArgument, fmt::format("line {}: image '{}' cannot be parsed: {}",
                                                                   line_no, ref_text, ref.error().message));
        }
      }
    }
    text += line;
    if (has_nl) text += '\n';
  }
  for (const auto& [repo, t] : targets)
    if (!seen.count(repo)) out.unmatched.push_back(repo);
  out.text = std::move(text);
  return out;
}

std::string unified_diff(std::string_view before, std::string_view after, std::string_view label_before,
                         std::string_view label_after) {
  auto a = split_lines(before);
  auto b = split_lines(after);
  if (a.size() != b.size())
    return fmt::format("--- {}\n+++ {}\n(line counts differ)\n", label_before, label_after);
  std::vector<std::size_t> changed;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) changed.push_back(i);
  if (changed.empty()) return {};
  std::string out = fmt::format("--- {}\n+++ {}\n", label_before, label_after);
  constexpr std::size_t kContext = 3;
  std::size_t i = 0;
  while (i < changed.size()) {
    std::size_t first = changed[i] >= kContext ? changed[i] - kContext : 0;
    std::size_t j = i;
    while (j + 1 < changed.size() && changed[j + 1] <= changed[j] + 2 * kContext) ++j;
    std::size_t last = std::min(a.size() - 1, changed[j] + kContext);
    std::size_t n = last - first + 1;
    out += fmt::format("@@ -{},{} +{},{} @@\n", first + 1, n, first + 1, n);
    for (std::size_t k = first; k <= last; ++k) {
      if (a[k] == b[k]) {
        out += " " + a[k] + "\n";
      } else {
        out += "-" + a[k] + "\n";
        out += "+" + b[k] + "\n";
      }
    }
    i = j + 1;
  }
  return out;
}

}  // namespace lucid::build
