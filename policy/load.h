// policy::load turns a YAML policy file into an immutable, validated Policy, or into the full
// list of what is wrong with it. See policy/README.md for the schema.
//
// Every error carries file:line:col (1-based) and a key path, and `format()` renders it as
//   policy.yaml:14:5: listeners[0].tls.min_version: "1.0" is not allowed: TLS versions below
//   1.2 are refused
// All errors are collected in one pass: unknown keys (with the nearest known key as a hint),
// duplicate keys (naming the line of the first), values of the wrong kind or out of range,
// weak TLS settings, and cross-field problems (unknown backends, clashing addresses, a policy
// that could never serve anything). Loading is pure: it reads no certificate or key file
// (the TLS module does, reporting at the marks kept in CertificateSpec) and opens no socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/base/result.h"
#include "policy/config_error.h"
#include "policy/model.h"

namespace intransit::policy {

// kMaxPolicyBytes bounds a policy file; larger input is refused before it reaches the YAML
// parser.
inline constexpr size_t kMaxPolicyBytes = 1024 * 1024;

// kEmbeddedSourceName is the source name of the embedded default policy.
inline constexpr std::string_view kEmbeddedSourceName = "<embedded>";

// load parses and validates `yaml_text`. `source_name` is used as the file in every mark and
// as Policy::source. It returns the policy, or every error found (never an empty list).
// It does not throw for any input (yaml-cpp exceptions are caught here); it is safe to call
// from any thread.
Result<PolicyPtr, ConfigErrors> load(std::string_view source_name, std::string_view yaml_text);

// load_file reads `path` and calls load(path, contents). An unreadable or oversized file gives
// one ConfigError at line 0.
Result<PolicyPtr, ConfigErrors> load_file(const std::string& path);

// embedded_default returns the text of policy/default_policy.yaml, compiled into the binary:
// an https listener on 127.0.0.1:8443 with a self-signed certificate, a plain-HTTP listener
// on 127.0.0.1:8080 that refuses, and one route to the built-in demo backend. The view is
// valid for the life of the process.
std::string_view embedded_default();

// load_default loads embedded_default() under the source name "<embedded>".
Result<PolicyPtr, ConfigErrors> load_default();

}  // namespace intransit::policy
