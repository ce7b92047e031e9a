#include "lucid/fleet/env_file.h"

#include <algorithm>
#include <memory>

namespace lucid::fleet {
namespace {

bool is_hspace(char c) {
  return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}
bool is_space(char c) {
  return is_hspace(c) || c == '\n' || c == '\r';
}

// A cursor over the text that mirrors python-dotenv's Reader and regexes.
class Reader {
 public:
  Reader(std::string_view s, const std::string& file)
      : s_(s), file_(std::make_shared<const std::string>(file)) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
      if (s[i] == '\n' || s[i] == '\r') starts_.push_back(i + 1);
    }
  }
  bool more() const { return pos_ < s_.size(); }
  char peek() const { return more() ? s_[pos_] : '\0'; }
  yaml::Mark mark(std::size_t p) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), p) - 1;
    return yaml::Mark{file_, static_cast<int>(it - starts_.begin()) + 1, static_cast<int>(p - *it) + 1};
  }
  std::size_t pos_ = 0;
  std::string_view s_;

 private:
  std::shared_ptr<const std::string> file_;
  std::vector<std::size_t> starts_;
};

std::string decode(std::string_view v, std::string_view escapable) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() && escapable.find(v[i + 1]) != std::string_view::npos) {
      char c = v[++i];
      switch (c) {
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        default:
          out += c;
          break;
      }
    } else {
      out += v[i];
    }
  }
  return out;
}

// `Q((?:\\Q|[^Q])*)Q` as Python's backtracking regex matches it; returns the content and moves past.
bool quoted(Reader& r, char q, std::string& content) {
  std::size_t start = r.pos_ + 1;
  std::size_t i = start;
  std::optional<std::size_t> fallback;  // the last `\Q` could close instead
  const auto& s = r.s_;
  while (i < s.size()) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == q) {
      fallback = i + 1;
      i += 2;
      continue;
    }
    if (s[i] == q) {
      content = std::string(s.substr(start, i - start));
      r.pos_ = i + 1;
      return true;
    }
    ++i;
  }
  if (!fallback) return false;
  content = std::string(s.substr(start, *fallback - start));
  r.pos_ = *fallback + 1;
  return true;
}

std::string rstrip(std::string s) {
  while (!s.empty() && (is_space(s.back()))) s.pop_back();
  return s;
}

// One statement; false when python-dotenv would report "could not parse".
bool binding(Reader& r, EnvFile& out, bool& done) {
  while (r.more() && is_space(r.peek())) ++r.pos_;
  if (!r.more()) {
    done = true;
    return true;
  }
  std::size_t stmt = r.pos_;
  const auto& s = r.s_;
  if (s.substr(r.pos_).starts_with("export")) {
    std::size_t j = r.pos_ + 6;
    if (j < s.size() && is_hspace(s[j])) {
      while (j < s.size() && is_hspace(s[j])) ++j;
      r.pos_ = j;
    }
  }
  std::optional<std::string> key;
  if (r.peek() == '#') {
    key.reset();
  } else if (r.peek() == '\'') {
    auto close = s.find('\'', r.pos_ + 1);
    if (close == std::string_view::npos || close == r.pos_ + 1) return false;
    key = std::string(s.substr(r.pos_ + 1, close - r.pos_ - 1));
    r.pos_ = close + 1;
  } else {
    std::size_t j = r.pos_;
    while (j < s.size() && s[j] != '=' && s[j] != '#' && !is_space(s[j])) ++j;
    if (j == r.pos_) return false;
    key = std::string(s.substr(r.pos_, j - r.pos_));
    r.pos_ = j;
  }
  while (r.more() && is_hspace(r.peek())) ++r.pos_;
  std::optional<std::string> value;
  if (r.peek() == '=') {
    ++r.pos_;
    while (r.more() && is_hspace(r.peek())) ++r.pos_;
    char c = r.peek();
    std::string content;
    if (c == '\'') {
      if (!quoted(r, '\'', content)) return false;
      value = decode(content, "\\'");
    } else if (c == '"') {
      if (!quoted(r, '"', content)) return false;
      value = decode(content, "\\'\"abfnrtv");
    } else if (!r.more() || c == '\n' || c == '\r') {
      value = "";
    } else {
      std::size_t j = r.pos_;
      while (j < s.size() && s[j] != '\n' && s[j] != '\r') ++j;
      std::string part(s.substr(r.pos_, j - r.pos_));
      r.pos_ = j;
      // re.sub(r"\s+#.*", "", part).rstrip()
      for (std::size_t k = 0; k < part.size(); ++k) {
        if (is_space(part[k])) {
          std::size_t m = k;
          while (m < part.size() && is_space(part[m])) ++m;
          if (m < part.size() && part[m] == '#') {
            part.resize(k);
            break;
          }
          k = m - 1;
        }
      }
      value = rstrip(part);
    }
  }
  // _comment: optional whitespace then `#…`; then _end_of_line.
  std::size_t j = r.pos_;
  while (j < s.size() && is_hspace(s[j])) ++j;
  if (j < s.size() && s[j] == '#') {
    while (j < s.size() && s[j] != '\n' && s[j] != '\r') ++j;
    r.pos_ = j;
  }
  j = r.pos_;
  while (j < s.size() && is_hspace(s[j])) ++j;
  if (j < s.size()) {
    if (s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n')
      j += 2;
    else if (s[j] == '\n' || s[j] == '\r')
      ++j;
    else
      return false;
  }
  r.pos_ = j;
  if (key) out.entries.push_back(EnvEntry{*key, value, r.mark(stmt)});
  return true;
}

}  // namespace

