#include "lucid/chain/payout_router.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "lucid/base/hex.h"
#include "lucid/chain/abi_codec.h"
#include "lucid/chain/anchor_registry.h"

namespace lucid::chain {
namespace {

// getBatch's outputs, in order (PRKYC appends kycRoot).
enum BatchField : std::size_t {
  kPeriod,
  kPayoutsRoot,
  kPayouts,
  kTotal,
  kPaid,
  kReceipts,
  kSettled,
  kRecorder,
  kHeight,
  kKycRoot,
};

std::vector<AbiType> types_of(const std::vector<AbiParam>& params) {
  std::vector<AbiType> types;
  types.reserve(params.size());
  for (const AbiParam& param : params) {
    types.push_back(param.type);
  }
  return types;
}

const std::vector<AbiType>& recorders_types() {
  static const std::vector<AbiType> types{parse_abi_type("bytes32[]").value()};
  return types;
}

const std::vector<AbiType>& count_types() {
  static const std::vector<AbiType> types{parse_abi_type("uint64").value()};
  return types;
}

const Bytes& bytes_of(const AbiValue& value) {
  return std::get<Bytes>(value.value);
}

const AbiWord& word_of(const AbiValue& value) {
  return std::get<AbiWord>(value.value);
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// The low 64 bits of a uint word (uint32/uint64 values, which the codec checked fit their type).
std::uint64_t small_uint(const AbiValue& value) {
  const AbiWord& word = word_of(value);
  std::uint64_t n = 0;
  for (std::size_t i = 24; i < 32; ++i) {
    n = (n << 8) | word[i];
  }
  return n;
}

// a + b as 256-bit unsigned numbers (big-endian words); nullopt when the sum does not fit.
std::optional<AbiWord> add_words(const AbiWord& a, const AbiWord& b) {
  AbiWord sum{};
  unsigned carry = 0;
  for (std::size_t i = sum.size(); i-- > 0;) {
    unsigned digit = a[i] + b[i] + carry;
    sum[i] = static_cast<std::uint8_t>(digit & 0xff);
    carry = digit >> 8;
  }
  if (carry != 0) {
    return std::nullopt;
  }
  return sum;
}

std::string decimal(const AbiWord& word) {
  return word_to_decimal(word, false);
}

Bytes key_bytes(const crypto::Ed25519PublicKey& key) {
  return {key.begin(), key.end()};
}

// The transaction's sender; a view call has none and cannot record.
Result<crypto::Ed25519PublicKey> sender_of(const CallContext& context, std::string_view contract) {
  auto sender = context.sender();
  if (!sender) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: a view call cannot record; send a transaction", contract));
  }
  return *sender;
}

}  // namespace

bool valid_payout_period(std::uint64_t period) {
  const std::uint64_t year = period / 100;
  const std::uint64_t month = period % 100;
  return year >= 2000 && year <= 9999 && month >= 1 && month <= 12;
}

PayoutRouter::PayoutRouter(std::string_view contract, PayoutKyc kyc)
    : name_(contract),
      kyc_(kyc),
      abi_(embedded_abi(contract)),
      batch_types_(types_of(abi_.function("getBatch")->outputs)),
      receipt_types_(types_of(abi_.function("getReceipt")->outputs)) {}

std::string PayoutRouter::batch_key(std::span<const std::uint8_t> batch_id) {
  return "batch/" + to_hex(batch_id);
}

std::string PayoutRouter::receipt_key(std::span<const std::uint8_t> tron_tx) {
  return "receipt/" + to_hex(tron_tx);
}

Result<std::vector<AbiValue>> PayoutRouter::call(const AbiFunction& function,
                                                 const std::vector<AbiValue>& arguments,
                                                 CallContext& context) const {
  if (function.name == "addRecorder") {
    return change_recorder(arguments, true, context);
  }
  if (function.name == "removeRecorder") {
    return change_recorder(arguments, false, context);
  }
  if (function.name == "recordBatch") {
    return record_batch(arguments, context);
  }
  if (function.name == "recordReceipt") {
    return record_receipt(arguments, context);
  }
  if (function.name == "getBatch") {
    return get_batch(arguments, context);
  }
  if (function.name == "getReceipt") {
    return get_receipt(arguments, context);
  }
  if (function.name == "recorders") {
    auto recorders = load_recorders(context);
    if (!recorders) {
      return std::unexpected(recorders.error());
    }
    std::vector<AbiValue> keys;
    keys.reserve(recorders->size());
    for (Bytes& key : *recorders) {
      keys.push_back(AbiValue::bytes(std::move(key)));
    }
    return std::vector<AbiValue>{AbiValue::list(std::move(keys))};
  }
  if (function.name == "batchCount") {
    auto count = context.load(std::string(kCountKey));
    if (!count) {
      return std::unexpected(count.error());
    }
    if (!count->has_value()) {
      return std::vector<AbiValue>{AbiValue::uint(0)};
    }
    return abi_decode(count_types(), **count);
  }
  return fail(ErrorKind::kNotFound, fmt::format("{} has no function {}", name_, function.name));
}

Result<std::vector<Bytes>> PayoutRouter::load_recorders(CallContext& context) const {
  auto stored = context.load(std::string(kRecordersKey));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  std::vector<Bytes> keys;
  if (!stored->has_value()) {
    return keys;
  }
  auto decoded = abi_decode(recorders_types(), **stored);
  if (!decoded) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("state entry {}/{}: {}", name_, kRecordersKey, decoded.error().message));
  }
  for (const AbiValue& key : std::get<std::vector<AbiValue>>((*decoded)[0].value)) {
    keys.push_back(bytes_of(key));
  }
  return keys;
}

