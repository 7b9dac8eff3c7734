#include "tls/ocsp.h"

#include <catch2/catch.hpp>

#include "ticket_support.h"

namespace intransit::tls {
namespace {

using test::CaChain;
using test::Client;
using test::OcspOptions;
using test::TempDir;

// --- the DER reader ----------------------------------------------------------------------

TEST_CASE("tls: OCSP responses: status, times, CertID matching", "[tls][ocsp]") {
  CaChain chain = test::make_ca_chain({"example.com"});
  const int64_t now = test::now_unix();

  SECTION("good, SHA-1 CertID, with the issuer") {
    const std::string der = test::make_ocsp(chain.leaf.get(), chain.ca.get(),
                                            {.this_update = now - 60, .next_update = now + 3600});
    auto info = parse_ocsp_response(as_bytes(der), chain.leaf.get(), chain.ca.get());
    REQUIRE(info);
    CHECK(info->status == OcspCertStatus::Good);
    CHECK(info->this_update_unix == now - 60);
    CHECK(info->next_update_unix == now + 3600);
  }
  SECTION("SHA-256 CertID, issuer not known (leaf-only chain)") {
    const std::string der = test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.sha256 = true});
    auto info = parse_ocsp_response(as_bytes(der), chain.leaf.get(), nullptr);
    REQUIRE(info);
    CHECK(info->status == OcspCertStatus::Good);
  }
  SECTION("revoked and unknown") {
    auto st = GENERATE(OcspCertStatus::Revoked, OcspCertStatus::Unknown);
    const std::string der = test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.status = st});
    auto info = parse_ocsp_response(as_bytes(der), chain.leaf.get(), chain.ca.get());
    REQUIRE(info);
    CHECK(info->status == st);
  }
  SECTION("no nextUpdate") {
    const std::string der =
        test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.next_update = std::nullopt});
    auto info = parse_ocsp_response(as_bytes(der), chain.leaf.get(), chain.ca.get());
    REQUIRE(info);
    CHECK(info->next_update_unix == 0);
  }
}

TEST_CASE("tls: OCSP responses that must not be stapled are refused", "[tls][ocsp]") {
  CaChain chain = test::make_ca_chain({"example.com"});
  CaChain other = test::make_ca_chain({"example.com"}, 1);
  auto refused = [&](const std::string& der, X509* issuer) {
    auto r = parse_ocsp_response(as_bytes(der), chain.leaf.get(), issuer);
    REQUIRE_FALSE(r);
    return r.error();
  };
  SECTION("responseStatus tryLater") {
    const Error e = refused(
        test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.response_status = 3}), chain.ca.get());
    CHECK(e.label == "status");
    CHECK(e.detail == "responseStatus is tryLater (3), not successful");
  }
  SECTION("another serial number") {
    const Error e = refused(
        test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.wrong_serial = true}), chain.ca.get());
    CHECK(e.label == "other_certificate");
  }
  SECTION("another issuer's key") {
    // Same names, same serial, but the CA key differs.
    const Error e = refused(test::make_ocsp(chain.leaf.get(), other.ca.get()), chain.ca.get());
    CHECK(e.label == "other_certificate");
    CHECK_THAT(e.detail, Catch::Contains("another issuer"));
  }
  SECTION("another issuer's name") {
    const Error e = refused(
        test::make_ocsp(chain.leaf.get(), chain.ca.get(), {.name_hash_of = chain.leaf.get()}),
        chain.ca.get());
    CHECK(e.label == "other_certificate");
  }
  SECTION("PEM instead of DER") {
    const Error e = refused("-----BEGIN OCSP RESPONSE-----\nMAA=\n", chain.ca.get());
    CHECK(e.label == "pem");
  }
  SECTION("garbage, truncation, trailing bytes") {
    const std::string good = test::make_ocsp(chain.leaf.get(), chain.ca.get());
    auto bad = GENERATE_COPY(std::string(), std::string("\x30\x03\x0a\x01\x00", 5),
                             good.substr(0, good.size() - 1), good + std::string(1, '\0'),
                             std::string("hello world"));
    const Error e = refused(bad, chain.ca.get());
    CHECK(e.label == "malformed");
    CHECK_THAT(e.detail, Catch::StartsWith("not a valid DER OCSPResponse"));
  }
  SECTION("every truncation of a good response is refused, never crashes") {
    const std::string good = test::make_ocsp(chain.leaf.get(), chain.ca.get());
    for (size_t n = 0; n < good.size(); ++n) {
      CHECK_FALSE(parse_ocsp_response(as_bytes(good.substr(0, n)), chain.leaf.get(), nullptr));
    }
  }
}

