// The table-driven YAML reader behind policy::load (STYLE R13). Internal to policy_core.
//
// A schema is a table of Field<T> per mapping: the key, whether it is required, and a parse
// function that fills T from the value node. Ctx::map walks one mapping against its table and
// reports, all in one pass and each with file:line:col and a key path:
//   - a node of the wrong kind (scalar / sequence / mapping / nothing),
//   - unknown keys, with the nearest known key as a hint ("did you mean 'min_version'?"),
//   - duplicate keys, naming the line of the first occurrence (yaml-cpp keeps both pairs in
//     the node and silently answers lookups with one of them, so we walk the pairs),
//   - missing required keys.
// Parse functions report value errors through Ctx and never throw; Ctx never throws either.
// yaml-cpp's own exceptions are caught once, in load.cc.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/config_error.h"

namespace intransit::policy::detail {

class Ctx;

// Field is one row of a mapping's schema table.
template <class T>
struct Field {
  std::string_view key;
  bool required;
  void (*parse)(Ctx& ctx, const YAML::Node& value, T& out);
};

// Choice is one row of an enumeration table: the spelling in the file and the enum value.
template <class E>
struct Choice {
  std::string_view name;
  E value;
};

// KeyHome says which mapping a key belongs to, for the "belongs under" hint when a known key
// is written at the wrong level.
struct KeyHome {
  std::string_view key;
  std::string_view where;  // e.g. "listeners[].tls"
};

// KeyMarks remembers where the keys of one mapping were found, so cross-field validation
// after parsing can still point at the exact value it complains about.
struct KeyMarks {
  struct Entry {
    std::string_view key;  // points into a static schema table
    Mark key_mark;
    Mark value_mark;
    bool ok = true;  // false when parsing the value reported an error
  };
  std::string path;  // key path of the mapping itself, e.g. "listeners[0]"
  Mark node;         // the mapping
  std::vector<Entry> entries;

  // has returns true if `key` was present.
  bool has(std::string_view key) const;
  // value returns the mark of `key`'s value, or the mapping's mark when it was absent.
  Mark value(std::string_view key) const;
  // key returns the mark of `key` itself, or the mapping's mark when it was absent.
  Mark key(std::string_view key) const;
  // usable returns true if `key` was absent (its default stands) or parsed without error;
  // cross-field rules skip values that already have an error, so one mistake is reported once.
  bool usable(std::string_view key) const;
  // ok returns true if `key` was present and parsed without error.
  bool ok(std::string_view key) const { return has(key) && usable(key); }
  // path_of returns the key path of `key` inside this mapping.
  std::string path_of(std::string_view key) const;
};

// KeySpec is the part of a Field that check_map needs.
struct KeySpec {
  std::string_view key;
  bool required;
};

// Accepted is one mapping entry that passed key checks: its index in the schema table.
struct Accepted {
  size_t field;
  YAML::Node key;
  YAML::Node value;
};

// kMaxErrors bounds the error list: past it, one "too many errors" entry ends the run.
inline constexpr size_t kMaxErrors = 100;
// kMaxNodes bounds the nodes visited, so that aliases (&a/*a) cannot make a small file expand
// into a huge policy.
inline constexpr size_t kMaxNodes = 200'000;

// Ctx carries the file name, the current key path and the error list through one load.
class Ctx {
 public:
  Ctx(std::string file, std::span<const KeyHome> homes);

  // mark converts a node's yaml-cpp mark (0-based) into ours (1-based). A null value has no
  // useful mark of its own (yaml-cpp gives the next token's), so it gets the mark of the key
  // that holds it.
  Mark mark(const YAML::Node& n) const;
  // root_mark returns line 1, column 1 of the file.
  Mark root_mark() const { return Mark{file_, 1, 1}; }
  // file returns the source name every mark carries.
  const std::string& file() const { return file_; }

  // path returns the current key path, e.g. "listeners[0].tls.min_version".
  std::string path() const;

  // Scope appends a key or an index to the path for its lifetime.
  class Scope {
   public:
    Scope(Ctx& c, std::string_view key);
    Scope(Ctx& c, size_t index);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Ctx& c_;
    size_t len_;
  };

  // error records an error at `at` under the current path.
  void error(const Mark& at, std::string message, std::string hint = {});
  // error_at records an error under an explicit path (used by cross-field validation).
  void error_at(const Mark& at, std::string path, std::string message, std::string hint = {});
  // error_count returns the number of errors so far.
  size_t error_count() const { return errors_.size(); }
  // take_errors returns the errors sorted by position (stable), followed by the "too many
  // errors" note when the budget ran out.
  ConfigErrors take_errors();
  // stopped is true once the error or node budget ran out; parse functions then return early.
  bool stopped() const { return stopped_; }

