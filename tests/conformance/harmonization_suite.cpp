// SPDX-License-Identifier: AGPL-3.0-or-later
// Suite "harmonization": harmonization_vectors.json (types, DateTime helpers,
// IPAddress/IPNetwork/URL helpers).
#include <fstream>
#include <functional>
#include <optional>

#include "harmonization/datetime.hpp"
#include "harmonization/types.hpp"
#include "tests/conformance/compare.hpp"
#include "tests/conformance/suite.hpp"

namespace intelflow::conformance {

namespace {

using harm::TypeId;
using harm::Value;
namespace dt = harm::datetime;

constexpr std::string_view kSuite = "harmonization";

/// The vector files name the types as IntelMQ's classes do.
std::optional<TypeId> type_by_name(std::string_view n) {
  static const std::pair<std::string_view, TypeId> kTypes[] = {
      {"Accuracy", TypeId::Accuracy},
      {"ASN", TypeId::ASN},
      {"Base64", TypeId::Base64},
      {"Boolean", TypeId::Boolean},
      {"ClassificationTaxonomy", TypeId::ClassificationTaxonomy},
      {"ClassificationType", TypeId::ClassificationType},
      {"DateTime", TypeId::DateTime},
      {"FQDN", TypeId::FQDN},
      {"Float", TypeId::Float},
      {"GenericType", TypeId::GenericType},
      {"Integer", TypeId::Integer},
      {"IPAddress", TypeId::IPAddress},
      {"IPNetwork", TypeId::IPNetwork},
      {"JSON", TypeId::JSON},
      {"JSONDict", TypeId::JSONDict},
      {"LowercaseString", TypeId::LowercaseString},
      {"Registry", TypeId::Registry},
      {"String", TypeId::String},
      {"TLP", TypeId::TLP},
      {"UppercaseString", TypeId::UppercaseString},
      {"URL", TypeId::URL},
  };
  for (const auto& [name, id] : kTypes)
    if (name == n) return id;
  return std::nullopt;
}

Value opt_string(const std::optional<std::string>& s) {
  return s ? Value::string(*s) : Value();
}

const Json* field(const Json& e, const char* name) {
  auto it = e.find(name);
  return it == e.end() ? nullptr : &*it;
}

std::string entry_context(const Json& e) {
  std::string c = "input " + brief(e.value("input", Json()));
  if (auto* f = field(e, "format")) c += ", format " + render(*f);
  if (auto* k = field(e, "clock")) c += ", clock " + render(*k);
  return c;
}

/// A DateTime / IP / URL helper: takes the input (and format) and returns a Value.
using Helper = std::function<Value(const Value& input, const std::string& format)>;

const std::string& as_text(const Value& v) {
  if (!v.is_string())
    throw std::invalid_argument("runner: this helper takes a string input, the vector has " +
                                kind_label(v));
  return v.as_string();
}

std::optional<Helper> helper_by_name(std::string_view n) {
  if (n == "from_timestamp")
    return Helper(
        [](const Value& v, const std::string&) { return opt_string(dt::from_timestamp(v)); });
  if (n == "from_epoch_millis")
    return Helper(
        [](const Value& v, const std::string&) { return opt_string(dt::from_epoch_millis(v)); });
  if (n == "from_windows_nt")
    return Helper(
        [](const Value& v, const std::string&) { return opt_string(dt::from_windows_nt(v)); });
  if (n == "from_isoformat")
    return Helper(
        [](const Value& v, const std::string&) { return opt_string(dt::from_isoformat(v)); });
  if (n == "from_fuzzy")
    return Helper([](const Value& v, const std::string&) { return opt_string(dt::from_fuzzy(v)); });
  if (n == "from_format")
    return Helper(
        [](const Value& v, const std::string& f) { return opt_string(dt::from_format(v, f)); });
  if (n == "from_format_midnight")
    return Helper([](const Value& v, const std::string& f) {
      return opt_string(dt::from_format_midnight(v, f));
    });
  if (n == "convert")
    return Helper(
        [](const Value& v, const std::string& f) { return opt_string(dt::convert(v, f)); });
  if (n == "IPAddress.to_int")
    return Helper([](const Value& v, const std::string&) { return harm::ip::to_int(as_text(v)); });
  if (n == "IPAddress.version")
    return Helper([](const Value& v, const std::string&) {
      return Value::integer(harm::ip::version(as_text(v)));
    });
  if (n == "IPAddress.to_reverse")
    return Helper([](const Value& v, const std::string&) {
      return Value::string(harm::ip::to_reverse(as_text(v)));
    });
  if (n == "IPNetwork.version")
    return Helper([](const Value& v, const std::string&) {
      return Value::integer(harm::ip::network_version(as_text(v)));
    });
  if (n == "URL.to_domain_name")
    return Helper([](const Value& v, const std::string&) {
      return opt_string(harm::url::to_domain_name(as_text(v)));
    });
  return std::nullopt;
}

/// Pins "now" to the entry's clock, else the file's meta clock.
void pin_clock(const Json& entry, std::optional<std::int64_t> meta_clock) {
  std::optional<std::int64_t> t = meta_clock;
  if (auto* c = field(entry, "clock"); c && c->is_string()) {
    if (auto parsed = parse_clock(c->get_ref<const std::string&>())) t = parsed;
  }
  dt::set_clock_override(t);
}

class HarmonizationSuite final : public Suite {
 public:
  std::string_view name() const noexcept override { return kSuite; }
  bool present(const Options& opts) const override {
    return std::filesystem::is_regular_file(opts.harmonization_vectors_file());
  }

