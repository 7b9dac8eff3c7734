// `intransit sas`: mint and check Azure Storage shared access signatures from the command
// line (SAS-SPEC; policy/README.md, "sas").
//
//   intransit sas sign --account NAME --key-file FILE --permissions P --expiry T
//                      (--services bfqt --resource-types sco | --container C [--blob B] ...)
//   intransit sas verify --policy FILE --url URL --method M --client-ip IP [--now T]
//                        [--scheme https|http] [--listener NAME] [--header 'Name: value']...
//
// `sign` prints the token (query string without '?'). `verify` prints one line of JSON, the
// verdict the gateway would give, and exits 0 when allowed, 1 when refused, 2 on usage or
// policy errors.
#pragma once

namespace intransit::gateway {

// sas_main runs `intransit sas ...`; argv[0] is "sas". It returns the process exit code.
int sas_main(int argc, char** argv);

}  // namespace intransit::gateway
