#include "policy/yaml_ctx.h"

#include <algorithm>

#include "gateway/base/text.h"

namespace intransit::policy::detail {

// --- KeyMarks --------------------------------------------------------------------------------

bool KeyMarks::has(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return true;
  }
  return false;
}

Mark KeyMarks::value(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return e.value_mark;
  }
  return node;
}

Mark KeyMarks::key(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return e.key_mark;
  }
  return node;
}

bool KeyMarks::usable(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return e.ok;
  }
  return true;
}

std::string KeyMarks::path_of(std::string_view key) const {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// --- text helpers ----------------------------------------------------------------------------

std::string_view kind_name(YAML::NodeType::value t) {
  switch (t) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::string quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  size_t n = 0;
  for (unsigned char c : s) {
    if (++n > kMax) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment over three rolling rows; names are short.
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const bool same = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
          ascii_lower(a[i - 2]) == ascii_lower(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string_view nearest(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.size() > 256) return {};  // nobody mistypes a key that long; keep this cheap
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (auto c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string_view{};
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  const auto n = nearest(word, candidates);
  return n.empty() ? std::string() : "did you mean '" + std::string(n) + "'?";
}

// --- Ctx -------------------------------------------------------------------------------------

Ctx::Ctx(std::string file, std::span<const KeyHome> homes)
    : file_(std::move(file)), homes_(homes) {}

Mark Ctx::mark(const YAML::Node& n) const {
  if ((!n.IsDefined() || n.IsNull()) && key_mark_.line > 0) return key_mark_;
  const YAML::Mark m = n.Mark();
  if (m.line < 0 || m.column < 0) return Mark{file_, 0, 0};
  return Mark{file_, m.line + 1, m.column + 1};
}

std::string Ctx::path() const {
  return path_;
}

Ctx::Scope::Scope(Ctx& c, std::string_view key) : c_(c), len_(c.path_.size()) {
  if (!c_.path_.empty()) c_.path_ += '.';
  c_.path_ += key;
}

Ctx::Scope::Scope(Ctx& c, size_t index) : c_(c), len_(c.path_.size()) {
  c_.path_ += '[';
  c_.path_ += std::to_string(index);
  c_.path_ += ']';
}

Ctx::Scope::~Scope() {
  c_.path_.resize(len_);
}

void Ctx::error(const Mark& at, std::string message, std::string hint) {
  error_at(at, path_, std::move(message), std::move(hint));
}

void Ctx::error_at(const Mark& at, std::string path, std::string message, std::string hint) {
  if (stopped_) return;
  errors_.push_back(ConfigError{at, std::move(path), std::move(message), std::move(hint)});
  if (errors_.size() >= kMaxErrors) {
    stop_error_ = ConfigError{
        Mark{file_, 0, 0}, "", "too many errors; stopped after " + std::to_string(kMaxErrors), {}};
    stopped_ = true;
  }
}

bool Ctx::visit() {
  if (++nodes_ <= kMaxNodes) return true;
  if (!stopped_) {
    errors_.push_back(ConfigError{root_mark(),
                                  "",
                                  "the policy expands to more than " + std::to_string(kMaxNodes) +
                                      " YAML nodes (through anchors and aliases?)",
                                  {}});
    stopped_ = true;
  }
  return false;
}

ConfigErrors Ctx::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    if (a.mark.line != b.mark.line) return a.mark.line < b.mark.line;
    return a.mark.col < b.mark.col;
  });
  if (stop_error_) errors_.push_back(std::move(*stop_error_));
  stop_error_.reset();
  return std::move(errors_);
}

void Ctx::mark_failed(KeyMarks& km, size_t /*field*/, std::string_view key) {
  for (auto& e : km.entries) {
    if (e.key == key) e.ok = false;
  }
}

bool Ctx::iequal(std::string_view a, std::string_view b) {
  return iequals(a, b);
}

bool Ctx::expect_kind(const YAML::Node& n, YAML::NodeType::value want) {
  const auto got = n.IsDefined() ? n.Type() : YAML::NodeType::Undefined;
  if (got == want) return true;
  error(mark(n),
        "expected " + std::string(kind_name(want)) + ", got " + std::string(kind_name(got)));
  return false;
}

std::vector<Accepted> Ctx::check_map(const YAML::Node& n, std::span<const KeySpec> specs,
                                     KeyMarks* km) {
  std::vector<Accepted> out;
  if (km != nullptr) {
    km->path = path_;
    km->node = mark(n);
  }
  if (!visit() || !expect_kind(n, YAML::NodeType::Map)) return out;

  std::vector<std::string_view> names;
  names.reserve(specs.size());
  for (const auto& s : specs) names.push_back(s.key);

  // first[i] is the key node where field i was first seen; suggested[i] is set when an
  // unknown key was taken for a typo of field i, so its "missing" error is not repeated.
  std::vector<std::optional<Mark>> first(specs.size());
  std::vector<bool> suggested(specs.size());
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (stopped_ || !visit()) return out;
    // Copies, not references: yaml-cpp's iterator hands out a temporary pair.
    const YAML::Node k = it->first;
    const YAML::Node v = it->second;
    if (!k.IsScalar()) {
      error(mark(k), "keys must be plain strings, got " + std::string(kind_name(k.Type())));
      continue;
    }
    const std::string& key = k.Scalar();
    size_t idx = specs.size();
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].key == key) {
        idx = i;
        break;
      }
    }
    const Mark km_key = mark(k);
    if (idx == specs.size()) {
      Scope s(*this, key);
      const std::string_view near = nearest(key, names);
      std::string hint = near.empty() ? std::string() : "did you mean '" + std::string(near) + "'?";
      for (size_t i = 0; i < specs.size(); ++i) {
        if (!near.empty() && specs[i].key == near) suggested[i] = true;
      }
      if (hint.empty()) {
        for (const auto& h : homes_) {
          if (h.key == key) {
            hint = "'" + key + "' belongs under '" + std::string(h.where) + "'";
            break;
          }
        }
      }
      error(km_key, "unknown key " + quote(key), std::move(hint));
      continue;
    }
    if (first[idx]) {
      Scope s(*this, key);
      error(km_key,
            "duplicate key '" + key + "' (first defined at line " +
                std::to_string(first[idx]->line) + ")",
            "remove one of them");
      continue;
    }
    first[idx] = km_key;
    // A null value gets the key's mark (see Ctx::mark).
    const Mark vm = v.IsNull() ? km_key : mark(v);
    if (km != nullptr) km->entries.push_back(KeyMarks::Entry{specs[idx].key, km_key, vm});
    out.push_back(Accepted{idx, k, v});
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].required && !first[i] && !suggested[i]) {
      error(mark(n), "missing required key '" + std::string(specs[i].key) + "'");
    }
  }
  return out;
}

