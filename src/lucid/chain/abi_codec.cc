#include "lucid/chain/abi_codec.h"

#include <fmt/format.h>

#include <algorithm>

namespace lucid::chain {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Kind = AbiType::Kind;

AbiWord size_word(std::size_t n) {
  return std::get<AbiWord>(AbiValue::uint(n).value);
}

void append_word(Bytes& out, const AbiWord& word) {
  out.insert(out.end(), word.begin(), word.end());
}

void append_padded(Bytes& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
  out.resize(out.size() + (32 - bytes.size() % 32) % 32, 0);
}

void encode_value(const AbiType& type, const AbiValue& value, Bytes& out);

// The tuple encoding: heads in order (static values in place, dynamic ones as offsets from the
// tuple's start), then the tails of the dynamic values.
void encode_tuple(std::span<const AbiType* const> types, std::span<const AbiValue> values, Bytes& out) {
  std::size_t head_size = 0;
  for (const AbiType* type : types) {
    head_size += type->head_size();
  }
  Bytes tail;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i]->is_dynamic()) {
      append_word(out, size_word(head_size + tail.size()));
      encode_value(*types[i], values[i], tail);
    } else {
      encode_value(*types[i], values[i], out);
    }
  }
  out.insert(out.end(), tail.begin(), tail.end());
}

void encode_value(const AbiType& type, const AbiValue& value, Bytes& out) {
  switch (type.kind) {
    case Kind::kUint:
    case Kind::kInt:
    case Kind::kAddress:
      append_word(out, std::get<AbiWord>(value.value));
      return;
    case Kind::kBool:
      append_word(out, size_word(std::get<bool>(value.value) ? 1 : 0));
      return;
    case Kind::kFixedBytes:
      append_padded(out, std::get<Bytes>(value.value));
      return;
    case Kind::kBytes:
    case Kind::kString: {
      std::span<const std::uint8_t> bytes;
      if (type.kind == Kind::kBytes) {
        bytes = std::get<Bytes>(value.value);
      } else {
        const auto& text = std::get<std::string>(value.value);
        bytes = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
      }
      append_word(out, size_word(bytes.size()));
      append_padded(out, bytes);
      return;
    }
    case Kind::kArray:
    case Kind::kFixedArray:
    case Kind::kTuple: {
      const auto& items = std::get<std::vector<AbiValue>>(value.value);
      std::vector<const AbiType*> types;
      types.reserve(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) {
        types.push_back(type.kind == Kind::kTuple ? &type.components[i] : &type.components.front());
      }
      if (type.kind == Kind::kArray) {
        append_word(out, size_word(items.size()));
      }
      encode_tuple(types, items, out);
      return;
    }
  }
}

