// Lint fixtures: a copy of tests/lint/fixtures/base with one fixture applied (its `fixture.yaml`
// edits and deletions, plus any other files in the fixture directory copied over the base).
#pragma once

#include <filesystem>
#include <string>

namespace lucid::lint::testing {

// tests/lint/fixtures in the source tree.
std::filesystem::path fixtures_dir();

// Builds the repo for `fixture` (a directory holding fixture.yaml) under `into`. Throws
// std::runtime_error when the fixture is malformed (e.g. an edit whose `find` text is absent).
void materialize(const std::filesystem::path& fixture, const std::filesystem::path& into);

// The `expect:` field of a fixture.yaml ("" when absent).
std::string expected_rule(const std::filesystem::path& fixture);

}  // namespace lucid::lint::testing