Result<Bytes> PayoutRouter::need_recorder(CallContext& context) const {
  auto sender = sender_of(context, name_);
  if (!sender) {
    return std::unexpected(sender.error());
  }
  auto recorders = load_recorders(context);
  if (!recorders) {
    return std::unexpected(recorders.error());
  }
  Bytes key = key_bytes(*sender);
  if (!std::binary_search(recorders->begin(), recorders->end(), key)) {
    return fail(ErrorKind::kAuthentication,
                fmt::format("only a recorder of {} may record; {} is not one (a governor adds it with "
                            "addRecorder)",
                            name_, to_hex(key)));
  }
  return key;
}

// addRecorder(key) / removeRecorder(key): by any one governor.
Result<std::vector<AbiValue>> PayoutRouter::change_recorder(const std::vector<AbiValue>& arguments, bool add,
                                                            CallContext& context) const {
  auto sender = sender_of(context, name_);
  if (!sender) {
    return std::unexpected(sender.error());
  }
  if (!context.is_governor(*sender)) {
    return fail(
        ErrorKind::kAuthentication,
        fmt::format("only a governor (one of the chain's {} validators) may change {}'s recorders; {} "
                    "is not one",
                    context.governors().size(), name_, to_hex(*sender)));
  }
  const Bytes& key = bytes_of(arguments[0]);
  if (all_zero(key)) {
    return fail(ErrorKind::kInvalidArgument, "a recorder key must be non-zero (an Ed25519 public key)");
  }
  auto recorders = load_recorders(context);
  if (!recorders) {
    return std::unexpected(recorders.error());
  }
  auto at = std::lower_bound(recorders->begin(), recorders->end(), key);
  const bool present = at != recorders->end() && *at == key;
  if (add) {
    if (present) {
      return fail(ErrorKind::kAlreadyExists,
                  fmt::format("{} is already a recorder of {}", to_hex(key), name_));
    }
    if (recorders->size() >= kMaxRecorders) {
      return fail(ErrorKind::kInvalidArgument,
                  fmt::format("{} already has {} recorders, the most it holds; remove one first", name_,
                              kMaxRecorders));
    }
    recorders->insert(at, key);
  } else {
    if (!present) {
      return fail(ErrorKind::kNotFound, fmt::format("{} is not a recorder of {}", to_hex(key), name_));
    }
    recorders->erase(at);
  }
  std::vector<AbiValue> keys;
  keys.reserve(recorders->size());
  for (const Bytes& one : *recorders) {
    keys.push_back(AbiValue::bytes(one));
  }
  auto encoded = abi_encode(recorders_types(), std::vector<AbiValue>{AbiValue::list(std::move(keys))});
  if (!encoded) {
    return std::unexpected(encoded.error());
  }
  if (auto ok = context.store(std::string(kRecordersKey), std::move(*encoded)); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event(add ? "RecorderAdded" : "RecorderRemoved"), {arguments[0]}); !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{};
}

