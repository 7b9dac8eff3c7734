#include "tls/errors.h"

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace intransit::tls {
namespace {

FailureInfo classify_reason(int lib, int reason) {
  ERR_clear_error();
  ERR_put_error(lib, 0, reason, __FILE__, __LINE__);
  FailureInfo f = classify_error(ERR_peek_error());
  ERR_clear_error();
  return f;
}

TEST_CASE("tls: BoringSSL reasons map to stable labels", "[tls][errors]") {
  auto [reason, want] = GENERATE(table<int, std::string_view>({
      {SSL_R_HTTP_REQUEST, "plain_http"},
      {SSL_R_HTTPS_PROXY_REQUEST, "plain_http"},
      {SSL_R_UNSUPPORTED_PROTOCOL, "unsupported_protocol"},
      {SSL_R_NO_SHARED_CIPHER, "no_shared_cipher"},
      {SSL_R_NO_SHARED_GROUP, "no_shared_group"},
      {SSL_R_NO_COMMON_SIGNATURE_ALGORITHMS, "no_common_sigalg"},
      {SSL_R_NO_APPLICATION_PROTOCOL, "no_application_protocol"},
      {SSL_R_INAPPROPRIATE_FALLBACK, "inappropriate_fallback"},
      {SSL_R_NO_RENEGOTIATION, "renegotiation"},
      {SSL_R_WRONG_VERSION_NUMBER, "bad_record"},
      {SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, "bad_record"},
      {SSL_R_DECODE_ERROR, "bad_handshake"},
      {SSL_R_TLSV1_ALERT_UNKNOWN_CA, "peer_alert_unknown_ca"},
      {SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, "peer_alert_bad_certificate"},
      {SSL_R_TLSV1_ALERT_USER_CANCELLED, "peer_alert_user_canceled"},
      {SSL_AD_REASON_OFFSET + 200, "peer_alert_other"},
      {SSL_R_OUTPUT_ALIASES_INPUT, "other"},
  }));
  const FailureInfo f = classify_reason(ERR_LIB_SSL, reason);
  CHECK(label(f) == want);
  CHECK_FALSE(f.detail.empty());
}

TEST_CASE("tls: errors outside the SSL library are other", "[tls][errors]") {
  CHECK(label(classify_reason(ERR_LIB_EVP, 1)) == "other");
  CHECK(label(classify_error(0)) == "other");
}

TEST_CASE("tls: alert names follow RFC 8446", "[tls][errors]") {
  CHECK(alert_name(SSL_AD_UNRECOGNIZED_NAME) == "unrecognized_name");
  CHECK(alert_name(SSL_AD_NO_APPLICATION_PROTOCOL) == "no_application_protocol");
  CHECK(alert_name(SSL_AD_PROTOCOL_VERSION) == "protocol_version");
  CHECK(alert_name(250) == "other");
  FailureInfo f{Failure::PeerAlert, SSL_AD_CERTIFICATE_EXPIRED, {}};
  CHECK(label(f) == "peer_alert_certificate_expired");
}

}  // namespace
}  // namespace intransit::tls
