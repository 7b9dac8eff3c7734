// Result<T, E>: a value or an error, shaped like C++23 std::expected so it can become an
// alias later. Data-plane errors are small enums or static labels; nothing here allocates
// beyond what T and E do.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace intransit {

// Error is the general-purpose error: a static label (usable as a metric label) and an
// optional human-readable detail for logs and CLI output.
struct Error {
  std::string_view label;
  std::string detail;

  std::string message() const {
    return detail.empty() ? std::string(label) : std::string(label) + ": " + detail;
  }
};

template <class E>
struct Unexpected {
  E error;
};

// unexpected wraps an error so it converts into any Result<T, E>.
template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit like expected
  template <class G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return std::get<1>(v_); }
  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class G>
  Result(Unexpected<G> u) : e_(std::move(u.error)) {}  // NOLINT

  bool has_value() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  E& error() & { return *e_; }
  const E& error() const& { return *e_; }

 private:
  std::optional<E> e_;
};

// fail builds an Unexpected<Error> from a static label and an optional detail.
inline Unexpected<Error> fail(std::string_view label, std::string detail = {}) {
  return {Error{label, std::move(detail)}};
}

}  // namespace intransit
