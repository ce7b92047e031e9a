// The stores' check of the text fields a record must carry: which one, if any, is empty.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace lucid::sessions {

// A field and how messages name it.
using RequiredField = std::pair<const std::string*, const char*>;

// The name of the first empty field, or nullptr when all are set.
inline const char* first_empty(std::initializer_list<RequiredField> fields) {
  for (const auto& [value, name] : fields)
    if (value->empty()) return name;
  return nullptr;
}

}  // namespace lucid::sessions
