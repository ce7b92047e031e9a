#include "lucid/chain/abi_value.h"

#include <fmt/format.h>

#include <algorithm>

#include "lucid/base/hex.h"
#include "lucid/base/text.h"

namespace lucid::chain {
namespace {

using Json = nlohmann::json;

bool is_negative(const AbiWord& word) {
  return (word[0] & 0x80) != 0;
}

AbiWord negate(AbiWord word) {
  for (auto& b : word) {
    b = static_cast<std::uint8_t>(~b);
  }
  for (std::size_t i = word.size(); i-- > 0;) {
    if (++word[i] != 0) {
      break;
    }
  }
  return word;
}

// The bytes of a word above the low `bits` bits.
std::size_t high_byte_count(std::size_t bits) {
  return 32 - bits / 8;
}

Status type_error(const std::string& path, const AbiType& type, std::string_view what) {
  return fail(ErrorKind::kInvalidArgument,
              fmt::format("{}: {} for ABI type {}", path.empty() ? "value" : path, what, type.canonical()));
}

Status check(const AbiType& type, const AbiValue& value, const std::string& path) {
  using Kind = AbiType::Kind;
  switch (type.kind) {
    case Kind::kUint:
    case Kind::kInt:
    case Kind::kAddress: {
      const auto* word = std::get_if<AbiWord>(&value.value);
      if (word == nullptr) {
        return type_error(path, type, "not a number");
      }
      std::size_t bits = type.kind == Kind::kAddress ? 160 : type.size;
      std::size_t high = high_byte_count(bits);
      std::uint8_t fill = 0;
      if (type.kind == Kind::kInt) {
        fill = ((*word)[high] & 0x80) != 0 ? 0xFF : 0x00;
      }
      if (!std::all_of(word->begin(), word->begin() + static_cast<std::ptrdiff_t>(high),
                       [fill](std::uint8_t b) { return b == fill; })) {
        return type_error(path, type, type.kind == Kind::kAddress ? "more than 20 bytes" : "out of range");
      }
      return {};
    }
    case Kind::kBool:
      return std::holds_alternative<bool>(value.value) ? Status{} : type_error(path, type, "not a boolean");
    case Kind::kFixedBytes:
    case Kind::kBytes: {
      const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value.value);
      if (bytes == nullptr) {
        return type_error(path, type, "not bytes");
      }
      if (type.kind == Kind::kFixedBytes && bytes->size() != type.size) {
        return type_error(path, type,
                          fmt::format("{} bytes where exactly {} are needed", bytes->size(), type.size));
      }
      return {};
    }
    case Kind::kString: {
      const auto* text = std::get_if<std::string>(&value.value);
      if (text == nullptr) {
        return type_error(path, type, "not a string");
      }
      return is_valid_utf8(*text) ? Status{} : type_error(path, type, "not valid UTF-8");
    }
    case Kind::kArray:
    case Kind::kFixedArray:
    case Kind::kTuple: {
      const auto* items = std::get_if<std::vector<AbiValue>>(&value.value);
      if (items == nullptr) {
        return type_error(path, type, "not a list");
      }
      std::size_t expected = type.kind == Kind::kTuple ? type.components.size() : type.size;
      if (type.kind != Kind::kArray && items->size() != expected) {
        return type_error(path, type, fmt::format("{} items where {} are needed", items->size(), expected));
      }
      for (std::size_t i = 0; i < items->size(); ++i) {
        const AbiType& item_type = type.kind == Kind::kTuple ? type.components[i] : type.components.front();
        if (auto ok = check(item_type, (*items)[i], fmt::format("{}[{}]", path, i)); !ok) {
          return ok;
        }
      }
      return {};
    }
  }
  return type_error(path, type, "unknown type");
}

Result<std::vector<std::uint8_t>> hex_from_json(const Json& json, const AbiType& type) {
  if (!json.is_string() || !json.get_ref<const std::string&>().starts_with("0x")) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("a {} value is a \"0x\"-prefixed hex string", type.canonical()));
  }
  auto bytes = from_hex(std::string_view(json.get_ref<const std::string&>()).substr(2));
  if (!bytes) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} value: {}", type.canonical(), bytes.error().message));
  }
  return bytes;
}

