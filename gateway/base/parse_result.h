// The three outcomes of an incremental parser (see STYLE.md R6): it needs more bytes, it
// parsed a value from the first `consumed` bytes, or the input is invalid at `offset`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

namespace intransit {

struct NeedMore {};

template <class Errc>
struct ParseError {
  Errc code;
  uint32_t offset = 0;
};

template <class T>
struct Parsed {
  T value;
  size_t consumed = 0;
};

template <class T, class Errc>
using ParseResult = std::variant<NeedMore, Parsed<T>, ParseError<Errc>>;

}  // namespace intransit
