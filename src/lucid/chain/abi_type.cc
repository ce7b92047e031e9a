#include "lucid/chain/abi_type.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace lucid::chain {
namespace {

// Parses decimal digits (no sign, no leading '+'); nullopt-like failure as -1.
long long parse_size(std::string_view digits) {
  if (digits.empty() || digits.size() > 6 || (digits.size() > 1 && digits.front() == '0')) {
    return -1;
  }
  long long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return -1;
  }
  return value;
}

Result<AbiType> parse_elementary(std::string_view text) {
  AbiType type;
  auto sized = [&](std::string_view prefix, AbiType::Kind kind) -> bool {
    if (!text.starts_with(prefix)) {
      return false;
    }
    type.kind = kind;
    std::string_view rest = text.substr(prefix.size());
    if (rest.empty() && kind != AbiType::Kind::kFixedBytes) {
      type.size = 256;
      return true;
    }
    long long n = parse_size(rest);
    bool ok = kind == AbiType::Kind::kFixedBytes ? (n >= 1 && n <= 32) : (n >= 8 && n <= 256 && n % 8 == 0);
    if (!ok) {
      type.size = 0;
      return true;
    }
    type.size = static_cast<std::size_t>(n);
    return true;
  };
  if (text == "address") {
    type.kind = AbiType::Kind::kAddress;
  } else if (text == "bool") {
    type.kind = AbiType::Kind::kBool;
  } else if (text == "string") {
    type.kind = AbiType::Kind::kString;
  } else if (text == "bytes") {
    type.kind = AbiType::Kind::kBytes;
  } else if (sized("uint", AbiType::Kind::kUint) || sized("int", AbiType::Kind::kInt) ||
             sized("bytes", AbiType::Kind::kFixedBytes)) {
    if (type.size == 0) {
      return fail(
          ErrorKind::kInvalidArgument,
          fmt::format("ABI type \"{}\": size out of range (uint/int: 8..256 in steps of 8; bytesN: 1..32)",
                      text));
    }
  } else {
    return fail(ErrorKind::kInvalidArgument, fmt::format("ABI type \"{}\" is not a Solidity ABI type", text));
  }
  return type;
}

// Splits "(a,(b,c)[],d)" into its members at depth-0 commas; `inner` is the text between the parens.
std::vector<std::string_view> split_members(std::string_view inner) {
  std::vector<std::string_view> members;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '(') {
      ++depth;
    } else if (inner[i] == ')') {
      --depth;
    } else if (inner[i] == ',' && depth == 0) {
      members.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  members.push_back(inner.substr(start));
  return members;
}

Result<AbiType> parse(std::string_view text, int depth) {
  if (depth > kMaxAbiNesting) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("ABI type nests deeper than {} levels", kMaxAbiNesting));
  }
  // Array suffixes bind last: "T[2][]" is a dynamic array of T[2].
  if (text.ends_with(']')) {
    std::size_t open = text.rfind('[');
    if (open == std::string_view::npos || open == 0) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("ABI type \"{}\": unmatched ']'", text));
    }
    std::string_view length = text.substr(open + 1, text.size() - open - 2);
    auto element = parse(text.substr(0, open), depth + 1);
    if (!element) {
      return element;
    }
    AbiType type;
    type.components.push_back(std::move(*element));
    if (length.empty()) {
      type.kind = AbiType::Kind::kArray;
      return type;
    }
    long long n = parse_size(length);
    if (n < 1) {
      return fail(
          ErrorKind::kInvalidArgument,
          fmt::format("ABI type \"{}\": a fixed array length must be a decimal number from 1 to 999999",
                      text));
    }
    type.kind = AbiType::Kind::kFixedArray;
    type.size = static_cast<std::size_t>(n);
    return type;
  }
  if (text.starts_with('(')) {
    if (!text.ends_with(')') || text.size() < 3) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("ABI type \"{}\": a tuple is \"(T1,T2,...)\" with at least one member", text));
    }
    std::string_view inner = text.substr(1, text.size() - 2);
    int balance = 0;
    for (char c : inner) {
      balance += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (balance < 0) {
        break;
      }
    }
    if (balance != 0) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("ABI type \"{}\": unbalanced parentheses", text));
    }
    AbiType type;
    type.kind = AbiType::Kind::kTuple;
    for (std::string_view member : split_members(inner)) {
      auto parsed = parse(member, depth + 1);
      if (!parsed) {
        return parsed;
      }
      type.components.push_back(std::move(*parsed));
    }
    return type;
  }
  return parse_elementary(text);
}

// Fixed arrays multiply: "uint256[999999][999999]" would be 32 TB in place. Sizes are checked with
// saturation so that head_size() never overflows on a type the parser accepted.
constexpr std::size_t kMaxStaticSize = std::size_t{1} << 20;

bool static_size_within(const AbiType& type, std::size_t cap) {
  switch (type.kind) {
    case AbiType::Kind::kFixedArray: {
      const AbiType& element = type.components.front();
      if (!static_size_within(element, cap)) {
        return false;
      }
      // Every accepted type takes at least one word in place (no empty tuples or arrays).
      std::size_t each = std::max<std::size_t>(element.head_size(), 32);
      return type.size <= cap / each;
    }
    case AbiType::Kind::kTuple: {
      std::size_t total = 0;
      for (const AbiType& member : type.components) {
        if (!static_size_within(member, cap)) {
          return false;
        }
        total += member.head_size();
        if (total > cap) {
          return false;
        }
      }
      return true;
    }
    case AbiType::Kind::kArray:
      return static_size_within(type.components.front(), cap);
    default:
      return true;
  }
}

}  // namespace

bool AbiType::is_dynamic() const {
  switch (kind) {
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kArray:
      return true;
    case Kind::kFixedArray:
      return components.front().is_dynamic();
    case Kind::kTuple:
      return std::ranges::any_of(components, [](const AbiType& member) { return member.is_dynamic(); });
    default:
      return false;
  }
}

std::size_t AbiType::head_size() const {
  if (is_dynamic()) {
    return 32;
  }
  if (kind == Kind::kFixedArray) {
    return size * components.front().head_size();
  }
  if (kind == Kind::kTuple) {
    std::size_t total = 0;
    for (const AbiType& member : components) {
      total += member.head_size();
    }
    return total;
  }
  return 32;
}

std::string AbiType::canonical() const {
  switch (kind) {
    case Kind::kUint:
      return fmt::format("uint{}", size);
    case Kind::kInt:
      return fmt::format("int{}", size);
    case Kind::kAddress:
      return "address";
    case Kind::kBool:
      return "bool";
    case Kind::kFixedBytes:
      return fmt::format("bytes{}", size);
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return components.front().canonical() + "[]";
    case Kind::kFixedArray:
      return fmt::format("{}[{}]", components.front().canonical(), size);
    case Kind::kTuple: {
      std::string text = "(";
      for (std::size_t i = 0; i < components.size(); ++i) {
        if (i != 0) {
          text += ",";
        }
        text += components[i].canonical();
      }
      return text + ")";
    }
  }
  return {};
}

Result<AbiType> parse_abi_type(std::string_view text) {
  if (text.size() > 1024) {
    return fail(ErrorKind::kInvalidArgument, "ABI type longer than 1024 characters");
  }
  auto type = parse(text, 0);
  if (type && !static_size_within(*type, kMaxStaticSize)) {
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("ABI type \"{}\": its fixed-size encoding exceeds {} bytes", text, kMaxStaticSize));
  }
  return type;
}

}  // namespace lucid::chain
