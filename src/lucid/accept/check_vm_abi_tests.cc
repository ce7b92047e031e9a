// blockchain.vm-abi-tests: the site's blockchain-virtual-machine runs its ABI self-test inside its
// own container (`lucid-blockchain-virtual-machine abi-tests --json`): the calls and events of the
// platform's contracts encoded and decoded by the VM's codec must give the bytes ethers gave for the
// same values (the vectors are built into the binary), and the contracts' execution cases must hold.
// The check passes only when the program ran, reported cases, and none failed.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lucid/accept/checks.h"

namespace lucid::accept {

CheckResult check_vm_abi_tests(const CheckSpec& spec, RunContext& ctx) {
  CheckResult r = result_for(spec);
  r.outcome = Outcome::kFail;
  const std::string service = "blockchain-virtual-machine";
  const auto* vm = ctx.running(service);
  if (vm == nullptr) {
    r.evidence = fmt::format("{} is {}", service, service_state(ctx, service));
    return r;
  }
  ctx.say(fmt::format("{}: ABI self-test in {}", service, vm->name));
  auto run = exec_json(ctx, *vm, {"/usr/local/bin/lucid-blockchain-virtual-machine", "abi-tests", "--json"},
                       "cases");
  if (!run) {
    r.evidence = fmt::format("cannot run the VM's ABI self-test: {}", run.error().message);
    return r;
  }
  const nlohmann::json& report = run->document;
  const std::uint64_t passed = report.value("passed", 0ULL);
  const std::uint64_t failed = report.value("failed", 0ULL);
  std::vector<std::string> failures;
  if (const auto& cases = report["cases"]; cases.is_array())
    for (const auto& one : cases)
      if (!one.value("ok", false))
        failures.push_back(fmt::format("{} ({})", one.value("name", "?"), one.value("detail", "")));
  r.detail = {{"passed", passed}, {"failed", failed}, {"exit_code", run->exit_code}, {"failures", failures}};
  if (run->exit_code == 0 && failed == 0 && failures.empty() && passed > 0) {
    r.outcome = Outcome::kPass;
    r.evidence = fmt::format(
        "{} ABI cases pass in {} (calls and events as ethers encodes them, contract "
        "execution)",
        passed, vm->name);
  } else if (passed == 0 && failed == 0) {
    r.evidence = fmt::format("the self-test ran no case (exit {})", run->exit_code);
  } else {
    constexpr std::size_t kNamed = 3;
    failures.resize(std::min(failures.size(), kNamed));
    r.evidence = fmt::format("{} of {} ABI cases fail (exit {}): {}", failed, passed + failed, run->exit_code,
                             fmt::join(failures, "; "));
  }
  return r;
}

}  // namespace lucid::accept
