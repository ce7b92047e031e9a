// Tor control-protocol replies (control-spec §2.3): "250-", "250+" (with a dot-terminated data
// block) and "250 " lines assembled into one reply; anything malformed is an error, never a crash.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.h"

namespace lucid::beta {

struct ReplyLine {
  int status = 0;
  std::string text;                 // after the status and separator
  std::optional<std::string> data;  // for "+" lines: the data block, dot-unstuffed, LF-separated
};

struct ControlReply {
  int status = 0;  // of the final line
  std::vector<ReplyLine> lines;

  bool ok() const { return status == 250; }
  bool is_async() const { return status >= 600 && status < 700; }
  // The final line's text, for error messages ("552 Unrecognized key").
  std::string message() const;
  // Value of "KEY=value" among the lines (first match); for "KEY=" data lines, the data block.
  std::optional<std::string> value(std::string_view key) const;
  // Every value of KEY (e.g. several "Port=" or "ServiceID=").
  std::vector<std::string> values(std::string_view key) const;
};

// Incremental parser: feed() bytes as they arrive; next() pops complete replies in order. After an
// error the parser stays failed (the connection must be dropped).
class ReplyParser {
 public:
  static constexpr std::size_t kMaxLine = 64 * 1024;
  static constexpr std::size_t kMaxReply = 4 * 1024 * 1024;
  static constexpr std::size_t kMaxLines = 100000;

  Status feed(std::string_view bytes);
  std::optional<ControlReply> next();

 private:
  Status consume_line(std::string line);

  std::string buffer_;
  std::deque<ControlReply> ready_;
  ControlReply current_;
  std::size_t current_bytes_ = 0;
  bool in_data_ = false;
  std::string data_;
  std::optional<Error> failed_;
};

// Convenience: parses a whole byte string that must hold exactly one complete reply.
Result<ControlReply> parse_control_reply(std::string_view bytes);

}  // namespace lucid::beta
