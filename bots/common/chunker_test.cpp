// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/chunker.hpp"

using namespace intelflow::bots;
using Payloads = std::vector<std::string>;

namespace {
Payloads run(std::string_view data, std::optional<std::size_t> size, bool header) {
  Payloads out;
  chunker::generate(data, size, header, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}
}  // namespace

TEST_CASE("chunker: the core.md example splits at newlines and replicates the header",
          "[chunker]") {
  CHECK(run("h1,h2\n1,2\n3,4\n5,6\n", 8, true) == Payloads{"h1,h2\n1,2\n3,4\n", "h1,h2\n5,6\n"});
}

TEST_CASE("chunker: without header replication the first line is ordinary data", "[chunker]") {
  CHECK(run("h1,h2\n1,2\n3,4\n5,6\n", 8, false) == Payloads{"h1,h2\n", "1,2\n3,4\n", "5,6\n"});
}

TEST_CASE("chunker: a line longer than the chunk size stays whole", "[chunker]") {
  CHECK(run("h\nabcdefghijkl\nx\ny\n", 4, true) == Payloads{"h\nabcdefghijkl\n", "h\nx\ny\n"});
  CHECK(run("h\n1234567890123\n1\n", 5, true) == Payloads{"h\n1234567890123\n", "h\n1\n"});
}

TEST_CASE("chunker: the tail without a newline is its own last piece", "[chunker]") {
  CHECK(run("h\nab\ncd", 3, true) == Payloads{"h\nab\n", "h\ncd"});
  CHECK(run("a\nb\nc\nd\ne\nf\n", 5, true) == Payloads{"a\nb\nc\n", "a\nd\ne\n", "a\nf\n"});
}

TEST_CASE("chunker: empty input and header-only input give no payload", "[chunker]") {
  CHECK(run("", 5, true).empty());
  CHECK(run("", std::nullopt, true).empty());
  CHECK(run("only header\n", 5, true).empty());
}

TEST_CASE("chunker: without chunk size the whole input is one payload", "[chunker]") {
  CHECK(run("abc\ndef", std::nullopt, true) == Payloads{"abc\ndef"});
}

TEST_CASE("chunker: a source delivering one byte per read gives the same pieces", "[chunker]") {
  const std::string data = "h1,h2\n1,2\n3,4\n5,6\n";
  std::size_t off = 0;
  chunker::ReadFn read = [&](char* buf, std::size_t max) -> std::size_t {
    if (off >= data.size() || max == 0) return 0;
    buf[0] = data[off++];
    return 1;
  };
  Payloads out;
  chunker::generate(read, 8, true, [&](std::string_view p) { out.emplace_back(p); });
  CHECK(out == Payloads{"h1,h2\n1,2\n3,4\n", "h1,h2\n5,6\n"});
}

TEST_CASE("chunker: split_chunks keeps all bytes", "[chunker]") {
  auto parts = chunker::split_chunks("aa\nbb\ncc", 4);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == "aa\n");
  CHECK(parts[1] == "bb\n");
  CHECK(parts[2] == "cc");
}
