// The one writer of the Prometheus text exposition format (version 0.0.4), used by every /metrics:
// HELP and TYPE once per family, label values escaped and bounded, so no input can break a line,
// forge a series or grow one without limit.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace lucid {

using PrometheusLabels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusWriter {
 public:
  // Label values longer than this are cut (at a UTF-8 boundary) and end in "...".
  static constexpr std::size_t kMaxLabelValue = 128;

  // Starts the family `name` of `type` (counter, gauge, summary, histogram, untyped). A family
  // started twice keeps its first HELP and TYPE: they are written once.
  void family(std::string_view name, std::string_view type, std::string_view help);

  // One sample line. `name` is the family's name or, for summaries and histograms, the name with
  // its suffix (`_sum`, `_count`, `_bucket`).
  // Integers are written exactly, floating-point values in their shortest round-trip form (NaN,
  // +Inf, -Inf as the format spells them), bool as 1 or 0.
  template <typename V>
  void sample(std::string_view name, const PrometheusLabels& labels, V value) {
    static_assert(std::is_arithmetic_v<V>, "a sample is a number");
    if constexpr (std::is_same_v<V, bool>)
      sample_line(name, labels, value ? "1" : "0");
    else if constexpr (std::is_floating_point_v<V>)
      sample_line(name, labels, format_double(static_cast<double>(value)));
    else
      sample_line(name, labels, fmt::format("{}", value));
  }

  // family() and one unlabelled sample: the common case of a single gauge or counter.
  template <typename V>
  void single(std::string_view name, std::string_view type, std::string_view help, V value) {
    family(name, type, help);
    sample(name, {}, value);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  // The label value as it appears between the quotes: \ " and newline escaped, bounded.
  static std::string escape_label_value(std::string_view value);

 private:
  void sample_line(std::string_view name, const PrometheusLabels& labels, std::string_view value);
  static std::string format_double(double value);

  std::string out_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace lucid