Result<AbiValue> from_json(const AbiType& type, const Json& json) {
  using Kind = AbiType::Kind;
  switch (type.kind) {
    case Kind::kUint:
    case Kind::kInt: {
      if (json.is_number_unsigned()) {
        return AbiValue::uint(json.get<std::uint64_t>());
      }
      if (json.is_number_integer()) {
        auto word = word_from_decimal(std::to_string(json.get<std::int64_t>()));
        return AbiValue::word(*word);
      }
      if (!json.is_string()) {
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("a {} value is a decimal string or an integer", type.canonical()));
      }
      auto word = word_from_decimal(json.get_ref<const std::string&>());
      if (!word) {
        return std::unexpected(word.error());
      }
      return AbiValue::word(*word);
    }
    case Kind::kAddress: {
      auto bytes = hex_from_json(json, type);
      if (!bytes) {
        return std::unexpected(bytes.error());
      }
      if (bytes->size() != 20) {
        return fail(ErrorKind::kInvalidArgument,
                    fmt::format("an address is 20 bytes, not {}", bytes->size()));
      }
      AbiWord word{};
      std::ranges::copy(*bytes, word.begin() + 12);
      return AbiValue::word(word);
    }
    case Kind::kBool:
      if (!json.is_boolean()) {
        return fail(ErrorKind::kInvalidArgument, "a bool value is true or false");
      }
      return AbiValue::boolean(json.get<bool>());
    case Kind::kFixedBytes:
    case Kind::kBytes: {
      auto bytes = hex_from_json(json, type);
      if (!bytes) {
        return std::unexpected(bytes.error());
      }
      return AbiValue::bytes(std::move(*bytes));
    }
    case Kind::kString:
      if (!json.is_string()) {
        return fail(ErrorKind::kInvalidArgument, "a string value is a JSON string");
      }
      return AbiValue::text(json.get<std::string>());
    case Kind::kArray:
    case Kind::kFixedArray:
    case Kind::kTuple: {
      if (!json.is_array()) {
        return fail(ErrorKind::kInvalidArgument, fmt::format("a {} value is a JSON array", type.canonical()));
      }
      std::vector<AbiValue> items;
      for (std::size_t i = 0; i < json.size(); ++i) {
        const AbiType& item_type = type.kind == Kind::kTuple
                                       ? type.components.at(std::min(i, type.components.size() - 1))
                                       : type.components.front();
        auto item = from_json(item_type, json[i]);
        if (!item) {
          return fail(ErrorKind::kInvalidArgument, fmt::format("[{}]: {}", i, item.error().message));
        }
        items.push_back(std::move(*item));
      }
      return AbiValue::list(std::move(items));
    }
  }
  return fail(ErrorKind::kInvalidArgument, "unknown ABI type");
}

}  // namespace

AbiValue AbiValue::uint(std::uint64_t number) {
  AbiWord word{};
  for (std::size_t i = 0; i < 8; ++i) {
    word[31 - i] = static_cast<std::uint8_t>(number >> (8 * i));
  }
  return {word};
}
AbiValue AbiValue::word(const AbiWord& word) {
  return {word};
}
AbiValue AbiValue::boolean(bool flag) {
  return {flag};
}
AbiValue AbiValue::bytes(std::vector<std::uint8_t> data) {
  return {std::move(data)};
}
AbiValue AbiValue::text(std::string utf8) {
  return {std::move(utf8)};
}
AbiValue AbiValue::list(std::vector<AbiValue> items) {
  return {std::move(items)};
}

Status check_value(const AbiType& type, const AbiValue& value) {
  return check(type, value, "");
}

std::string word_to_decimal(const AbiWord& word, bool is_signed) {
  bool negative = is_signed && is_negative(word);
  AbiWord magnitude = negative ? negate(word) : word;
  std::string digits;
  // Repeated division by 10 of the big-endian number; at most 78 digits.
  while (std::any_of(magnitude.begin(), magnitude.end(), [](std::uint8_t b) { return b != 0; })) {
    unsigned remainder = 0;
    for (auto& b : magnitude) {
      unsigned current = remainder * 256 + b;
      b = static_cast<std::uint8_t>(current / 10);
      remainder = current % 10;
    }
    digits.push_back(static_cast<char>('0' + remainder));
  }
  if (digits.empty()) {
    digits.push_back('0');
  }
  if (negative) {
    digits.push_back('-');
  }
  std::ranges::reverse(digits);
  return digits;
}

Result<AbiWord> word_from_decimal(std::string_view text) {
  bool negative = text.starts_with('-');
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 78 ||
      !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }) ||
      (digits.size() > 1 && digits.front() == '0') || (negative && digits == "0")) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("\"{}\" is not a decimal integer (digits, an optional '-', no leading zeros)",
                            text.substr(0, 80)));
  }
  AbiWord word{};
  for (char c : digits) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (std::size_t i = word.size(); i-- > 0;) {
      unsigned current = word[i] * 10u + carry;
      word[i] = static_cast<std::uint8_t>(current & 0xFF);
      carry = current >> 8;
    }
    if (carry != 0) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("{} does not fit 256 bits", text.substr(0, 80)));
    }
  }
  if (negative) {
    // The magnitude may be at most 2^255 (the most negative int256).
    AbiWord limit{};
    limit[0] = 0x80;
    if (word > limit) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{} is below the int256 range", text.substr(0, 80)));
    }
    word = negate(word);
  }
  return word;
}

Result<AbiValue> value_from_json(const AbiType& type, const nlohmann::json& json) {
  auto value = from_json(type, json);
  if (!value) {
    return value;
  }
  if (auto ok = check_value(type, *value); !ok) {
    return std::unexpected(ok.error());
  }
  return value;
}

nlohmann::json value_to_json(const AbiType& type, const AbiValue& value) {
  using Kind = AbiType::Kind;
  switch (type.kind) {
    case Kind::kUint:
    case Kind::kInt:
      return word_to_decimal(std::get<AbiWord>(value.value), type.kind == Kind::kInt);
    case Kind::kAddress: {
      const auto& word = std::get<AbiWord>(value.value);
      return "0x" + to_hex(std::span(word).subspan(12));
    }
    case Kind::kBool:
      return std::get<bool>(value.value);
    case Kind::kFixedBytes:
    case Kind::kBytes:
      return "0x" + to_hex(std::get<std::vector<std::uint8_t>>(value.value));
    case Kind::kString:
      return std::get<std::string>(value.value);
    case Kind::kArray:
    case Kind::kFixedArray:
    case Kind::kTuple: {
      Json items = Json::array();
      const auto& list = std::get<std::vector<AbiValue>>(value.value);
      for (std::size_t i = 0; i < list.size(); ++i) {
        items.push_back(
            value_to_json(type.kind == Kind::kTuple ? type.components[i] : type.components.front(), list[i]));
      }
      return items;
    }
  }
  return nullptr;
}

}  // namespace lucid::chain
