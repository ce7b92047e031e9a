#include "lucid/base/prometheus.h"

#include <cmath>

#include <fmt/format.h>

namespace lucid {
namespace {

// HELP text: backslash and newline escaped (the format's rule for docstrings).
std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

std::string PrometheusWriter::escape_label_value(std::string_view value) {
  const bool cut = value.size() > kMaxLabelValue;
  if (cut) value = cut_utf8(value, kMaxLabelValue - 3);
  std::string out;
  out.reserve(value.size() + 3);
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  if (cut) out += "...";
  return out;
}

void PrometheusWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!families_.emplace(name).second) return;
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

void PrometheusWriter::sample_line(std::string_view name, const PrometheusLabels& labels,
                                   std::string_view value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [label, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += fmt::format("{}=\"{}\"", label, escape_label_value(v));
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

std::string PrometheusWriter::format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

}  // namespace lucid