  void run(const Options& opts, Report& report) override {
    Json doc;
    {
      std::ifstream in(opts.harmonization_vectors_file());
      doc = Json::parse(in);  // a broken vector file is fatal: reported by main
    }
    std::optional<std::int64_t> meta_clock;
    if (doc.contains("meta") && doc["meta"].contains("clock") && doc["meta"]["clock"].is_string())
      meta_clock = parse_clock(doc["meta"]["clock"].get<std::string>());

    if (doc.contains("types")) {
      for (auto it = doc["types"].begin(); it != doc["types"].end(); ++it)
        run_type(it.key(), it.value(), meta_clock, opts, report);
    }
    for (const char* group : {"datetime_helpers", "other_helpers"}) {
      if (!doc.contains(group)) continue;
      for (auto it = doc[group].begin(); it != doc[group].end(); ++it)
        run_helper(it.key(), it.value(), meta_clock, opts, report);
    }
    dt::set_clock_override(std::nullopt);
  }

 private:
  static void run_type(const std::string& type_name, const Json& entries,
                       std::optional<std::int64_t> meta_clock, const Options& opts,
                       Report& report) {
    const auto type = type_by_name(type_name);
    for (const auto& e : entries) {
      std::string id = e.value("id", type_name + "/?");
      if (!opts.selected(id)) continue;
      const std::string input_type = e.value("input_type", "json");
      if (input_type != "json") {
        report.skip(std::move(id), kSuite, "input_type " + input_type);
        continue;
      }
      set_current_item(id);
      std::vector<std::string> diffs;
      try {
        if (!type) throw std::invalid_argument("runner: unknown type " + type_name);
        const Value input = to_value(e.at("input"));
        pin_clock(e, meta_clock);
        const bool json_text = *type == TypeId::JSON || *type == TypeId::JSONDict;

        auto valid =
            Outcome::capture([&] { return Value::boolean(harm::is_valid(*type, input, false)); });
        compare_outcome(e.value("valid", Json()), field(e, "valid_error"), valid, "valid", diffs);

        auto valid_s =
            Outcome::capture([&] { return Value::boolean(harm::is_valid(*type, input, true)); });
        compare_outcome(e.value("valid_sanitized", Json()), field(e, "valid_sanitized_error"),
                        valid_s, "valid_sanitized", diffs);

        auto san = Outcome::capture([&] { return harm::sanitize(*type, input); });
        compare_outcome(e.value("sanitized", Json()), field(e, "error"), san, "sanitized", diffs,
                        json_text);
      } catch (const std::exception& ex) {
        diffs.push_back(std::string("runner: ") + ex.what());
      }
      report.add(std::move(id), kSuite, std::move(diffs), entry_context(e));
    }
  }

  static void run_helper(const std::string& helper_name, const Json& entries,
                         std::optional<std::int64_t> meta_clock, const Options& opts,
                         Report& report) {
    const auto helper = helper_by_name(helper_name);
    for (const auto& e : entries) {
      std::string id = e.value("id", helper_name + "/?");
      if (!opts.selected(id)) continue;
      const std::string input_type = e.value("input_type", "json");
      if (input_type != "json") {
        report.skip(std::move(id), kSuite, "input_type " + input_type);
        continue;
      }
      set_current_item(id);
      std::vector<std::string> diffs;
      try {
        if (!helper) throw std::invalid_argument("runner: unknown helper " + helper_name);
        const Value input = to_value(e.at("input"));
        // convert(value, None) is the fuzzy default; the C++ API has no None format.
        const Json* fmt = field(e, "format");
        const std::string format = !fmt || fmt->is_null()
                                       ? (helper_name == "convert" ? "fuzzy" : "")
                                       : fmt->get<std::string>();
        pin_clock(e, meta_clock);
        auto out = Outcome::capture([&] { return (*helper)(input, format); });
        compare_outcome(e.value("output", Json()), field(e, "error"), out, "output", diffs);
      } catch (const std::exception& ex) {
        diffs.push_back(std::string("runner: ") + ex.what());
      }
      report.add(std::move(id), kSuite, std::move(diffs), entry_context(e));
    }
  }
};

}  // namespace

std::unique_ptr<Suite> make_harmonization_suite() {
  return std::make_unique<HarmonizationSuite>();
}

}  // namespace intelflow::conformance
