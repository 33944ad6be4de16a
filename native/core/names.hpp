// How enums cross the boundary to TypeScript: by name. Each enum the glue reads or writes declares
// one table, EnumNames<E>, next to the enum itself: the kind (the option it is the value of) and every
// value with its name. The glue converts strings with fromName / nameOf, and the addon exports every
// table (native/addon/contract.cpp) so that a test compares it with the TypeScript constants. Adding
// a value to an enum is then one line in its table; no index order is kept in step by hand.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nntk {

template <typename E>
struct NamedValue {
  E value;
  std::string_view name;
};

// Specialized next to each enum: static constexpr std::string_view kind; static constexpr NamedValue<E> values[].
template <typename E>
struct EnumNames;

template <typename E>
std::optional<E> fromName(std::string_view name) {
  for (const NamedValue<E>& v : EnumNames<E>::values)
    if (v.name == name) return v.value;
  return std::nullopt;
}

template <typename E>
std::string_view nameOf(E value) {
  for (const NamedValue<E>& v : EnumNames<E>::values)
    if (v.value == value) return v.name;
  return "?";
}

// "'a', 'b' or 'c'": the accepted names, for error messages.
template <typename E>
std::string acceptedNames() {
  std::string out;
  const std::size_t n = std::size(EnumNames<E>::values);
  for (std::size_t k = 0; k < n; ++k) {
    if (k > 0) out += k + 1 == n ? " or " : ", ";
    out += "'";
    out += EnumNames<E>::values[k].name;
    out += "'";
  }
  return out;
}

}  // namespace nntk