Result<std::vector<AbiValue>> PayoutRouter::load_batch(std::span<const std::uint8_t> batch_id,
                                                       CallContext& context) const {
  auto stored = context.load(batch_key(batch_id));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (!stored->has_value()) {
    return fail(ErrorKind::kNotFound, fmt::format("unknown batch {} on {}", to_hex(batch_id), name_));
  }
  auto record = abi_decode(batch_types_, **stored);
  if (!record) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("state entry {}/{}: {}", name_, batch_key(batch_id), record.error().message));
  }
  return record;
}

// recordBatch(batchId, period, payoutsRoot, payouts, total[, kycRoot])
Result<std::vector<AbiValue>> PayoutRouter::record_batch(const std::vector<AbiValue>& arguments,
                                                         CallContext& context) const {
  auto recorder = need_recorder(context);
  if (!recorder) {
    return std::unexpected(recorder.error());
  }
  const Bytes& batch_id = bytes_of(arguments[0]);
  if (all_zero(batch_id)) {
    return fail(ErrorKind::kInvalidArgument, "batchId must be non-zero");
  }
  const std::uint64_t period = small_uint(arguments[1]);
  if (!valid_payout_period(period)) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("period {} is not YYYYMM (year 2000..9999, month 01..12)", period));
  }
  if (all_zero(bytes_of(arguments[2]))) {
    return fail(ErrorKind::kInvalidArgument, "payoutsRoot must be non-zero");
  }
  if (small_uint(arguments[3]) == 0) {
    return fail(ErrorKind::kInvalidArgument, "payouts must be at least 1");
  }
  if (all_zero(word_of(arguments[4]))) {
    return fail(ErrorKind::kInvalidArgument, "total must be above 0");
  }
  if (kyc_ == PayoutKyc::kRequired && all_zero(bytes_of(arguments[5]))) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("kycRoot must be non-zero: {} records only batches whose recipients' KYC "
                            "attestations it roots",
                            name_));
  }
  const std::string key = batch_key(batch_id);
  auto existing = context.load(key);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (existing->has_value()) {
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("batch exists: {} is already recorded on {}", to_hex(batch_id), name_));
  }

  auto count_record = context.load(std::string(kCountKey));
  if (!count_record) {
    return std::unexpected(count_record.error());
  }
  std::uint64_t count = 0;
  if (count_record->has_value()) {
    auto decoded = abi_decode(count_types(), **count_record);
    if (!decoded) {
      return fail(ErrorKind::kCorrupt,
                  fmt::format("state entry {}/{}: {}", name_, kCountKey, decoded.error().message));
    }
    count = small_uint((*decoded)[0]);
  }
  auto encoded_count = abi_encode(count_types(), std::vector<AbiValue>{AbiValue::uint(count + 1)});
  if (!encoded_count) {
    return std::unexpected(encoded_count.error());
  }
  if (auto ok = context.store(std::string(kCountKey), std::move(*encoded_count)); !ok) {
    return std::unexpected(ok.error());
  }

  std::vector<AbiValue> record{arguments[1],
                               arguments[2],
                               arguments[3],
                               arguments[4],
                               AbiValue::uint(0),
                               AbiValue::uint(0),
                               AbiValue::boolean(false),
                               AbiValue::bytes(*recorder),
                               AbiValue::uint(context.height())};
  std::vector<AbiValue> event{arguments[0], arguments[1], arguments[2], arguments[3], arguments[4]};
  if (kyc_ == PayoutKyc::kRequired) {
    record.push_back(arguments[5]);
    event.push_back(arguments[5]);
  }
  auto encoded = abi_encode(batch_types_, record);
  if (!encoded) {
    return std::unexpected(encoded.error());
  }
  if (auto ok = context.store(key, std::move(*encoded)); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("BatchRecorded"), event); !ok) {
    return std::unexpected(ok.error());
  }
  return std::vector<AbiValue>{};
}

