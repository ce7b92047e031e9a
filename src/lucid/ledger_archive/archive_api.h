// blockchain-ledger's HTTP API (docs/formats.md "Data chain: the API of lucid-blockchain-ledger"):
// archived final blocks with their votes and receipts, the snapshots and their bytes, status, health
// and metrics. Read-only.
#pragma once

#include "lucid/base/http_server.h"
#include "lucid/ledger_archive/archiver.h"

namespace lucid::ledger_archive {

class ArchiveApi {
 public:
  explicit ArchiveApi(const Archiver& archiver) : archiver_(archiver) {}
  http::Response handle(const http::Request& request) const;

 private:
  http::Response block(const std::string& which) const;
  http::Response snapshot(const std::string& which) const;
  http::Response health() const;
  http::Response metrics() const;

  const Archiver& archiver_;
};

}  // namespace lucid::ledger_archive
