#include "lucid/base/random.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdlib>

#include "lucid/base/hex.h"

namespace lucid {

void random_bytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy source: nothing safe can continue
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string uuid_v4() {
  std::array<std::uint8_t, 16> b{};
  random_bytes(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string h = to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

bool parse_uuid(const std::string& text, std::span<std::uint8_t, 16> out) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
    return false;
  std::string h =
      text.substr(0, 8) + text.substr(9, 4) + text.substr(14, 4) + text.substr(19, 4) + text.substr(24);
  for (char c : h) {
    if (c >= 'A' && c <= 'F') return false;  // canonical form is lower case
  }
  return from_hex_into(h, out).has_value();
}

}  // namespace lucid
