#include "runtime/config/fields.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tessera::config {

Rule<std::string> one_of(std::vector<std::string> choices) {
  std::string text = fmt::format("must be one of {}", fmt::join(choices, ", "));
  return {std::move(text), [choices = std::move(choices)](const std::string& v) {
            for (const std::string& c : choices) {
              if (c == v) {
                return true;
              }
            }
            return false;
          }};
}

Rule<std::string> not_empty() {
  return {"must be set", [](const std::string& v) { return !v.empty(); }};
}

std::optional<Seconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || !std::isfinite(number)) {
    return std::nullopt;
  }
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') {
    unit.remove_prefix(1);
  }
  struct Unit {
    std::string_view name;
    double seconds;
  };
  static constexpr Unit kUnits[] = {{"", 1},      {"s", 1},     {"sec", 1},    {"ms", 1e-3},
                                    {"us", 1e-6}, {"m", 60},    {"min", 60},   {"h", 3600},
                                    {"hr", 3600}, {"d", 86400}, {"day", 86400}};
  for (const Unit& u : kUnits) {
    if (unit == u.name) {
      return Seconds(number * u.seconds);
    }
  }
  return std::nullopt;
}

std::string format_duration(Seconds value) {
  double s = value.count();
  if (s != 0 && std::fmod(s, 3600) == 0) {
    return fmt::format("{}h", s / 3600);
  }
  if (s != 0 && std::fmod(s, 60) == 0) {
    return fmt::format("{}min", s / 60);
  }
  if (s != 0 && std::fabs(s) < 1) {
    return fmt::format("{}ms", s * 1000);
  }
  return fmt::format("{}s", s);
}

}  // namespace tessera::config