// --- stapling through the context ----------------------------------------------------------

int64_t g_clock = 0;
int64_t fake_clock() {
  return g_clock;
}

// Stapled is a listener with one CA-issued certificate whose staple the test writes.
struct Stapled {
  TempDir dir;
  CaChain chain = test::make_ca_chain({"example.com"});
  policy::TlsPolicy tls;
  ContextOptions opts;

  Stapled() {
    tls.certificates = {
        test::write_pair(dir, "leaf", chain.chain_pem, test::pem(chain.leaf_key), 0600, 10)};
    g_clock = test::now_unix();
    opts.clock = fake_clock;
  }
  policy::CertificateSpec& spec() { return tls.certificates[0]; }

  // named points ocsp_staple at `file` (written with `der` unless der is empty).
  void named(const std::string& der, const std::string& file = "staple.der") {
    spec().ocsp = policy::OcspStaple::File;
    spec().ocsp_file = der.empty() ? dir.file(file) : dir.write(file, der, 0644);
    spec().ocsp_mark = {"policy.yaml", 12, 24};
  }
  // beside writes `der` as "<cert>.ocsp" (the implicit staple).
  void beside(const std::string& der) { dir.write("leaf.crt.ocsp", der, 0644); }

  ServerContextPtr build(policy::ConfigErrors* errors = nullptr) {
    ServerContextPtr ctx;
    policy::ConfigErrors e = test::build_or_errors(tls, &ctx, opts);
    if (errors) *errors = e;
    if (!e.empty() && !errors) FAIL("build failed: " << policy::format(e.front()));
    return ctx;
  }
};

struct Seen {
  std::string staple;    // what the client received ("" for none)
  bool stapled = false;  // Session's view
  bool resumed = false;
  bssl::UniquePtr<SSL_SESSION> session;
};

Seen handshake(const ServerContextPtr& ctx, uint16_t version, bool ask,
               SSL_SESSION* ticket = nullptr) {
  Session s(ctx);
  Client c(
      {.min_version = version, .max_version = version, .sni = "example.com", .session = ticket});
  if (ask) SSL_enable_ocsp_stapling(c.ssl());
  REQUIRE(test::pump(c, s) == State::Open);
  c.read();
  Seen seen;
  const uint8_t* data = nullptr;
  size_t len = 0;
  SSL_get0_ocsp_response(c.ssl(), &data, &len);
  seen.staple.assign(reinterpret_cast<const char*>(data), len);
  seen.stapled = s.info().ocsp_stapled;
  seen.resumed = s.info().resumed;
  seen.session = test::up_ref(c.session());
  return seen;
}

TEST_CASE("tls: the OCSP staple goes to clients that ask for it, and only to them", "[tls][ocsp]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO((version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2"));
  Stapled st;
  const std::string der = test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get());
  SECTION("ocsp_staple: FILE") {
    st.named(der);
  }
  SECTION("<cert>.ocsp next to the certificate") {
    st.beside(der);
  }
  ServerContextPtr ctx = st.build();
  REQUIRE(ctx->certificates()[0].ocsp_response != nullptr);
  CHECK(ctx->warnings().empty());

  Seen asked = handshake(ctx, version, true);
  CHECK(asked.staple == der);
  CHECK(asked.stapled);

  Seen silent = handshake(ctx, version, false);
  CHECK(silent.staple.empty());
  CHECK_FALSE(silent.stapled);

  // A resumption sends no certificate, hence no staple.
  REQUIRE(asked.session);
  Seen resumed = handshake(ctx, version, true, asked.session.get());
  CHECK(resumed.resumed);
  CHECK_FALSE(resumed.stapled);
}

TEST_CASE("tls: no staple without a file; ocsp_staple: false ignores <cert>.ocsp", "[tls][ocsp]") {
  Stapled st;
  SECTION("no file") {}
  SECTION("false") {
    st.beside(test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get()));
    st.spec().ocsp = policy::OcspStaple::Off;
  }
  ServerContextPtr ctx = st.build();
  CHECK(ctx->certificates()[0].ocsp_response == nullptr);
  CHECK(ctx->warnings().empty());
  CHECK(handshake(ctx, TLS1_3_VERSION, true).staple.empty());
}