// recordReceipt(batchId, tronTx, amount)
Result<std::vector<AbiValue>> PayoutRouter::record_receipt(const std::vector<AbiValue>& arguments,
                                                           CallContext& context) const {
  auto recorder = need_recorder(context);
  if (!recorder) {
    return std::unexpected(recorder.error());
  }
  const Bytes& batch_id = bytes_of(arguments[0]);
  const Bytes& tron_tx = bytes_of(arguments[1]);
  const AbiWord& amount = word_of(arguments[2]);
  if (all_zero(tron_tx)) {
    return fail(ErrorKind::kInvalidArgument, "tronTx must be non-zero (the TRON transaction id)");
  }
  if (all_zero(amount)) {
    return fail(ErrorKind::kInvalidArgument, "amount must be above 0");
  }
  auto batch = load_batch(batch_id, context);
  if (!batch) {
    return std::unexpected(batch.error());
  }
  auto& record = *batch;
  if (std::get<bool>(record[kSettled].value)) {
    return fail(ErrorKind::kInvalidArgument,
                fmt::format("batch {} on {} is settled: it takes no more receipts", to_hex(batch_id), name_));
  }
  const std::string key = receipt_key(tron_tx);
  auto existing = context.load(key);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (existing->has_value()) {
    return fail(ErrorKind::kAlreadyExists,
                fmt::format("receipt exists: tronTx {} is already recorded on {}", to_hex(tron_tx), name_));
  }
  const AbiWord& total = word_of(record[kTotal]);
  const AbiWord& paid = word_of(record[kPaid]);
  // Big-endian words of one width compare as the numbers they hold.
  auto sum = add_words(paid, amount);
  if (!sum || *sum > total) {
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("over-payment refused: batch {} has paid {} of its total {}; amount {} would exceed "
                    "the total",
                    to_hex(batch_id), decimal(paid), decimal(total), decimal(amount)));
  }
  const std::uint64_t receipts = small_uint(record[kReceipts]);
  if (receipts == std::numeric_limits<std::uint32_t>::max()) {
    return fail(
        ErrorKind::kInvalidArgument,
        fmt::format("batch {} holds {} receipts, the most a uint32 counts", to_hex(batch_id), receipts));
  }
  const bool settled = *sum == total;
  record[kPaid] = AbiValue::word(*sum);
  record[kReceipts] = AbiValue::uint(receipts + 1);
  record[kSettled] = AbiValue::boolean(settled);
  auto encoded = abi_encode(batch_types_, record);
  if (!encoded) {
    return std::unexpected(encoded.error());
  }
  if (auto ok = context.store(batch_key(batch_id), std::move(*encoded)); !ok) {
    return std::unexpected(ok.error());
  }
  auto receipt = abi_encode(
      receipt_types_, std::vector<AbiValue>{arguments[0], arguments[2], AbiValue::uint(context.height())});
  if (!receipt) {
    return std::unexpected(receipt.error());
  }
  if (auto ok = context.store(key, std::move(*receipt)); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = context.emit(*abi_.event("ReceiptRecorded"), {arguments[0], arguments[1], arguments[2]});
      !ok) {
    return std::unexpected(ok.error());
  }
  if (settled) {
    if (auto ok =
            context.emit(*abi_.event("BatchSettled"), {arguments[0], record[kTotal], record[kReceipts]});
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  return std::vector<AbiValue>{};
}

// getBatch(batchId) -> (period, payoutsRoot, payouts, total, paid, receipts, settled, recorder, height
// [, kycRoot])
Result<std::vector<AbiValue>> PayoutRouter::get_batch(const std::vector<AbiValue>& arguments,
                                                      CallContext& context) const {
  return load_batch(bytes_of(arguments[0]), context);
}

// getReceipt(tronTx) -> (batchId, amount, height)
Result<std::vector<AbiValue>> PayoutRouter::get_receipt(const std::vector<AbiValue>& arguments,
                                                        CallContext& context) const {
  const Bytes& tron_tx = bytes_of(arguments[0]);
  auto stored = context.load(receipt_key(tron_tx));
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (!stored->has_value()) {
    return fail(ErrorKind::kNotFound,
                fmt::format("unknown receipt: tronTx {} is not recorded on {}", to_hex(tron_tx), name_));
  }
  auto record = abi_decode(receipt_types_, **stored);
  if (!record) {
    return fail(ErrorKind::kCorrupt,
                fmt::format("state entry {}/{}: {}", name_, receipt_key(tron_tx), record.error().message));
  }
  return record;
}

}  // namespace lucid::chain
