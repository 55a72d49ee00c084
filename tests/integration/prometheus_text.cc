#include "tests/integration/prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace uwallet::testing {
namespace {

// Bounds, so that a broken endpoint cannot make the test use unbounded memory.
constexpr size_t kLinesMax = 200000;
constexpr size_t kLabelsPerSampleMax = 64;

bool IsNameStart(char c, bool colon_allowed) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (colon_allowed && c == ':');
}
bool IsNameChar(char c, bool colon_allowed) {
  return IsNameStart(c, colon_allowed) || absl::ascii_isdigit(static_cast<unsigned char>(c));
}

// Reads a metric name (colons allowed) or a label name (not) from the front of *text.
bool ConsumeName(absl::string_view* text, bool colon_allowed, std::string* name) {
  if (text->empty() || !IsNameStart(text->front(), colon_allowed)) return false;
  size_t end = 1;
  while (end < text->size() && IsNameChar((*text)[end], colon_allowed)) ++end;
  *name = std::string(text->substr(0, end));
  text->remove_prefix(end);
  return true;
}

// Float as Prometheus writes and reads it: Go's ParseFloat, so NaN and ±Inf in any letter case.
bool ParseValue(absl::string_view text, double* value) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "nan") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (lower == "+inf" || lower == "inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty() || lower.find_first_not_of("0123456789+-.e") != std::string::npos) return false;
  return absl::SimpleAtod(text, value) && std::isfinite(*value);
}

// {name="value",...} with \\, \" and \n escapes; a trailing comma is allowed (as in Prometheus).
absl::Status ConsumeLabels(absl::string_view* text, std::map<std::string, std::string>* labels) {
  if (text->empty() || text->front() != '{') return absl::OkStatus();
  text->remove_prefix(1);
  while (true) {
    if (text->empty()) return absl::InvalidArgumentError("unterminated label set");
    if (text->front() == '}') {
      text->remove_prefix(1);
      return absl::OkStatus();
    }
    std::string name;
    if (!ConsumeName(text, /*colon_allowed=*/false, &name)) {
      return absl::InvalidArgumentError("bad label name");
    }
    if (!absl::ConsumePrefix(text, "=\"")) {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, ": expected =\""));
    }
    std::string value;
    bool closed = false;
    while (!text->empty()) {
      char c = text->front();
      text->remove_prefix(1);
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\n') return absl::InvalidArgumentError("newline inside a label value");
      if (c == '\\') {
        if (text->empty()) break;
        char escaped = text->front();
        text->remove_prefix(1);
        if (escaped == '\\') {
          value.push_back('\\');
        } else if (escaped == '"') {
          value.push_back('"');
        } else if (escaped == 'n') {
          value.push_back('\n');
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("label ", name, ": unknown escape \\", std::string(1, escaped)));
        }
        continue;
      }
      value.push_back(c);
    }
    if (!closed) return absl::InvalidArgumentError(absl::StrCat("label ", name, ": unterminated"));
    if (!labels->emplace(name, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, " repeated"));
    }
    if (labels->size() > kLabelsPerSampleMax) return absl::InvalidArgumentError("too many labels");
    if (absl::ConsumePrefix(text, ",")) continue;
    if (text->empty() || text->front() != '}') {
      return absl::InvalidArgumentError("expected , or } after a label");
    }
  }
}

absl::StatusOr<PromSample> ParseSample(absl::string_view line) {
  PromSample sample;
  if (!ConsumeName(&line, /*colon_allowed=*/true, &sample.name)) {
    return absl::InvalidArgumentError("a sample must start with a metric name");
  }
  if (absl::Status status = ConsumeLabels(&line, &sample.labels); !status.ok()) return status;
  // Exactly one blank or tab run between fields.
  std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (line.empty() || (line.front() != ' ' && line.front() != '\t')) {
    return absl::InvalidArgumentError("expected a blank before the value");
  }
  if (fields.empty() || fields.size() > 2) {
    return absl::InvalidArgumentError("expected a value and an optional timestamp");
  }
  if (!ParseValue(fields[0], &sample.value)) {
    return absl::InvalidArgumentError(absl::StrCat("bad value '", fields[0], "'"));
  }
  if (fields.size() == 2) {
    int64_t timestamp_ms = 0;
    if (!absl::SimpleAtoi(fields[1], &timestamp_ms)) {
      return absl::InvalidArgumentError(absl::StrCat("bad timestamp '", fields[1], "'"));
    }
  }
  return sample;
}

