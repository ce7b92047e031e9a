// libFuzzer target: ABI data as an untrusted caller of the chain could send it (calldata, a log's
// data). The first byte picks one of the type lists of tests/vectors/chain/abi.json's codec cases
// (static, dynamic, nested; the seeds in corpus/abi_decode/ are their ethers encodings); abi_decode of
// the rest must refuse with an error or return values whose canonical encoding is exactly the
// input — never crash, hang or allocate beyond the input's size (-malloc_limit_mb).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "lucid/chain/abi_codec.h"

namespace {

const std::vector<std::vector<lucid::chain::AbiType>>& type_sets() {
  static const auto sets = [] {
    std::vector<std::vector<lucid::chain::AbiType>> out;
    for (const char* list :
         {"uint8,uint256,uint32", "int8,int256,int64,int256", "address,bool,bool", "bytes1,bytes16,bytes32",
          "bytes,bytes,bytes", "string,string", "uint256[],uint256[]", "string[],bytes32[2]",
          "(uint8,string)[]", "(bool,(string,uint16)[]),uint64", "(bytes32,uint32)[2],string[2]",
          "uint256[][]"}) {
      auto tuple = lucid::chain::parse_abi_type(std::string("(") + list + ")");
      if (!tuple) {
        std::abort();
      }
      out.push_back(tuple->components);
    }
    return out;
  }();
  return sets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto& types = type_sets()[data[0] % type_sets().size()];
  std::span<const std::uint8_t> body(data + 1, size - 1);
  auto values = lucid::chain::abi_decode(types, body);
  if (!values) {
    return 0;
  }
  auto again = lucid::chain::abi_encode(types, *values);
  if (!again || *again != std::vector<std::uint8_t>(body.begin(), body.end())) {
    std::abort();  // strict decoding promised the canonical bytes
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    (void)lucid::chain::value_to_json(types[i], (*values)[i]);
  }
  return 0;
}
