#pragma once
// A strict parser for the Prometheus text exposition format (version 0.0.4), for tests that scrape
// a service's /metrics. Strict means: every line is a comment, a HELP, a TYPE or a well-formed
// sample, or parsing fails with the line number and what is wrong. On top of the grammar it
// checks what Prometheus relies on: TYPE before the family's samples and at most once, the lines
// of one family contiguous, no duplicate series, sample names that fit the family's type
// (_bucket/_sum/_count for histograms, quantile for summaries), counters never negative,
// histogram buckets cumulative with a +Inf bucket equal to _count.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::testing {

struct PromSample {
  std::string name;                           // "uwallet_grpc_server_handled_total"
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type = "untyped";  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::vector<PromFamily> families;  // in the order they appear

  [[nodiscard]] const PromFamily* Find(absl::string_view name) const;
  // The value of the sample with exactly this name and these labels; NOT_FOUND if absent.
  [[nodiscard]] absl::StatusOr<double> Value(
      absl::string_view sample_name, const std::map<std::string, std::string>& labels) const;
};

// INVALID_ARGUMENT "line N: ..." on the first problem.
[[nodiscard]] absl::StatusOr<PromExposition> ParsePrometheusText(absl::string_view text);

}  // namespace uwallet::testing