// The family a sample belongs to, given the declared families: "x_bucket" belongs to histogram x.
std::string FamilyOf(const std::string& sample_name,
                     const std::map<std::string, std::string>& types) {
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    absl::string_view name = sample_name;
    if (absl::ConsumeSuffix(&name, suffix)) {
      auto it = types.find(std::string(name));
      if (it != types.end() &&
          (it->second == "histogram" || (it->second == "summary" && suffix != "_bucket"))) {
        return std::string(name);
      }
    }
  }
  return sample_name;
}

std::string SeriesKey(const PromSample& sample) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : sample.labels) parts.push_back(absl::StrCat(name, "=", value));
  return absl::StrCat(sample.name, "{", absl::StrJoin(parts, ","), "}");
}

// Per-family checks once all its samples are known.
absl::Status CheckFamily(const PromFamily& family) {
  if (family.type == "counter") {
    for (const PromSample& sample : family.samples) {
      if (sample.value < 0) return absl::InvalidArgumentError(sample.name + " is negative");
    }
  }
  if (family.type == "summary") {
    for (const PromSample& sample : family.samples) {
      if (sample.name == family.name && sample.labels.count("quantile") == 0) {
        return absl::InvalidArgumentError(family.name + ": a summary sample without quantile");
      }
    }
  }
  if (family.type != "histogram") return absl::OkStatus();
  // Group by the labels other than le: each group has cumulative buckets ending in +Inf == _count.
  struct Group {
    std::vector<std::pair<double, double>> buckets;  // (le, count)
    bool has_count = false;
    double count = 0;
    bool has_sum = false;
  };
  std::map<std::string, Group> groups;
  for (const PromSample& sample : family.samples) {
    std::map<std::string, std::string> rest = sample.labels;
    rest.erase("le");
    PromSample key_sample{.name = family.name, .labels = rest};
    Group& group = groups[SeriesKey(key_sample)];
    if (sample.name == family.name + "_bucket") {
      auto le = sample.labels.find("le");
      double bound = 0;
      if (le == sample.labels.end() || !ParseValue(le->second, &bound)) {
        return absl::InvalidArgumentError(family.name + "_bucket without a numeric le label");
      }
      group.buckets.emplace_back(bound, sample.value);
    } else if (sample.name == family.name + "_count") {
      group.has_count = true;
      group.count = sample.value;
    } else if (sample.name == family.name + "_sum") {
      group.has_sum = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram ", family.name, " has a plain sample ", sample.name));
    }
  }
  for (auto& [key, group] : groups) {
    if (group.buckets.empty() || !group.has_count || !group.has_sum) {
      return absl::InvalidArgumentError(key + ": histogram without buckets, _sum or _count");
    }
    for (size_t i = 1; i < group.buckets.size(); ++i) {
      if (!(group.buckets[i].first > group.buckets[i - 1].first)) {
        return absl::InvalidArgumentError(key + ": bucket bounds not increasing");
      }
      if (group.buckets[i].second < group.buckets[i - 1].second) {
        return absl::InvalidArgumentError(key + ": bucket counts not cumulative");
      }
    }
    if (!std::isinf(group.buckets.back().first) || group.buckets.back().first < 0) {
      return absl::InvalidArgumentError(key + ": no +Inf bucket");
    }
    if (group.buckets.back().second != group.count) {
      return absl::InvalidArgumentError(key + ": +Inf bucket differs from _count");
    }
  }
  return absl::OkStatus();
}

}  // namespace

