// Query and path decoding exactly as Azure Storage decodes a SAS request (SAS-SPEC §1).
//
// The query is form-decoded once: '+' becomes a space and %XX escapes (either case) become
// bytes; an escape that is not followed by two hex digits is kept literally, as .NET's
// HttpUtility does. The path is percent-decoded once with no '+' rule: a '+' in a blob name is
// a literal '+'. Neither is normalised further (no dot segments, no case folding).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intransit::policy::sas {

// QueryParam is one name=value pair of a query, both form-decoded.
struct QueryParam {
  std::string name;
  std::string value;
  bool has_equals = false;  // false for a bare "name" with no '='
};

// form_decode decodes one query name or value (SAS-SPEC §1, "Query decoding").
std::string form_decode(std::string_view raw);

// parse_query splits a raw query (without '?') on '&' and form-decodes each side of the first
// '=' of every non-empty piece. Order and repeats are kept.
std::vector<QueryParam> parse_query(std::string_view raw);

// percent_decode_path decodes %XX escapes once, '+' stays '+'. It returns nullopt for a '%'
// not followed by two hex digits, for a decoded NUL or other control byte, and for bytes that
// are not valid UTF-8: Azure refuses such URLs, and the canonical resource must be exact.
std::optional<std::string> percent_decode_path(std::string_view raw);

// encode_component percent-encodes like JavaScript's encodeURIComponent (what the Azure SDKs
// use for SAS values): everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is escaped, uppercase hex.
std::string encode_component(std::string_view s);

// is_valid_utf8 returns true if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s);

}  // namespace intransit::policy::sas