  // visit counts one node against kMaxNodes; false once the budget is spent.
  bool visit();

  // map checks `n` against the schema table and calls each field's parse function on its
  // value, under the key's path. `km`, when given, receives the marks of the keys found.
  template <class T, size_t N>
  void map(const YAML::Node& n, const Field<T> (&fields)[N], T& out, KeyMarks* km = nullptr) {
    std::array<KeySpec, N> specs;
    for (size_t i = 0; i < N; ++i) specs[i] = KeySpec{fields[i].key, fields[i].required};
    const std::vector<Accepted> entries = check_map(n, specs, km);
    for (const auto& e : entries) {
      if (stopped_) return;
      Scope s(*this, fields[e.field].key);
      const Mark saved = key_mark_;
      key_mark_ = mark(e.key);
      const size_t before = errors_.size();
      fields[e.field].parse(*this, e.value, out);
      key_mark_ = saved;
      if (km != nullptr && (errors_.size() != before || stopped_))
        mark_failed(*km, e.field, fields[e.field].key);
    }
  }

  // seq calls `each(node, index)` for every item of the sequence `n`, under "[index]". A
  // sequence with no items is an error unless `allow_empty`.
  template <class F>
  void seq(const YAML::Node& n, F&& each, bool allow_empty = false) {
    if (!expect_kind(n, YAML::NodeType::Sequence)) return;
    if (n.size() == 0 && !allow_empty) {
      error(mark(n), "must list at least one entry");
      return;
    }
    size_t i = 0;
    for (auto it = n.begin(); it != n.end(); ++it, ++i) {
      if (stopped_ || !visit()) return;
      Scope s(*this, i);
      each(*it, i);
    }
  }

  // string returns the scalar text of `n`, or reports a kind error. Empty text is refused
  // unless `allow_empty`; control characters are always refused.
  std::optional<std::string> string(const YAML::Node& n, bool allow_empty = false);
  // integer parses a decimal integer in [min, max]; no sign, no exponent, no separators.
  std::optional<uint64_t> integer(const YAML::Node& n, uint64_t min, uint64_t max);
  // boolean accepts true/false (any case).
  std::optional<bool> boolean(const YAML::Node& n);

  // choice maps a scalar to an enum through its table, case-insensitively; anything else is
  // an error listing the allowed names, with the nearest one as a hint.
  template <class E, size_t N>
  std::optional<E> choice(const YAML::Node& n, const Choice<E> (&table)[N]) {
    auto s = string(n);
    if (!s) return std::nullopt;
    std::array<std::string_view, N> names;
    for (size_t i = 0; i < N; ++i) {
      names[i] = table[i].name;
      if (iequal(*s, table[i].name)) return table[i].value;
    }
    bad_choice(n, *s, names);
    return std::nullopt;
  }

  // expect_kind reports an error and returns false unless `n` has kind `want`.
  bool expect_kind(const YAML::Node& n, YAML::NodeType::value want);

 private:
  static void mark_failed(KeyMarks& km, size_t field, std::string_view key);
  std::vector<Accepted> check_map(const YAML::Node& n, std::span<const KeySpec> specs,
                                  KeyMarks* km);
  void bad_choice(const YAML::Node& n, const std::string& got,
                  std::span<const std::string_view> names);
  static bool iequal(std::string_view a, std::string_view b);

  std::string file_;
  std::span<const KeyHome> homes_;
  std::string path_;
  Mark key_mark_;
  ConfigErrors errors_;
  std::optional<ConfigError> stop_error_;
  size_t nodes_ = 0;
  bool stopped_ = false;
};

// kind_name returns "a mapping", "a sequence", "a string" or "nothing".
std::string_view kind_name(YAML::NodeType::value t);

// quote renders `s` for a message: in double quotes, control bytes escaped, long text cut.
std::string quote(std::string_view s);

// edit_distance is the optimal-string-alignment distance (insert, delete, substitute,
// transpose adjacent), compared case-insensitively.
size_t edit_distance(std::string_view a, std::string_view b);

// nearest returns the candidate closest to `word` if it is close enough to be a plausible
// typo (distance at most max(2, |word| / 3)), else an empty view.
std::string_view nearest(std::string_view word, std::span<const std::string_view> candidates);

// did_you_mean returns "did you mean 'x'?" for nearest(), or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace intransit::policy::detail
