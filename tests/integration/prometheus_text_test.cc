// The strict Prometheus text parser that metrics_e2e_test relies on: it accepts what
// prometheus-cpp writes and rejects each kind of malformed exposition.
#include "tests/integration/prometheus_text.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

namespace uwallet::testing {
namespace {

constexpr char kGood[] =
    "# HELP uwallet_grpc_server_handled_total RPCs completed on the server\n"
    "# TYPE uwallet_grpc_server_handled_total counter\n"
    "uwallet_grpc_server_handled_total{code=\"OK\",method=\"/grpc.health.v1.Health/Check\"} 2\n"
    "uwallet_grpc_server_handled_total{code=\"NOT_FOUND\",method=\"/a.B/C\"} 1 1700000000000\n"
    "# HELP uwallet_grpc_server_handling_seconds Time\n"
    "# TYPE uwallet_grpc_server_handling_seconds histogram\n"
    "uwallet_grpc_server_handling_seconds_count{method=\"/m\"} 3\n"
    "uwallet_grpc_server_handling_seconds_sum{method=\"/m\"} 0.25\n"
    "uwallet_grpc_server_handling_seconds_bucket{method=\"/m\",le=\"0.001\"} 1\n"
    "uwallet_grpc_server_handling_seconds_bucket{method=\"/m\",le=\"0.1\"} 2\n"
    "uwallet_grpc_server_handling_seconds_bucket{method=\"/m\",le=\"+Inf\"} 3\n"
    "# TYPE exposer_request_latencies summary\n"
    "exposer_request_latencies_count 0\n"
    "exposer_request_latencies_sum 0\n"
    "exposer_request_latencies{quantile=\"0.5\"} Nan\n"
    "# a free comment\n"
    "\n"
    "pool_idle{pool=\"pg\",note=\"quote \\\" backslash \\\\ newline \\n\",} 4\n"
    "plain_gauge -1.5e+03\n";

TEST_CASE("a well-formed exposition parses into families and samples") {
  auto parsed = ParsePrometheusText(kGood);
  REQUIRE(parsed.ok());
  const PromFamily* handled = parsed->Find("uwallet_grpc_server_handled_total");
  REQUIRE(handled != nullptr);
  CHECK(handled->type == "counter");
  CHECK(handled->help == "RPCs completed on the server");
  CHECK(handled->samples.size() == 2);
  CHECK(parsed
            ->Value("uwallet_grpc_server_handled_total",
                    {{"code", "OK"}, {"method", "/grpc.health.v1.Health/Check"}})
            .value() == 2);
  const PromFamily* latency = parsed->Find("uwallet_grpc_server_handling_seconds");
  REQUIRE(latency != nullptr);
  CHECK(latency->type == "histogram");
  CHECK(latency->samples.size() == 5);
  CHECK(std::isnan(parsed->Value("exposer_request_latencies", {{"quantile", "0.5"}}).value()));
  CHECK(parsed->Find("pool_idle")->samples[0].labels.at("note") ==
        "quote \" backslash \\ newline \n");
  CHECK(parsed->Find("pool_idle")->type == "untyped");
  CHECK(parsed->Value("plain_gauge", {}).value() == -1500);
  CHECK(!parsed->Value("plain_gauge", {{"x", "y"}}).ok());
}

TEST_CASE("malformed lines and inconsistent families are refused") {
  struct Case {
    const char* why;
    std::string text;
  };
  const Case cases[] = {
      {"no value", "m\n"},
      {"value not a number", "m abc\n"},
      {"no blank before the value", "m{a=\"b\"}1\n"},
      {"three fields", "m 1 2 3\n"},
      {"bad timestamp", "m 1 1.5\n"},
      {"bad metric name", "1m 1\n"},
      {"bad label name", "m{1a=\"b\"} 1\n"},
      {"unquoted label value", "m{a=b} 1\n"},
      {"unterminated label value", "m{a=\"b} 1\n"},
      {"unterminated label set", "m{a=\"b\" 1\n"},
      {"unknown escape", "m{a=\"\\t\"} 1\n"},
      {"repeated label", "m{a=\"1\",a=\"2\"} 1\n"},
      {"unknown type", "# TYPE m countr\nm 1\n"},
      {"TYPE twice", "# TYPE m counter\n# TYPE m counter\nm 1\n"},
      {"HELP twice", "# HELP m a\n# HELP m b\nm 1\n"},
      {"TYPE after samples", "m 1\n# TYPE m counter\n"},
      {"family split in two groups", "a 1\nb 1\na{x=\"y\"} 1\n"},
      {"duplicate series", "m{a=\"1\"} 1\nm{a=\"1\"} 2\n"},
      {"negative counter", "# TYPE c counter\nc -1\n"},
      {"no trailing newline", "m 1"},
      {"carriage return", "m 1\r\n"},
      {"blank line of spaces", "m 1\n  \n"},
      {"histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"},
      {"histogram +Inf differs from count",
       "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n"},
      {"histogram not cumulative",
       "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
      {"histogram bucket without le", "# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n"},
      {"histogram with a plain sample", "# TYPE h histogram\nh 1\n"},
      {"summary sample without quantile", "# TYPE s summary\ns 1\n"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    auto parsed = ParsePrometheusText(c.text);
    CHECK(!parsed.ok());
    if (!parsed.ok()) CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("errors name the line") {
  auto parsed = ParsePrometheusText("a 1\nb 2\nc x\n");
  REQUIRE(!parsed.ok());
  CHECK(std::string(parsed.status().message()).rfind("line 3:", 0) == 0);
}

}  // namespace
}  // namespace uwallet::testing
