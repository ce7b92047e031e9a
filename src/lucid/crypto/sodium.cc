#include "lucid/crypto/sodium.h"

#include <sodium.h>

#include <cstdlib>

namespace lucid::crypto {
void sodium_ready() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no usable entropy source: nothing safe can continue
    return true;
  }();
  (void)ready;
}
}  // namespace lucid::crypto
