// What every rule family gets: the model, an index of its services, the policies, and a sink that
// stamps each finding with the severity its rule declares (lint.cc's table).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "lucid/fleet/finding.h"
#include "lucid/fleet/model.h"
#include "lucid/lint/policy.h"

namespace lucid::lint {

class Sink {
 public:
  explicit Sink(std::vector<fleet::Finding>& out) : out_(out) {}
  // A finding of rule `rule_id` at `at`; the rule must be in rules().
  void add(const yaml::Mark& at, std::string_view rule_id, std::string message, std::string hint = {});
  // A finding about a whole file (no position inside it).
  void add_file(const std::string& file, std::string_view rule_id, std::string message,
                std::string hint = {});

 private:
  std::vector<fleet::Finding>& out_;
};

struct Context {
  const fleet::Model& model;
  Policy policy;
  std::unordered_map<std::string, const fleet::Service*> services;  // name → service
  std::unordered_map<std::string, std::string> plane_of;            // service → valid plane label

  explicit Context(const fleet::Model& m, std::vector<fleet::Finding>& policy_findings);
  const fleet::Service* service(const std::string& name) const;
  // The plane a service declares (com.lucid.plane, when it names a known plane), or "".
  std::string plane(const std::string& service) const;
};

// Label value of `key` on `s`, or nullptr.
const fleet::LString* label(const fleet::Service& s, std::string_view key);
// "a" from a `links:` entry "a" or "a:alias".
std::string link_target(const std::string& entry);
// Splits "a, b,c" at commas, trimming spaces; empty parts are kept out.
std::vector<std::string> split_list(std::string_view text);

}  // namespace lucid::lint
