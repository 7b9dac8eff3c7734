#include "tls/session.h"

#include <catch2/catch.hpp>

#include "tls_support.h"

namespace intransit::tls {
namespace {

using test::Client;
using test::ClientOptions;
using test::KeyKind;
using test::TempDir;

// Fixture: one context with an ECDSA and an RSA certificate for example.com (the default
// pair), plus a.example.net (ECDSA), b.example.net (RSA) and *.wild.example.org (ECDSA).
struct Gateway {
  TempDir dir;
  policy::TlsPolicy tls;
  ServerContextPtr ctx;

  explicit Gateway(policy::UnknownSni unknown = policy::UnknownSni::DefaultCertificate,
                   bool offer_h2 = false) {
    tls.certificates = {
        test::cert_spec(dir, "ec", KeyKind::P256, {"example.com", "www.example.com"}, 0),
        test::cert_spec(dir, "rsa", KeyKind::Rsa2048, {"example.com", "www.example.com"}, 0),
        test::cert_spec(dir, "a", KeyKind::P384, {"a.example.net"}, 0),
        test::cert_spec(dir, "b", KeyKind::Rsa2048, {"b.example.net"}, 1),
        test::cert_spec(dir, "wild", KeyKind::P256, {"*.wild.example.org"}, 1),
    };
    tls.unknown_sni = unknown;
    ctx = test::build(tls, {}, offer_h2);
  }
};

// handshake runs a full handshake and requires it to succeed on both sides.
void handshake(Client& c, Session& s) {
  REQUIRE(test::pump(c, s) == State::Open);
  REQUIRE(c.done());
}

TEST_CASE("tls: TLS 1.3 handshake and data both ways", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  CHECK(s.state() == State::Handshaking);
  Client c({.sni = "example.com"});
  handshake(c, s);

  const HandshakeInfo& info = s.info();
  CHECK(info.version == "TLSv1.3");
  CHECK((info.cipher == "TLS_AES_128_GCM_SHA256" || info.cipher == "TLS_CHACHA20_POLY1305_SHA256"));
  CHECK(info.group == "X25519");
  CHECK_FALSE(info.resumed);
  CHECK(info.sni == "example.com");
  CHECK(info.alpn == Alpn::None);
  REQUIRE(info.certificate != nullptr);
  CHECK(info.certificate->key_type == KeyType::EcdsaP256);
  CHECK(c.peer_key_id() == EVP_PKEY_EC);

  c.write("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  s.feed(as_bytes(c.take_written()));
  CHECK(test::read_all(s) == "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");

  const std::string body = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  CHECK(s.write(as_bytes(body)) == body.size());
  c.deliver(test::drain(s));
  CHECK(c.read() == body);
  CHECK(s.state() == State::Open);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: TLS 1.2 works with each allowed suite", "[tls][session]") {
  auto [suite, standard] = GENERATE(table<std::string, std::string>({
      {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
      {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
      {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
  }));
  INFO(suite);
  Gateway gw;
  Session s(gw.ctx);
  Client c({.max_version = TLS1_2_VERSION, .ciphers = suite, .sni = "example.com"});
  handshake(c, s);
  CHECK(s.info().version == "TLSv1.2");
  CHECK(s.info().cipher == standard);
  CHECK(s.info().group == "X25519");
  const bool ecdsa = suite.find("ECDSA") != std::string::npos;
  CHECK(c.peer_key_id() == (ecdsa ? EVP_PKEY_EC : EVP_PKEY_RSA));

  c.write("ping");
  s.feed(as_bytes(c.take_written()));
  CHECK(test::read_all(s) == "ping");
  s.write(as_bytes(std::string_view("pong")));
  c.deliver(test::drain(s));
  CHECK(c.read() == "pong");
}

TEST_CASE("tls: legacy ClientHellos are refused with the expected label",
          "[tls][session][vectors]") {
  const test::Vector v = GENERATE(from_range(test::load_vectors("tls/legacy_client_hellos.txt")));
  INFO(v.file << ":" << v.line << " " << v.at("Name"));
  Gateway gw;
  Session s(gw.ctx);
  const Bytes hello = v.hex("Input");
  s.feed(hello);
  CHECK(s.advance() == State::Failed);
  CHECK(label(s.failure()) == v.at("Label"));
  INFO(s.failure().detail);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: the policy's version range is enforced", "[tls][session]") {
  SECTION("max_version 1.2 serves TLS 1.3 clients with TLS 1.2") {
    TempDir dir;
    policy::TlsPolicy tls;
    tls.max_version = policy::TlsVersion::Tls12;
    tls.certificates = {test::cert_spec(dir, "ec", KeyKind::P256, {"example.com"})};
    auto ctx = test::build(tls);
    Session s(ctx);
    Client c({.sni = "example.com"});
    handshake(c, s);
    CHECK(s.info().version == "TLSv1.2");
  }
  SECTION("min_version 1.3 refuses a TLS 1.2 client") {
    TempDir dir;
    policy::TlsPolicy tls;
    tls.min_version = policy::TlsVersion::Tls13;
    tls.certificates = {test::cert_spec(dir, "ec", KeyKind::P256, {"example.com"})};
    auto ctx = test::build(tls);
    Session s(ctx);
    Client c({.max_version = TLS1_2_VERSION, .sni = "example.com"});
    CHECK(test::pump(c, s) == State::Failed);
    CHECK(label(s.failure()) == "unsupported_protocol");
  }
}

TEST_CASE("tls: a HelloRetryRequest round trip completes", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  // The client's key share is for P-521, which we do not accept; X25519 is in its list.
  Client c({.min_version = TLS1_3_VERSION, .curves = "P-521:X25519", .sni = "example.com"});
  handshake(c, s);
  CHECK(s.info().group == "X25519");
  CHECK(c.peer_cn() == "example.com");
}

TEST_CASE("tls: a TLS 1.1 client is refused with unsupported_protocol", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.min_version = TLS1_VERSION, .max_version = TLS1_1_VERSION, .sni = "example.com"});
  CHECK(test::pump(c, s) == State::Failed);
  CHECK(s.failure().kind == Failure::UnsupportedProtocol);
  CHECK(label(s.failure()) == "unsupported_protocol");
  CHECK(s.failure_reason() == "unsupported_protocol");
  CHECK_THAT(s.failure().detail, Catch::Contains("UNSUPPORTED_PROTOCOL"));
  // The protocol_version alert went out.
  CHECK(c.error_reason() == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: a client with only RSA key exchange is refused with no_shared_cipher",
          "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.max_version = TLS1_2_VERSION, .ciphers = "AES128-GCM-SHA256", .sni = "example.com"});
  CHECK(test::pump(c, s) == State::Failed);
  CHECK(label(s.failure()) == "no_shared_cipher");
  CHECK(c.error_reason() == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
}

TEST_CASE("tls: a TLS 1.3 client without a common group is refused with no_shared_group",
          "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.min_version = TLS1_3_VERSION, .curves = "P-521", .sni = "example.com"});
  CHECK(test::pump(c, s) == State::Failed);
  CHECK(label(s.failure()) == "no_shared_group");
}

TEST_CASE("tls: SNI picks the certificate among several", "[tls][session][sni]") {
  auto [sni, cn] = GENERATE(table<std::string, std::string>({
      {"a.example.net", "a.example.net"},
      {"B.EXAMPLE.NET", "b.example.net"},
      {"x.wild.example.org", "*.wild.example.org"},
      {"www.example.com", "example.com"},
  }));
  INFO(sni);
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = sni});
  handshake(c, s);
  CHECK(c.peer_cn() == cn);
  CHECK(s.info().sni == sni);
  REQUIRE(s.info().certificate != nullptr);
  CHECK(s.info().certificate->names.front() == cn);
}

TEST_CASE("tls: ECDSA or RSA for one name by what the client can verify", "[tls][session][sni]") {
  Gateway gw;
  Session s(gw.ctx);
  SECTION("TLS 1.3, default signature algorithms: ECDSA") {
    Client c({.sni = "example.com"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_EC);
  }
  SECTION("TLS 1.3, RSA-PSS only: RSA") {
    Client c({.sigalgs = {SSL_SIGN_RSA_PSS_RSAE_SHA256}, .sni = "example.com"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_RSA);
    CHECK(s.info().certificate->key_type == KeyType::Rsa);
  }
  SECTION("TLS 1.3, ECDSA P-384 only: the P-384 certificate is not for this name, RSA neither") {
    // Only a P-256 ECDSA and an RSA certificate serve example.com: the handshake fails.
    Client c({.sigalgs = {SSL_SIGN_ECDSA_SECP384R1_SHA384}, .sni = "example.com"});
    CHECK(test::pump(c, s) == State::Failed);
    CHECK(label(s.failure()) == "no_common_sigalg");
  }
  SECTION("TLS 1.2, ECDHE-RSA suites only: RSA") {
    Client c({.max_version = TLS1_2_VERSION,
              .ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
              .sni = "example.com"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_RSA);
  }
  SECTION("TLS 1.2, ECDHE-ECDSA offered: ECDSA") {
    Client c({.max_version = TLS1_2_VERSION,
              .ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
              .sni = "example.com"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_EC);
    CHECK(s.info().cipher == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  }
  SECTION("TLS 1.2, ECDSA suites but RSA signatures only: RSA") {
    Client c({.max_version = TLS1_2_VERSION,
              .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
              .sigalgs = {SSL_SIGN_RSA_PKCS1_SHA256},
              .sni = "example.com"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_RSA);
  }
  SECTION("TLS 1.2 without SNI gets the default pair, by capability") {
    Client c({.max_version = TLS1_2_VERSION, .ciphers = "ECDHE-RSA-AES256-GCM-SHA384"});
    handshake(c, s);
    CHECK(c.peer_key_id() == EVP_PKEY_RSA);
    CHECK(c.peer_cn() == "example.com");
  }
}

TEST_CASE("tls: an unknown server name gets the default certificate or is rejected",
          "[tls][session][sni]") {
  SECTION("unknown_sni: default_certificate") {
    Gateway gw(policy::UnknownSni::DefaultCertificate);
    Session s(gw.ctx);
    Client c({.sni = "unknown.example.io"});
    handshake(c, s);
    CHECK(c.peer_cn() == "example.com");
    CHECK(s.info().sni == "unknown.example.io");
  }
  SECTION("unknown_sni: reject") {
    Gateway gw(policy::UnknownSni::Reject);
    SECTION("an unknown name") {
      Session s(gw.ctx);
      Client c({.sni = "unknown.example.io"});
      CHECK(test::pump(c, s) == State::Failed);
      CHECK(s.failure().kind == Failure::UnknownSni);
      CHECK(label(s.failure()) == "unknown_sni");
      CHECK(c.error_reason() == SSL_R_TLSV1_ALERT_UNRECOGNIZED_NAME);
    }
    SECTION("no name at all") {
      Session s(gw.ctx);
      Client c;
      CHECK(test::pump(c, s) == State::Failed);
      CHECK(label(s.failure()) == "unknown_sni");
      CHECK(c.error_reason() == SSL_R_TLSV1_ALERT_UNRECOGNIZED_NAME);
    }
    SECTION("a known name still works") {
      Session s(gw.ctx);
      Client c({.sni = "a.example.net"});
      handshake(c, s);
      CHECK(c.peer_cn() == "a.example.net");
    }
  }
}

TEST_CASE("tls: plain HTTP on the TLS port fails with plain_http and no alert", "[tls][session]") {
  const std::string request =
      GENERATE(as<std::string>{}, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
               "DELETE /x HTTP/1.1\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
               "OPTIONS * HTTP/1.1\r\n\r\n");
  Gateway gw;
  Session s(gw.ctx);
  SECTION("all at once") {
    s.feed(as_bytes(request));
  }
  SECTION("one byte at a time") {
    for (size_t i = 0; i < request.size(); ++i) {
      s.feed(as_bytes(std::string_view(request).substr(i, 1)));
      if (s.advance() == State::Failed) {
        // Decided as soon as the method and its space arrived.
        CHECK(request[i] == ' ');
        s.feed(as_bytes(std::string_view(request).substr(i + 1)));
        break;
      }
    }
  }
  CHECK(s.advance() == State::Failed);
  CHECK(label(s.failure()) == "plain_http");
  CHECK(s.output().empty());  // no TLS alert: the glue answers in plaintext
  // The request is left for the glue, from its first byte.
  std::string pending(s.pending_input().size(), '\0');
  s.pending_input().copy_out(
      std::span<uint8_t>(reinterpret_cast<uint8_t*>(pending.data()), pending.size()));
  CHECK(pending == request);
}

TEST_CASE("tls: non-TLS garbage fails with bad_record", "[tls][session]") {
  const std::string junk =
      GENERATE(as<std::string>{}, "SSH-2.0-OpenSSH_9.2\r\n",
               std::string("\x00\x01\x02\x03\x04\x05\x06\x07", 8), "get / http/1.1\r\n\r\n",
               std::string("\x16\x03\x01\xff\xff", 5) + std::string(20, 'x'));
  Gateway gw;
  Session s(gw.ctx);
  s.feed(as_bytes(junk));
  CHECK(s.advance() == State::Failed);
  CHECK((label(s.failure()) == "bad_record" || label(s.failure()) == "bad_handshake"));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: EOF during the handshake fails with eof", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  SECTION("before any byte") {
    s.feed_eof();
    CHECK(s.advance() == State::Failed);
  }
  SECTION("after part of the ClientHello") {
    Client c({.sni = "example.com"});
    c.step();
    const std::string hello = c.take_written();
    s.feed(as_bytes(std::string_view(hello).substr(0, hello.size() / 2)));
    CHECK(s.advance() == State::Handshaking);
    s.feed_eof();
    CHECK(s.advance() == State::Failed);
  }
  CHECK(label(s.failure()) == "eof");
}

TEST_CASE("tls: a client alert names the failure", "[tls][session]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_2_VERSION}, uint16_t{TLS1_3_VERSION});
  Gateway gw;
  Session s(gw.ctx);
  // The client refuses our certificate, as a browser does with a self-signed one.
  Client c({.max_version = version, .sni = "example.com", .reject_certificate = SSL_AD_UNKNOWN_CA});
  CHECK(test::pump(c, s) == State::Failed);
  CHECK(s.failure().kind == Failure::PeerAlert);
  CHECK(s.failure().peer_alert == SSL_AD_UNKNOWN_CA);
  CHECK(label(s.failure()) == "peer_alert_unknown_ca");
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: close_notify and truncation", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = "example.com"});
  handshake(c, s);

  SECTION("the client sends close_notify") {
    c.write("last request");
    ERR_clear_error();
    SSL_shutdown(c.ssl());
    ERR_clear_error();
    s.feed(as_bytes(c.take_written()));
    CHECK(test::read_all(s) == "last request");
    CHECK(s.state() == State::Closed);
    CHECK(s.peer_close() == PeerClose::CloseNotify);
    // The response can still be finished, then our close_notify follows.
    CHECK(s.write(as_bytes(std::string_view("last response"))) == 13);
    s.close_notify();
    CHECK(s.sent_close_notify());
    CHECK(s.write(as_bytes(std::string_view("more"))) == 0);
    c.deliver(test::drain(s));
    int status = 0;
    CHECK(c.read(&status) == "last response");
    CHECK(status == SSL_ERROR_ZERO_RETURN);
  }
  SECTION("read() reports the state with the bytes") {
    c.write("abc");
    ERR_clear_error();
    SSL_shutdown(c.ssl());
    ERR_clear_error();
    s.feed(as_bytes(c.take_written()));
    uint8_t buf[2];
    ReadResult r = s.read(buf);
    CHECK(r.bytes == 2);
    CHECK(r.status == State::Open);
    r = s.read(buf);
    CHECK(r.bytes == 1);
    r = s.read(buf);
    CHECK(r.bytes == 0);
    CHECK(r.status == State::Closed);
  }
  SECTION("TCP EOF without close_notify is a truncation") {
    c.write("partial");
    s.feed(as_bytes(c.take_written()));
    s.feed_eof();
    CHECK(test::read_all(s) == "partial");
    CHECK(s.state() == State::Closed);
    CHECK(s.peer_close() == PeerClose::Truncated);
  }
  SECTION("we close first") {
    s.close_notify();
    s.close_notify();  // idempotent
    c.deliver(test::drain(s));
    int status = 0;
    CHECK(c.read(&status).empty());
    CHECK(status == SSL_ERROR_ZERO_RETURN);
    // The client may still send; we still read.
    c.write("late");
    s.feed(as_bytes(c.take_written()));
    CHECK(test::read_all(s) == "late");
    CHECK(s.state() == State::Open);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: a client KeyUpdate is answered with our next write", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = "example.com"});
  handshake(c, s);
  ERR_clear_error();
  REQUIRE(SSL_key_update(c.ssl(), SSL_KEY_UPDATE_REQUESTED) == 1);
  c.write("after update");
  s.feed(as_bytes(c.take_written()));
  CHECK(test::read_all(s) == "after update");
  // BoringSSL sends its KeyUpdate ahead of the next application data.
  REQUIRE(s.output().empty());
  s.write(as_bytes(std::string_view("reply")));
  const size_t first = s.output().size();
  s.write(as_bytes(std::string_view("reply")));
  const size_t second = s.output().size() - first;
  CHECK(first > second);  // the first carried the KeyUpdate too
  c.deliver(test::drain(s));
  CHECK(c.read() == "replyreply");
  CHECK(s.state() == State::Open);
}

TEST_CASE("tls: a corrupted record after the handshake fails with bad_record", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = "example.com"});
  handshake(c, s);
  c.write("hello");
  std::string record = c.take_written();
  record.back() ^= 0x01;  // flip a tag bit
  s.feed(as_bytes(record));
  CHECK(test::read_all(s).empty());
  CHECK(s.state() == State::Failed);
  CHECK(label(s.failure()) == "bad_record");
  CHECK_FALSE(s.output().empty());  // bad_record_mac alert
  CHECK(s.write(as_bytes(std::string_view("x"))) == 0);
}

TEST_CASE("tls: ALPN", "[tls][session][alpn]") {
  SECTION("http/1.1 is selected from a browser-like offer") {
    Gateway gw;
    Session s(gw.ctx);
    Client c({.sni = "example.com", .alpn = {"h2", "http/1.1"}});
    handshake(c, s);
    CHECK(s.info().alpn == Alpn::Http11);
    const uint8_t* p = nullptr;
    unsigned n = 0;
    SSL_get0_alpn_selected(c.ssl(), &p, &n);
    CHECK(std::string(reinterpret_cast<const char*>(p), n) == "http/1.1");
  }
  SECTION("h2 first when enabled") {
    Gateway gw(policy::UnknownSni::DefaultCertificate, /*offer_h2=*/true);
    Session s(gw.ctx);
    Client c({.sni = "example.com", .alpn = {"http/1.1", "h2"}});
    handshake(c, s);
    CHECK(s.info().alpn == Alpn::H2);
  }
  SECTION("http/1.0 is served") {
    Gateway gw;
    Session s(gw.ctx);
    Client c({.sni = "example.com", .alpn = {"http/1.0"}});
    handshake(c, s);
    CHECK(s.info().alpn == Alpn::Http10);
  }
  SECTION("no ALPN at all is fine") {
    Gateway gw;
    Session s(gw.ctx);
    Client c({.sni = "example.com"});
    handshake(c, s);
    CHECK(s.info().alpn == Alpn::None);
  }
  SECTION("only unknown protocols: no_application_protocol") {
    Gateway gw;
    Session s(gw.ctx);
    Client c({.sni = "example.com", .alpn = {"h2", "spdy/3"}});
    CHECK(test::pump(c, s) == State::Failed);
    CHECK(label(s.failure()) == "no_application_protocol");
    CHECK(c.error_reason() == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL);
  }
}

TEST_CASE("tls: TLS 1.3 resumption with a ticket; lifetime at most a day", "[tls][session]") {
  Gateway gw;
  bssl::UniquePtr<SSL_SESSION> ticket;
  {
    Session s(gw.ctx);
    Client c({.sni = "example.com"});
    handshake(c, s);
    // The NewSessionTicket is processed by the client's next read.
    c.read();
    REQUIRE(c.session() != nullptr);
    // The client takes the ticket_lifetime of the NewSessionTicket as the session timeout.
    // (It rebases the timeout on its own clock, so a second may tick in between.)
    CHECK(SSL_SESSION_get_timeout(c.session()) <= 24 * 3600);
    CHECK(SSL_SESSION_get_timeout(c.session()) >= 24 * 3600 - 2);
    SSL_SESSION_up_ref(c.session());
    ticket.reset(c.session());
  }
  Session s(gw.ctx);
  Client c({.sni = "example.com", .session = ticket.get()});
  handshake(c, s);
  CHECK(s.info().resumed);
  CHECK(SSL_session_reused(c.ssl()) == 1);
}

TEST_CASE("tls: TLS 1.2 resumes with a ticket although the session cache is off",
          "[tls][session]") {
  Gateway gw;
  bssl::UniquePtr<SSL_SESSION> ticket;
  {
    Session s(gw.ctx);
    Client c({.max_version = TLS1_2_VERSION, .sni = "example.com"});
    handshake(c, s);
    REQUIRE(c.session() != nullptr);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(c.session()) <= 24 * 3600);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(c.session()) > 0);
    SSL_SESSION_up_ref(c.session());
    ticket.reset(c.session());
  }
  Session s(gw.ctx);
  Client c({.max_version = TLS1_2_VERSION, .sni = "example.com", .session = ticket.get()});
  handshake(c, s);
  CHECK(s.info().resumed);
  CHECK(s.info().version == "TLSv1.2");
}

TEST_CASE("tls: the handshake is split-invariant (one byte at a time)", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = "www.example.com"});
  for (int round = 0; round < 16 && !(c.done() && s.state() == State::Open); ++round) {
    c.step();
    const std::string in = c.take_written();
    for (char ch : in) {
      s.feed(as_bytes(std::string_view(&ch, 1)));
      REQUIRE(s.advance() != State::Failed);
    }
    c.deliver(test::drain(s));
  }
  CHECK(s.state() == State::Open);
  CHECK(c.done());
}

TEST_CASE("tls: zero-copy input and large transfers", "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  Client c({.sni = "example.com"});
  handshake(c, s);

  // Client → server through input_space/commit_input.
  std::string big(200 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  c.write(big);
  const std::string wire = c.take_written();
  size_t off = 0;
  while (off < wire.size()) {
    std::span<uint8_t> space = s.input_space();
    const size_t n = std::min(space.size(), wire.size() - off);
    std::memcpy(space.data(), wire.data() + off, n);
    s.commit_input(n);
    off += n;
  }
  CHECK(test::read_all(s) == big);

  // Server → client: read_into with a cap, then the rest.
  CHECK(s.write(as_bytes(big)) == big.size());
  c.deliver(test::drain(s));
  CHECK(c.read() == big);

  c.write(big);
  s.feed(as_bytes(c.take_written()));
  ByteQueue q;
  CHECK(s.read_into(q, 1000).bytes == 1000);
  const ReadResult rest = s.read_into(q);
  CHECK(rest.bytes == big.size() - 1000);
  CHECK(rest.status == State::Open);
}

TEST_CASE("tls: nothing is written before the handshake; writes after failure are refused",
          "[tls][session]") {
  Gateway gw;
  Session s(gw.ctx);
  CHECK(s.write(as_bytes(std::string_view("early"))) == 0);
  uint8_t buf[16];
  CHECK(s.read(buf).bytes == 0);
  CHECK(s.read(buf).status == State::Handshaking);
  CHECK(s.state() == State::Handshaking);
  s.close_notify();  // during the handshake: nothing queued
  CHECK(s.output().empty());
}

TEST_CASE("tls: one connection's failure leaves no error behind for the next", "[tls][session]") {
  Gateway gw;
  {
    Session bad(gw.ctx);
    Client c({.max_version = TLS1_2_VERSION, .ciphers = "AES128-GCM-SHA256"});
    CHECK(test::pump(c, bad) == State::Failed);
    CHECK(ERR_peek_error() == 0);
  }
  // A stale error in the queue must not be taken as a later connection's cause.
  ERR_put_error(ERR_LIB_SSL, 0, SSL_R_NO_SHARED_CIPHER, __FILE__, __LINE__);
  Session good(gw.ctx);
  Client c({.sni = "example.com"});
  handshake(c, good);
  CHECK(good.failure().kind == Failure::None);
  CHECK(ERR_peek_error() == 0);
}

}  // namespace
}  // namespace intransit::tls