EnvFile parse_env_file(std::string_view text, const std::string& file) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // utf-8-sig
  Reader r(text, file);
  EnvFile out;
  while (r.more()) {
    std::size_t start = r.pos_;
    bool done = false;
    if (!binding(r, out, done)) {
      // Skip the rest of the line: [^\r\n]*(?:\r|\n|\r\n)?
      std::size_t ws = start;
      while (ws < text.size() && is_space(text[ws])) ++ws;
      out.invalid_lines.push_back(r.mark(ws));
      std::size_t j = ws;
      while (j < text.size() && text[j] != '\n' && text[j] != '\r') ++j;
      if (j < text.size()) ++j;
      r.pos_ = std::max(j, start + 1);
    }
    if (done) break;
  }
  return out;
}

std::map<std::string, std::optional<std::string>> resolve_env_file(
    const EnvFile& file, const std::map<std::string, std::string>& base) {
  std::map<std::string, std::optional<std::string>> values;
  for (const auto& e : file.entries) {
    if (!e.value) {
      values[e.key] = std::nullopt;
      continue;
    }
    const std::string& v = *e.value;
    std::string out;
    std::size_t i = 0;
    while (i < v.size()) {
      // \$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}
      if (v[i] == '$' && i + 1 < v.size() && v[i + 1] == '{') {
        std::size_t j = i + 2;
        while (j < v.size() && v[j] != '}' && v[j] != ':') ++j;
        std::string name(v.substr(i + 2, j - i - 2));
        std::optional<std::string> def;
        bool ok = false;
        std::size_t end = j;
        if (j < v.size() && v[j] == '}') {
          ok = true;
        } else if (j + 1 < v.size() && v[j] == ':' && v[j + 1] == '-') {
          std::size_t k = j + 2;
          while (k < v.size() && v[k] != '}') ++k;
          if (k < v.size()) {
            def = std::string(v.substr(j + 2, k - j - 2));
            ok = true;
            end = k;
          }
        }
        if (ok) {
          std::optional<std::string> found;
          bool present = false;
          if (auto it = values.find(name); it != values.end()) {
            present = true;
            found = it->second;
          } else if (auto b = base.find(name); b != base.end()) {
            present = true;
            found = b->second;
          }
          if (present)
            out += found.value_or("");
          else
            out += def.value_or("");
          i = end + 1;
          continue;
        }
      }
      out += v[i++];
    }
    values[e.key] = out;
  }
  return values;
}

}  // namespace lucid::fleet
