// A one-validator chain on this machine for the suites of the chain's services: one real etcd member
// (testing::EtcdCluster) and one lucid-blockchain-core process whose key is the genesis's only
// validator (and so its only governor). The services under test are started beside it.
#pragma once

#include <filesystem>
#include <string>

#include "lucid/base/result.h"
#include "testing/etcd_cluster.h"
#include "testing/testing.h"

namespace lucid::chain::test_client {

class OneValidatorChain {
 public:
  OneValidatorChain() = default;
  ~OneValidatorChain();  // kills the validator; the etcd member goes with the EtcdCluster
  OneValidatorChain(const OneValidatorChain&) = delete;
  OneValidatorChain& operator=(const OneValidatorChain&) = delete;

  // Makes the key and genesis (chain "lucid-test") in `dir`, starts etcd and the validator (blocks
  // every 100 ms) and waits until it is healthy. kIo with the validator's log when it is not.
  Status start(const std::filesystem::path& dir);

  std::string base() const;            // the validator's API, "http://127.0.0.1:PORT"
  std::string etcd_endpoints() const;  // comma-separated client URLs
  const std::filesystem::path& genesis() const { return genesis_; }
  const std::filesystem::path& validator_key() const { return key_; }
  testing::EtcdCluster& etcd() { return etcd_; }

  // SIGKILL and reap the validator; start() it again with restart_validator().
  void kill_validator();
  Status restart_validator();
  std::string validator_log_tail() const;

 private:
  testing::EtcdCluster etcd_;
  std::filesystem::path dir_, genesis_, key_;
  int port_ = 0;
  int pid_ = -1;
};

// A free loopback port (bound and released: another process may still take it).
int free_loopback_port();

}  // namespace lucid::chain::test_client