const PromFamily* PromExposition::Find(absl::string_view name) const {
  for (const PromFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

absl::StatusOr<double> PromExposition::Value(
    absl::string_view sample_name, const std::map<std::string, std::string>& labels) const {
  for (const PromFamily& family : families) {
    for (const PromSample& sample : family.samples) {
      if (sample.name == sample_name && sample.labels == labels) return sample.value;
    }
  }
  return absl::NotFoundError(absl::StrCat("no sample ", sample_name));
}

absl::StatusOr<PromExposition> ParsePrometheusText(absl::string_view text) {
  PromExposition exposition;
  std::map<std::string, std::string> types;  // declared TYPEs
  std::set<std::string> helps;
  std::set<std::string> finished;  // families whose group of lines has ended
  std::set<std::string> series;
  PromFamily* current = nullptr;
  auto fail = [](size_t line_number, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", why));
  };
  // Switches to the family `name`, which must not have been seen before this group.
  auto enter = [&](const std::string& name) -> bool {
    if (current != nullptr && current->name == name) return true;
    if (current != nullptr) finished.insert(current->name);
    if (finished.count(name) > 0) return false;
    exposition.families.push_back(PromFamily{.name = name});
    current = &exposition.families.back();
    return true;
  };
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("the exposition must end with a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  lines.pop_back();  // after the final newline
  if (lines.size() > kLinesMax) return absl::InvalidArgumentError("too many lines");
  exposition.families.reserve(lines.size());  // `current` stays valid
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line_number = i + 1;
    absl::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') return fail(line_number, "carriage return");
    if (absl::StripAsciiWhitespace(line).empty()) {
      if (!line.empty()) return fail(line_number, "a line of blanks");
      continue;
    }
    if (line.front() == '#') {
      absl::string_view rest = line.substr(1);
      absl::string_view keyword;
      if (absl::ConsumePrefix(&rest, " HELP ")) {
        keyword = "HELP";
      } else if (absl::ConsumePrefix(&rest, " TYPE ")) {
        keyword = "TYPE";
      } else {
        continue;  // any other comment
      }
      std::string name;
      if (!ConsumeName(&rest, /*colon_allowed=*/true, &name)) {
        return fail(line_number, absl::StrCat(keyword, " without a metric name"));
      }
      if (!rest.empty() && !absl::ConsumePrefix(&rest, " ")) {
        return fail(line_number, absl::StrCat(keyword, ": bad metric name"));
      }
      if (!enter(name)) return fail(line_number, name + " appears in two separate groups");
      if (keyword == "HELP") {
        if (!helps.insert(name).second) return fail(line_number, "second HELP for " + name);
        current->help = std::string(rest);
        continue;
      }
      static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
      if (kTypes.count(std::string(rest)) == 0) {
        return fail(line_number, absl::StrCat("unknown type '", rest, "'"));
      }
      if (types.count(name) > 0) return fail(line_number, "second TYPE for " + name);
      if (!current->samples.empty()) return fail(line_number, "TYPE after samples of " + name);
      types[name] = std::string(rest);
      current->type = std::string(rest);
      continue;
    }
    absl::StatusOr<PromSample> sample = ParseSample(line);
    if (!sample.ok()) return fail(line_number, sample.status().message());
    const std::string family = FamilyOf(sample->name, types);
    if (!enter(family)) return fail(line_number, family + " appears in two separate groups");
    if (!series.insert(SeriesKey(*sample)).second) {
      return fail(line_number, "duplicate series " + SeriesKey(*sample));
    }
    current->samples.push_back(*std::move(sample));
  }
  for (const PromFamily& family : exposition.families) {
    if (absl::Status status = CheckFamily(family); !status.ok()) return status;
  }
  return exposition;
}

}  // namespace uwallet::testing
