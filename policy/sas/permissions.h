// Permission letters and the operation table (SAS-SPEC §5): which request shape is which Blob
// service operation, at which resource level, and which `sp` letters authorise it.
//
// Classification looks at the method, the level of the URL (service, container, blob), the
// `comp` and `restype` query values (case-insensitive) and a few request facts
// (x-ms-copy-source, x-ms-lease-action, versionid, deletetype=permanent). A request shape that
// is not in the table is refused (403 AuthorizationFailure): the gateway forwards only what it
// can authorise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intransit::policy::sas {

// Level is the resource level a request addresses; for an account SAS it must be in `srt`
// (s, c, o).
enum class Level : uint8_t { Service, Container, Object };

// level_letter returns 's', 'c' or 'o'.
char level_letter(Level l);

// Operation is one row of the table.
struct Operation {
  std::string_view name;  // e.g. "GetBlob", for logs and `sas verify`
  Level level = Level::Object;
  // account_perms: any one of these `sp` letters authorises the operation under an account
  // SAS; "*" means any permission at all (Get Account Information).
  std::string_view account_perms;
  // service_perms: the same for a service SAS; empty means a service SAS can never perform it
  // (403 AuthorizationPermissionMismatch, as Azurite answers).
  std::string_view service_perms;
  // sas_forbidden: no SAS may perform it (container ACLs, batch, user delegation keys):
  // 403 AuthorizationFailure.
  bool sas_forbidden = false;
};

// RequestShape is what classification looks at.
struct RequestShape {
  std::string_view method;
  Level level = Level::Object;
  std::string_view comp;          // decoded `comp` value, "" when absent
  std::string_view restype;       // decoded `restype` value, "" when absent
  bool has_copy_source = false;   // x-ms-copy-source header
  std::string_view lease_action;  // x-ms-lease-action header value
  bool has_version_id = false;    // `versionid` query parameter
  bool permanent_delete = false;  // `deletetype=permanent`
};

// classify returns the operation for `r`, or nullptr when the shape is not one the gateway
// knows.
const Operation* classify(const RequestShape& r);

// permits returns true if `sp` holds one of the letters in `letters` ("*": any letter).
bool permits(std::string_view sp, std::string_view letters);

// check_account_permissions validates an account SAS `sp`: non-empty, letters from
// "rwdxylacuptfi", none repeated, any order. On failure `why` says what is wrong.
bool check_account_permissions(std::string_view sp, std::string& why);

// check_service_permissions validates a service SAS (or stored policy) `sp`: letters from
// "racwdxltmeop" plus "y", "f", "i", none repeated; the letters of "racwdxltmeop" must appear in
// that relative order, "y", "f" and "i" anywhere (SAS-SPEC §5, gateway rule). Empty is valid
// here (a stored policy may supply it).
bool check_service_permissions(std::string_view sp, std::string& why);

}  // namespace intransit::policy::sas
