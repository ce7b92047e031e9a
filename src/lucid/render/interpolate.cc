#include "lucid/render/interpolate.h"

#include <cctype>

namespace lucid::render {
namespace {

bool id_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::unexpected<InterpolationError> invalid(std::string_view text) {
  return std::unexpected(InterpolationError{false, "", "Invalid template: \"" + std::string(text) + "\""});
}

const std::string* lookup(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? nullptr : &it->second;
}

// The part both dialects share: a literal character, `$$`, or an unbraced `$VAR` at s[i].
// Appends its expansion, advances `i` and returns true; false when s[i] starts a `${…}` form.
bool copy_plain_or_simple(std::string_view s, std::size_t& i, const Environment& env,
                          std::set<std::string>* unset, std::string& out) {
  if (s[i] != '$') {
    out += s[i++];
    return true;
  }
  if (i + 1 < s.size() && s[i + 1] == '$') {
    out += '$';
    i += 2;
    return true;
  }
  if (i + 1 < s.size() && id_start(s[i + 1])) {
    std::size_t j = i + 1;
    while (j < s.size() && id_char(s[j])) ++j;
    std::string name(s.substr(i + 1, j - i - 1));
    if (const auto* v = lookup(env, name))
      out += *v;
    else if (unset)
      unset->insert(name);
    i = j;
    return true;
  }
  return false;
}

std::expected<std::string, InterpolationError> compose129(std::string_view s, const Environment& env,
                                                          std::set<std::string>* unset) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (copy_plain_or_simple(s, i, env, unset, out)) continue;
    if (i + 2 < s.size() && s[i + 1] == '{' && id_start(s[i + 2])) {
      std::size_t j = i + 2;
      while (j < s.size() && id_char(s[j])) ++j;
      std::string name(s.substr(i + 2, j - i - 2));
      std::string sep;
      if (j < s.size() && s[j] == ':' && j + 1 < s.size() && (s[j + 1] == '-' || s[j + 1] == '?'))
        sep = std::string(s.substr(j, 2));
      else if (j < s.size() && (s[j] == '-' || s[j] == '?'))
        sep = std::string(1, s[j]);
      std::size_t arg_start = j + sep.size();
      std::size_t close = sep.empty() ? j : s.find('}', arg_start);
      if (close == std::string_view::npos || close >= s.size() || s[close] != '}')
        return std::unexpected(InterpolationError{false, name, "Invalid interpolation format"});
      std::string arg(s.substr(arg_start, close - arg_start));
      const std::string* v = lookup(env, name);
      if (sep.empty()) {
        if (v)
          out += *v;
        else if (unset)
          unset->insert(name);
      } else if (sep == ":-") {
        out += (v && !v->empty()) ? *v : arg;
      } else if (sep == "-") {
        out += v ? *v : arg;
      } else if (sep == ":?") {
        if (!v || v->empty())
          return std::unexpected(InterpolationError{true, name, arg.empty() ? name : arg});
        out += *v;
      } else {  // "?"
        if (!v) return std::unexpected(InterpolationError{true, name, arg.empty() ? name : arg});
        out += *v;
      }
      i = close + 1;
      continue;
    }
    return std::unexpected(InterpolationError{false, "", "Invalid interpolation format"});
  }
  return out;
}

// compose-go's template: nested templates inside defaults, replacements and error messages.
std::expected<std::string, InterpolationError> spec(std::string_view s, const Environment& env,
                                                    std::set<std::string>* unset) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (copy_plain_or_simple(s, i, env, unset, out)) continue;
    if (i + 1 < s.size() && s[i + 1] == '{') {
      std::size_t j = i + 2;
      if (j >= s.size() || !id_start(s[j])) return invalid(s);
      while (j < s.size() && id_char(s[j])) ++j;
      std::string name(s.substr(i + 2, j - i - 2));
      if (j >= s.size()) return invalid(s);
      std::string op;
      if (s[j] == '}') {
        if (const auto* v = lookup(env, name))
          out += *v;
        else if (unset)
          unset->insert(name);
        i = j + 1;
        continue;
      }
      if (s[j] == ':' && j + 1 < s.size() && (s[j + 1] == '-' || s[j + 1] == '?' || s[j + 1] == '+'))
        op = std::string(s.substr(j, 2));
      else if (s[j] == '-' || s[j] == '?' || s[j] == '+')
        op = std::string(1, s[j]);
      else
        return invalid(s);
      // The argument runs to the `}` that closes this `${`, skipping nested `${…}`.
      std::size_t k = j + op.size();
      int depth = 1;
      std::size_t arg_start = k;
      for (; k < s.size(); ++k) {
        if (s[k] == '$' && k + 1 < s.size() && s[k + 1] == '{') {
          ++depth;
          ++k;
        } else if (s[k] == '}') {
          if (--depth == 0) break;
        }
      }
      if (k >= s.size()) return invalid(s);
      std::string_view arg = s.substr(arg_start, k - arg_start);
      const std::string* v = lookup(env, name);
      bool colon = op[0] == ':';
      bool set = v && (!colon || !v->empty());
      char kind = op.back();
      auto sub = [&]() { return spec(arg, env, unset); };
      if (kind == '-') {
        if (set) {
          out += *v;
        } else {
          auto d = sub();
          if (!d) return d;
          out += *d;
        }
      } else if (kind == '+') {
        if (set) {
          auto d = sub();
          if (!d) return d;
          out += *d;
        }
      } else {
        if (!set) {
          auto d = sub();
          if (!d) return d;
          std::string msg = "required variable " + name + " is missing a value";
          if (!d->empty()) msg += ": " + *d;
          return std::unexpected(InterpolationError{true, name, msg});
        }
        out += *v;
      }
      i = k + 1;
      continue;
    }
    out += '$';  // a lone `$` stays
    ++i;
  }
  return out;
}

}  // namespace

std::expected<std::string, InterpolationError> interpolate(std::string_view text, const Environment& env,
                                                           Dialect dialect, std::set<std::string>* unset) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  return dialect == Dialect::kCompose129 ? compose129(text, env, unset) : spec(text, env, unset);
}

}  // namespace lucid::render
