#include "lucid/beta/control_reply.h"

#include <fmt/format.h>

namespace lucid::beta {

std::string ControlReply::message() const {
  if (lines.empty()) return {};
  return fmt::format("{} {}", lines.back().status, lines.back().text);
}

std::optional<std::string> ControlReply::value(std::string_view key) const {
  auto all = values(key);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<std::string> ControlReply::values(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    std::string_view t = line.text;
    if (t.size() > key.size() && t.substr(0, key.size()) == key && t[key.size()] == '=') {
      if (line.data && t.size() == key.size() + 1)
        out.push_back(*line.data);
      else
        out.emplace_back(t.substr(key.size() + 1));
    }
  }
  return out;
}

Status ReplyParser::feed(std::string_view bytes) {
  if (failed_) return std::unexpected(*failed_);
  buffer_.append(bytes);
  std::size_t pos = 0;
  while (true) {
    auto nl = buffer_.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = buffer_.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (auto s = consume_line(std::move(line)); !s) {
      failed_ = s.error();
      return s;
    }
  }
  buffer_.erase(0, pos);
  if (buffer_.size() > kMaxLine) {
    failed_ = Error(ErrorKind::kCorrupt, "tor control reply line longer than 64 KiB");
    return std::unexpected(*failed_);
  }
  return {};
}

Status ReplyParser::consume_line(std::string line) {
  current_bytes_ += line.size() + 2;
  if (current_bytes_ > kMaxReply || current_.lines.size() > kMaxLines)
    return fail(ErrorKind::kCorrupt, "tor control reply too large");
  if (in_data_) {
    if (line == ".") {
      current_.lines.back().data = std::move(data_);
      data_.clear();
      in_data_ = false;
      return {};
    }
    if (line.starts_with(".")) line.erase(0, 1);
    data_ += line;
    data_ += '\n';
    return {};
  }
  if (line.size() < 4) return fail(ErrorKind::kCorrupt, "tor control reply line too short");
  for (int i = 0; i < 3; ++i)
    if (line[i] < '0' || line[i] > '9')
      return fail(ErrorKind::kCorrupt, "tor control reply line has no status code");
  int status = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (status < 200 || status > 699)
    return fail(ErrorKind::kCorrupt, fmt::format("tor control status {} out of range", status));
  char sep = line[3];
  if (sep != ' ' && sep != '-' && sep != '+')
    return fail(ErrorKind::kCorrupt, "tor control reply line has a bad separator");
  if (!current_.lines.empty() && current_.lines.front().status != status)
    return fail(ErrorKind::kCorrupt, "tor control reply mixes status codes");
  current_.lines.push_back({status, line.substr(4), std::nullopt});
  if (sep == '+') {
    in_data_ = true;
  } else if (sep == ' ') {
    current_.status = status;
    ready_.push_back(std::move(current_));
    current_ = {};
    current_bytes_ = 0;
  }
  return {};
}

std::optional<ControlReply> ReplyParser::next() {
  if (ready_.empty()) return std::nullopt;
  ControlReply r = std::move(ready_.front());
  ready_.pop_front();
  return r;
}

Result<ControlReply> parse_control_reply(std::string_view bytes) {
  ReplyParser p;
  if (auto s = p.feed(bytes); !s) return std::unexpected(s.error());
  auto r = p.next();
  if (!r) return fail(ErrorKind::kCorrupt, "incomplete tor control reply");
  if (p.next()) return fail(ErrorKind::kCorrupt, "more than one tor control reply");
  return *r;
}

}  // namespace lucid::beta