TEST_CASE("tls: malformed or foreign staples are refused at load", "[tls][ocsp]") {
  Stapled st;
  const std::string bad = GENERATE(std::string("not DER at all"),
                                   std::string("\x30\x03\x0a\x01\x01", 5) /* malformedRequest */);
  SECTION("named: error at the ocsp_staple mark") {
    st.named(bad);
    policy::ConfigErrors errors;
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    INFO(policy::format(errors[0]));
    CHECK(errors[0].mark.line == 12);
    CHECK(errors[0].mark.col == 24);
    CHECK(errors[0].path == "tls.certificates[0].ocsp_staple");
    CHECK_THAT(errors[0].message, Catch::StartsWith("OCSP staple \"" + st.dir.file("staple.der")));
  }
  SECTION("implicit: error at the cert mark") {
    st.beside(bad);
    policy::ConfigErrors errors;
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    INFO(policy::format(errors[0]));
    CHECK(errors[0].mark.line == 10);
    CHECK(errors[0].path == "tls.certificates[0].cert_file");
    CHECK_THAT(errors[0].message, Catch::Contains("leaf.crt.ocsp"));
  }
}

TEST_CASE("tls: staple file problems", "[tls][ocsp]") {
  Stapled st;
  policy::ConfigErrors errors;
  SECTION("a named file that does not exist") {
    st.named("", "absent.der");
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message, Catch::Contains("cannot read OCSP staple"));
  }
  SECTION("a staple for another certificate") {
    CaChain other = test::make_ca_chain({"example.com"}, 2);
    st.named(test::make_ocsp(other.leaf.get(), other.ca.get(), {.wrong_serial = true}));
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message, Catch::Contains("not about this certificate"));
  }
  SECTION("too large") {
    st.named(std::string(70'000, '\x30'));
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message, Catch::Contains("at most 65535"));
  }
  SECTION("with self_signed") {
    policy::CertificateSpec ss;
    ss.self_signed = true;
    ss.ocsp = policy::OcspStaple::File;
    ss.ocsp_file = st.dir.file("x.der");
    ss.ocsp_mark = {"policy.yaml", 30, 20};
    st.tls.certificates = {ss};
    st.opts.state_dir = st.dir.path();
    st.build(&errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].mark.line == 30);
    CHECK_THAT(errors[0].message, Catch::Contains("cannot be used with 'self_signed'"));
  }
}

TEST_CASE("tls: stale staples are not sent: expired at load, expiring later, unknown status",
          "[tls][ocsp]") {
  Stapled st;
  const int64_t now = test::now_unix();
  SECTION("nextUpdate passed at load: warning, not stapled") {
    st.named(test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get(),
                             {.this_update = now - 7200, .next_update = now - 60}));
    ServerContextPtr ctx = st.build();
    REQUIRE(ctx->warnings().size() == 1);
    CHECK_THAT(ctx->warnings()[0].message, Catch::Contains("expired at"));
    CHECK(ctx->warnings()[0].mark.line == 12);
    CHECK(ctx->certificates()[0].ocsp_response == nullptr);
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple.empty());
  }
  SECTION("status unknown: warning, not stapled") {
    st.named(test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get(),
                             {.status = OcspCertStatus::Unknown}));
    ServerContextPtr ctx = st.build();
    REQUIRE(ctx->warnings().size() == 1);
    CHECK_THAT(ctx->warnings()[0].message, Catch::Contains("status unknown"));
    CHECK(handshake(ctx, TLS1_2_VERSION, true).staple.empty());
  }
  SECTION("revoked: warning, stapled (clients must learn it)") {
    const std::string der = test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get(),
                                            {.status = OcspCertStatus::Revoked});
    st.named(der);
    ServerContextPtr ctx = st.build();
    REQUIRE(ctx->warnings().size() == 1);
    CHECK_THAT(ctx->warnings()[0].message, Catch::Contains("REVOKED"));
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple == der);
  }
  SECTION("valid at load, stale later: stops being stapled at nextUpdate") {
    const std::string der = test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get(),
                                            {.this_update = now - 60, .next_update = now + 600});
    st.named(der);
    ServerContextPtr ctx = st.build();
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple == der);
    g_clock = now + 599;
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple == der);
    g_clock = now + 600;
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple.empty());
    CHECK(handshake(ctx, TLS1_2_VERSION, true).staple.empty());
  }
  SECTION("thisUpdate ahead of our clock: stapled once it is reached (5 min skew allowed)") {
    const std::string der =
        test::make_ocsp(st.chain.leaf.get(), st.chain.ca.get(), {.this_update = now + 3600});
    st.named(der);
    ServerContextPtr ctx = st.build();
    REQUIRE(ctx->warnings().size() == 1);
    CHECK_THAT(ctx->warnings()[0].message, Catch::Contains("not valid before"));
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple.empty());
    g_clock = now + 3600 - 300;
    CHECK(handshake(ctx, TLS1_3_VERSION, true).staple == der);
  }
}

}  // namespace
}  // namespace intransit::tls