// A decoder over the whole input. Positions are absolute; every read is bounds-checked. `budget`
// counts the words a canonical encoding could hold: each decoded elementary value or length uses
// one distinct word there, so an input that reuses words through offsets (a "decoding bomb") runs
// out of budget instead of out of memory.
class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> data) : data_(data), budget_(data.size() / 32 + 1) {}

  Result<AbiValue> tuple(std::span<const AbiType* const> types, std::size_t start) {
    std::vector<AbiValue> items;
    items.reserve(types.size());
    std::size_t head = start;
    for (const AbiType* type : types) {
      Result<AbiValue> item;
      if (type->is_dynamic()) {
        auto offset = size_at(head, "offset");
        if (!offset) {
          return std::unexpected(offset.error());
        }
        if (*offset > data_.size() - start) {
          return corrupt(fmt::format("an offset at byte {} points past the end", head));
        }
        item = value(*type, start + *offset);
      } else {
        item = value(*type, head);
      }
      if (!item) {
        return item;
      }
      items.push_back(std::move(*item));
      head += type->head_size();
    }
    return AbiValue::list(std::move(items));
  }

 private:
  static std::unexpected<Error> corrupt(std::string what) {
    return fail(ErrorKind::kCorrupt, "ABI data: " + std::move(what));
  }

  Result<AbiWord> word_at(std::size_t position) {
    if (position > data_.size() || data_.size() - position < 32) {
      return corrupt(fmt::format("needs a word at byte {} but has {} bytes", position, data_.size()));
    }
    if (budget_ == 0) {
      return corrupt("offsets reuse the same bytes (not a canonical encoding)");
    }
    --budget_;
    AbiWord word{};
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(position), 32, word.begin());
    return word;
  }

  // A length or offset: a word whose value fits the input's size.
  Result<std::size_t> size_at(std::size_t position, std::string_view what) {
    auto word = word_at(position);
    if (!word) {
      return std::unexpected(word.error());
    }
    std::size_t n = 0;
    for (std::size_t i = 0; i < 32; ++i) {
      if (i < 24 && (*word)[i] != 0) {
        return corrupt(fmt::format("the {} at byte {} is larger than the data", what, position));
      }
      n = i < 24 ? 0 : (n << 8) | (*word)[i];
    }
    if (n > data_.size()) {
      return corrupt(fmt::format("the {} at byte {} is larger than the data", what, position));
    }
    return n;
  }

  Result<Bytes> bytes_at(std::size_t position, std::size_t count) {
    if (position > data_.size() || data_.size() - position < count) {
      return corrupt(fmt::format("needs {} bytes at byte {} but has {}", count, position, data_.size()));
    }
    auto begin = data_.begin() + static_cast<std::ptrdiff_t>(position);
    return Bytes(begin, begin + static_cast<std::ptrdiff_t>(count));
  }

  Result<AbiValue> value(const AbiType& type, std::size_t position) {
    switch (type.kind) {
      case Kind::kUint:
      case Kind::kInt:
      case Kind::kAddress: {
        auto word = word_at(position);
        if (!word) {
          return std::unexpected(word.error());
        }
        return AbiValue::word(*word);
      }
      case Kind::kBool: {
        auto word = word_at(position);
        if (!word) {
          return std::unexpected(word.error());
        }
        if (!std::all_of(word->begin(), word->end() - 1, [](std::uint8_t b) { return b == 0; }) ||
            word->back() > 1) {
          return corrupt(fmt::format("the bool at byte {} is neither 0 nor 1", position));
        }
        return AbiValue::boolean(word->back() == 1);
      }
      case Kind::kFixedBytes: {
        if (auto word = word_at(position); !word) {
          return std::unexpected(word.error());
        }
        auto bytes = bytes_at(position, type.size);
        if (!bytes) {
          return std::unexpected(bytes.error());
        }
        return AbiValue::bytes(std::move(*bytes));
      }
      case Kind::kBytes:
      case Kind::kString: {
        auto length = size_at(position, "length");
        if (!length) {
          return std::unexpected(length.error());
        }
        budget_ -= std::min(budget_, *length / 32);
        auto bytes = bytes_at(position + 32, *length);
        if (!bytes) {
          return std::unexpected(bytes.error());
        }
        if (type.kind == Kind::kBytes) {
          return AbiValue::bytes(std::move(*bytes));
        }
        return AbiValue::text(std::string(bytes->begin(), bytes->end()));
      }
      case Kind::kArray:
      case Kind::kFixedArray:
      case Kind::kTuple: {
        std::size_t count = type.kind == Kind::kTuple ? type.components.size() : type.size;
        std::size_t start = position;
        if (type.kind == Kind::kArray) {
          auto length = size_at(position, "array length");
          if (!length) {
            return std::unexpected(length.error());
          }
          // Every element takes at least one word of head, so a length the data cannot hold is
          // refused before anything is reserved.
          if (*length > (data_.size() - position - 32) / type.components.front().head_size()) {
            return corrupt(fmt::format("the array length at byte {} exceeds the data", position));
          }
          count = *length;
          start = position + 32;
        }
        std::vector<const AbiType*> types;
        types.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          types.push_back(type.kind == Kind::kTuple ? &type.components[i] : &type.components.front());
        }
        return tuple(types, start);
      }
    }
    return corrupt("unknown ABI type");
  }

  std::span<const std::uint8_t> data_;
  std::size_t budget_;
};

std::vector<const AbiType*> pointers(std::span<const AbiType> types) {
  std::vector<const AbiType*> out;
  out.reserve(types.size());
  for (const AbiType& type : types) {
    out.push_back(&type);
  }
  return out;
}

}  // namespace

Result<std::vector<std::uint8_t>> abi_encode(std::span<const AbiType> types,
                                             std::span<const AbiValue> values) {
  if (types.size() != values.size()) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{} values for {} ABI types", values.size(), types.size()));
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (auto ok = check_value(types[i], values[i]); !ok) {
      return fail(ErrorKind::kInvalidArgument, fmt::format("argument {}: {}", i, ok.error().message));
    }
  }
  Bytes out;
  encode_tuple(pointers(types), values, out);
  return out;
}

Result<std::vector<AbiValue>> abi_decode(std::span<const AbiType> types, std::span<const std::uint8_t> data) {
  Decoder decoder(data);
  auto decoded = decoder.tuple(pointers(types), 0);
  if (!decoded) {
    return std::unexpected(decoded.error());
  }
  auto values = std::get<std::vector<AbiValue>>(std::move(decoded->value));
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (auto ok = check_value(types[i], values[i]); !ok) {
      return fail(ErrorKind::kCorrupt, fmt::format("ABI data: argument {}: {}", i, ok.error().message));
    }
  }
  // Strictness in one place: anything but the canonical bytes of these values is refused.
  auto canonical = abi_encode(types, values);
  if (!canonical || !std::ranges::equal(*canonical, data)) {
    return fail(ErrorKind::kCorrupt,
                "ABI data is not the canonical encoding of its values (non-zero padding, moved offsets or "
                "trailing bytes)");
  }
  return values;
}

}  // namespace lucid::chain