std::optional<std::string> Ctx::string(const YAML::Node& n, bool allow_empty) {
  if (!visit()) return std::nullopt;
  if (n.IsNull() && !allow_empty) {
    error(mark(n), "expected a string, got nothing");
    return std::nullopt;
  }
  if (n.IsNull()) return std::string();
  if (!expect_kind(n, YAML::NodeType::Scalar)) return std::nullopt;
  const std::string& s = n.Scalar();
  if (s.empty() && !allow_empty) {
    error(mark(n), "must not be empty");
    return std::nullopt;
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      error(mark(n), quote(s) + " contains a control character");
      return std::nullopt;
    }
  }
  return s;
}

std::optional<uint64_t> Ctx::integer(const YAML::Node& n, uint64_t min, uint64_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (n.IsNull()) {
    error(mark(n), "expected an integer from " + range + ", got nothing");
    return std::nullopt;
  }
  auto s = string(n);
  if (!s) return std::nullopt;
  const auto v = parse_u64(*s);
  if (!v) {
    error(mark(n), "expected an integer from " + range + ", got " + quote(*s));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    error(mark(n), std::to_string(*v) + " is out of range (" + range + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Ctx::boolean(const YAML::Node& n) {
  if (n.IsNull()) {
    error(mark(n), "expected true or false, got nothing");
    return std::nullopt;
  }
  auto s = string(n);
  if (!s) return std::nullopt;
  if (iequals(*s, "true")) return true;
  if (iequals(*s, "false")) return false;
  error(mark(n), "expected true or false, got " + quote(*s));
  return std::nullopt;
}

void Ctx::bad_choice(const YAML::Node& n, const std::string& got,
                     std::span<const std::string_view> names) {
  std::string allowed;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) allowed += i + 1 == names.size() ? " or " : ", ";
    allowed += names[i];
  }
  error(mark(n), quote(got) + " is not one of " + allowed, did_you_mean(got, names));
}

}  // namespace intransit::policy::detail
