#pragma once

// Typed configs declared once, used three ways.
//
// A config is a plain struct with default member initializers and a
// `void fields(config::Fields& f)` method that declares every field:
//
//   struct OptimConfig {
//     std::string kind = "adam";  // optimizer
//     double lr = 1e-3;           // learning rate
//     void fields(config::Fields& f) {
//       f("kind", kind, "optimizer", config::one_of({"sgd", "adam"}));
//       f("lr", lr, "learning rate", config::positive<double>());
//     }
//   };
//
// The same declaration is visited by a YamlReader (parse YAML, collecting
// every error with file, line, key path, value and rule; reject unknown keys
// and suggest the nearest valid one), a YamlWriter (the resolved config), and
// a FieldCatalog (the option list `tessera jobs` prints).
//
// Supported field types: bool, int, int64_t, uint64_t, double, std::string,
// Seconds, std::vector of int/int64_t/double/std::string, std::optional of
// int64_t/double/std::string, nested structs with fields(), std::vector of
// such structs, enums through choice(), and free-form YAML through raw().

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace tessera::config {

// Durations in configs: "120s", "10min", "1.5h", "250ms", or a number of seconds.
using Seconds = std::chrono::duration<double>;

// A rule a value must satisfy. `text` completes the phrase in an error:
// "optim.lr = -0.1 (must be > 0)". An empty `holds` accepts anything.
template <class T>
struct Rule {
  std::string text;
  std::function<bool(const T&)> holds;
};

template <class T>
Rule<T> positive() {
  return {"must be > 0", [](const T& v) { return v > T{}; }};
}

template <class T>
Rule<T> at_least(T lo) {
  return {"must be >= " + YAML::Node(lo).as<std::string>(), [lo](const T& v) { return v >= lo; }};
}

template <class T>
Rule<T> in_range(T lo, T hi) {
  return {"must be in [" + YAML::Node(lo).as<std::string>() + ", " +
              YAML::Node(hi).as<std::string>() + "]",
          [lo, hi](const T& v) { return v >= lo && v <= hi; }};
}

Rule<std::string> one_of(std::vector<std::string> choices);
Rule<std::string> not_empty();

// Every element of a list satisfies `rule`.
template <class T>
Rule<std::vector<T>> each(Rule<T> rule) {
  return {"each element " + rule.text, [rule](const std::vector<T>& values) {
            for (const T& v : values) {
              if (!rule.holds(v)) {
                return false;
              }
            }
            return true;
          }};
}

class Fields;

template <class T>
concept HasFields = requires(T& t, Fields& f) { t.fields(f); };

// A list of nested structs, seen through a type-erased view.
class SectionList {
 public:
  virtual ~SectionList() = default;
  virtual std::size_t size() const = 0;
  virtual void resize(std::size_t n) = 0;
  // Visits element i (i == size() is not allowed).
  virtual void visit(std::size_t i, Fields& f) = 0;
  // Visits a default-constructed element (for catalogs of an empty list).
  virtual void visit_prototype(Fields& f) = 0;
};

class Fields {
 public:
  virtual ~Fields() = default;

  // Declares a scalar, list, optional or nested field.
  template <class T>
  void operator()(std::string_view key, T& value, std::string_view doc, Rule<T> rule = {}) {
    if constexpr (HasFields<T>) {
      section(key, doc, [&value](Fields& f) { value.fields(f); });
    } else if constexpr (is_section_vector<T>::value) {
      VectorSections<typename T::value_type> list(value);
      section_list(key, doc, list);
    } else {
      auto check = [&value, rule]() -> std::string {
        return rule.holds && !rule.holds(value) ? rule.text : std::string();
      };
      value_field(key, Ref(&value), doc, check, rule.text);
    }
  }

  // Declares an enum field spelled by `names` in YAML.
  template <class E>
  void choice(std::string_view key,
              E& value,
              std::initializer_list<std::pair<std::string_view, E>> names,
              std::string_view doc) {
    std::string spelled;
    std::vector<std::string> all;
    for (const auto& [name, e] : names) {
      all.emplace_back(name);
      if (e == value) {
        spelled = name;
      }
    }
    Rule<std::string> rule = one_of(all);
    auto check = [&spelled, &rule]() { return rule.holds(spelled) ? std::string() : rule.text; };
    value_field(key, Ref(&spelled), doc, check, rule.text);
    for (const auto& [name, e] : names) {
      if (name == spelled) {
        value = e;
      }
    }
  }

  // Declares a free-form YAML field that its owner interprets itself (a sweep
  // grid, say). The owner reports its own errors through issue().
  virtual void raw(std::string_view key, YAML::Node& node, std::string_view doc) = 0;

  // Records a problem found by the config's own validation (cross-field rules).
  // `key` is relative to this section. No-op outside parsing.
  virtual void issue(std::string_view key, std::string_view rule) { (void)key, (void)rule; }

  // True while parsing user input (so validation code runs only then).
  virtual bool parsing() const { return false; }

 protected:
  using Ref = std::variant<bool*,
                           int*,
                           std::int64_t*,
                           std::uint64_t*,
                           double*,
                           std::string*,
                           Seconds*,
                           std::vector<int>*,
                           std::vector<std::int64_t>*,
                           std::vector<double>*,
                           std::vector<std::string>*,
                           std::optional<std::int64_t>*,
                           std::optional<double>*,
                           std::optional<std::string>*>;
  // Returns "" when the value is acceptable, else the rule it breaks.
  using Check = std::function<std::string()>;

  virtual void value_field(std::string_view key,
                           Ref ref,
                           std::string_view doc,
                           const Check& check,
                           std::string_view rule_text) = 0;
  virtual void section(std::string_view key,
                       std::string_view doc,
                       const std::function<void(Fields&)>& body) = 0;
  virtual void section_list(std::string_view key, std::string_view doc, SectionList& list) = 0;

 private:
  template <class T>
  struct is_section_vector : std::false_type {};
  template <class T>
  struct is_section_vector<std::vector<T>> : std::bool_constant<HasFields<T>> {};

  template <class T>
  class VectorSections final : public SectionList {
   public:
    explicit VectorSections(std::vector<T>& v) : v_(v) {}
    std::size_t size() const override { return v_.size(); }
    void resize(std::size_t n) override { v_.resize(n); }
    void visit(std::size_t i, Fields& f) override { v_[i].fields(f); }
    void visit_prototype(Fields& f) override {
      T prototype{};
      prototype.fields(f);
    }

   private:
    std::vector<T>& v_;
  };
};

// Parses "120s", "10min", "1.5h", "250ms", "2d" or a plain number (seconds).
std::optional<Seconds> parse_duration(std::string_view text);
// "120s", "1.5h": the shortest exact spelling parse_duration accepts.
std::string format_duration(Seconds value);

}  // namespace tessera::config
