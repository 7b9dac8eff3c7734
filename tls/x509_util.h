// Small X.509 / PEM helpers shared by cert_store.cc and self_signed.cc. Internal to tls/.
// Every function clears the BoringSSL error queue before it returns.
#pragma once

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pool.h>
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/result.h"

namespace intransit::tls {

// asn1_time_to_unix converts an X.509 UTCTime/GeneralizedTime to seconds since the epoch.
// It returns nullopt for a malformed time.
std::optional<int64_t> asn1_time_to_unix(const ASN1_TIME* t);

// read_pem_certificates returns the DER of every CERTIFICATE block in `pem`, in order, as
// CRYPTO_BUFFERs. Other PEM blocks (e.g. a private key in a combined file) are skipped. It
// fails with a reason when there is no certificate or a block is malformed.
Result<std::vector<bssl::UniquePtr<CRYPTO_BUFFER>>> read_pem_certificates(std::string_view pem);

// read_pem_private_key returns the first private key in `pem` (PKCS#8, or traditional RSA /
// EC). It never prompts for a passphrase: an encrypted key fails with label "encrypted".
Result<bssl::UniquePtr<EVP_PKEY>> read_pem_private_key(std::string_view pem);

// dns_names returns the leaf's subjectAltName dNSName entries, or its subject commonName when
// it has no dNSName entry (RFC 6125 §6.4.4). Values are returned as they are in the
// certificate; callers normalize.
std::vector<std::string> dns_names(X509* leaf);

// subject_line returns the subject as a one-line string ("/CN=example.com/O=...").
std::string subject_line(X509* x);

}  // namespace intransit::tls
