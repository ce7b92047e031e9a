// libFuzzer target: the .env parser (python-dotenv rules) and its ${} expansion on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lucid/fleet/env_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = lucid::fleet::parse_env_file(text, "fuzz.env");
  auto values = lucid::fleet::resolve_env_file(file, {{"HOME", "/home/x"}, {"EMPTY", ""}});
  for (const auto& e : file.entries)
    if (e.mark.line < 1 || e.mark.col < 1) __builtin_trap();  // every entry has a position
  (void)values;
  return 0;
}
