#include "tls/ticket_keys.h"

#include <catch2/catch.hpp>

#include "ticket_support.h"

namespace intransit::tls {
namespace {

using Catch::Generators::table;
using test::Client;
using test::KeyKind;
using test::TempDir;

// --- the file format ---------------------------------------------------------------------

TEST_CASE("tls: ticket key files: base64 lines, comments, CRLF, and raw binary", "[tls][tickets]") {
  const std::string k1 = test::random_key();
  const std::string k2 = test::random_key();

  SECTION("text with comments, blank lines, spaces and CRLF") {
    const std::string text = "# current key first\r\n\r\n  " + test::base64(k1) + "  \r\n" +
                             "# previous key\n" + test::base64(k2);  // no final newline
    auto keys = TicketKeys::parse(text);
    REQUIRE(keys);
    REQUIRE((*keys)->size() == 2);
    CHECK(std::string(reinterpret_cast<const char*>((*keys)->name(0).data()), 16) ==
          test::key_name(k1));
    CHECK(std::string(reinterpret_cast<const char*>((*keys)->name(1).data()), 16) ==
          test::key_name(k2));
    CHECK((*keys)->name_fingerprint(0).size() == 8);
  }
  SECTION("raw binary, N x 80 bytes (nginx's format, concatenated)") {
    // Make sure the random bytes are not accidentally all printable.
    std::string a = k1;
    a[20] = '\x01';
    auto keys = TicketKeys::parse(a + k2);
    REQUIRE(keys);
    CHECK((*keys)->size() == 2);
    CHECK((*keys)->find((*keys)->name(1)) == 1);
  }
  SECTION("find by name") {
    auto keys = TicketKeys::parse(test::key_file_text({k1, k2}));
    REQUIRE(keys);
    CHECK((*keys)->find((*keys)->name(0)) == 0);
    CHECK((*keys)->find((*keys)->name(1)) == 1);
    uint8_t other[16] = {};
    CHECK((*keys)->find(std::span<const uint8_t, 16>(other, 16)) == -1);
  }
}

TEST_CASE("tls: bad ticket key files are refused with the reason", "[tls][tickets]") {
  const std::string k = test::random_key();
  std::string binary_k = k;
  binary_k[0] = '\x01';
  std::string many;
  for (size_t i = 0; i <= kMaxTicketKeys; ++i) many += test::base64(test::random_key()) + "\n";
  auto [contents, label, detail] = GENERATE_COPY(table<std::string, std::string, std::string>({
      {"", "empty", "no key"},
      {"# only a comment\n\n", "empty", "head -c 80 /dev/urandom | base64 -w0"},
      {"not-base64!!\n", "base64", "line 1: not base64"},
      {"# c\n" + test::base64(k) + "\n" + test::base64(k.substr(0, 48)) + "\n", "length",
       "line 3: key is 48 bytes; 80 are required (16-byte name, 32-byte HMAC-SHA256 key, 32-byte "
       "AES-256 key); 48-byte AES-128 keys are not accepted"},
      {test::base64(k.substr(0, 79)), "length", "line 1: key is 79 bytes"},
      {test::base64(k + "x"), "length", "line 1: key is 81 bytes"},
      {test::base64(k).substr(1), "base64", "line 1: not base64"},
      {binary_k + "\x02", "length", "binary key file is 81 bytes, not a multiple of 80"},
      {test::base64(k) + "\n" + test::base64(k) + "\n", "duplicate",
       "line 2: key name repeats the key on line 1"},
      {many, "too_many", "more than 64 keys (line 65)"},
  }));
  INFO("case: " << detail);
  auto keys = TicketKeys::parse(contents);
  REQUIRE_FALSE(keys);
  CHECK(keys.error().label == label);
  CHECK_THAT(keys.error().detail, Catch::Contains(detail));
  // The reason never quotes the key material.
  CHECK_THAT(keys.error().detail, !Catch::Contains(test::base64(k).substr(0, 12)));
}

// --- contexts built from a key file --------------------------------------------------------

// Replicas builds ServerContexts ("replicas", or one replica before and after a reload) from
// one certificate and a ticket key file in a temporary directory, rewritten between builds.
struct Replicas {
  TempDir dir;
  policy::TlsPolicy tls;

  Replicas() {
    tls.certificates = {
        test::cert_spec(dir, "ec", KeyKind::P256, {"example.com"}, 0),
        test::cert_spec(dir, "rsa", KeyKind::Rsa2048, {"example.com"}, 0),
    };
    tls.session_tickets.key_file = dir.file("tickets.key");
    tls.session_tickets.key_file_mark = {"policy.yaml", 21, 19};
  }

  // build writes `keys` (text form) as the key file and builds a context from it.
  ServerContextPtr build(const std::vector<std::string>& keys) {
    dir.write("tickets.key", test::key_file_text(keys), 0600);
    return test::build(tls);
  }
};

struct Outcome {
  bool resumed = false;
  int ticket_key = -1;
  std::string version;
  bssl::UniquePtr<SSL_SESSION> session;  // the newest session the client got (may be null)
};

// connect runs one handshake of a client offering `ticket` (may be null) against `ctx`.
Outcome connect(const ServerContextPtr& ctx, uint16_t version, SSL_SESSION* ticket) {
  Session s(ctx);
  Client c(
      {.min_version = version, .max_version = version, .sni = "example.com", .session = ticket});
  REQUIRE(test::pump(c, s) == State::Open);
  REQUIRE(c.done());
  c.read();  // TLS 1.3: NewSessionTicket arrives after the handshake
  Outcome o;
  o.resumed = s.info().resumed;
  o.ticket_key = s.info().ticket_key;
  o.version = std::string(s.info().version);
  CHECK(o.resumed == (SSL_session_reused(c.ssl()) == 1));
  o.session = test::up_ref(c.session());
  return o;
}

const char* version_name(uint16_t v) {
  return v == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

TEST_CASE("tls: a ticket issued by replica A resumes on replica B built from the same file",
          "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  const std::string k1 = test::random_key();
  const std::string k2 = test::random_key();
  ServerContextPtr a = r.build({k1, k2});
  ServerContextPtr b = r.build({k1, k2});
  REQUIRE(a->ticket_keys() != nullptr);
  CHECK(a->ticket_keys()->size() == 2);

  Outcome first = connect(a, version, nullptr);
  CHECK_FALSE(first.resumed);
  REQUIRE(first.session);
  CHECK(test::ticket_name(first.session.get()) == test::key_name(k1));  // first key encrypts

  Outcome on_b = connect(b, version, first.session.get());
  CHECK(on_b.resumed);
  CHECK(on_b.ticket_key == 0);
  CHECK(on_b.version == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"));

  // And back: B's tickets open on A.
  Outcome from_b = connect(b, version, nullptr);
  REQUIRE(from_b.session);
  CHECK(connect(a, version, from_b.session.get()).resumed);
}

TEST_CASE("tls: without a key file, another context means a full handshake", "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  r.tls.session_tickets.key_file.clear();
  ServerContextPtr a = test::build(r.tls);
  ServerContextPtr b = test::build(r.tls);
  CHECK(a->ticket_keys() == nullptr);
  Outcome first = connect(a, version, nullptr);
  REQUIRE(first.session);
  CHECK(connect(a, version, first.session.get()).resumed);  // same context: BoringSSL's key
  Outcome on_b = connect(b, version, first.session.get());
  CHECK_FALSE(on_b.resumed);
  CHECK(on_b.ticket_key == -1);
}

TEST_CASE(
    "tls: rotation: a ticket under the previous key resumes and is renewed under the new "
    "one",
    "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  const std::string k1 = test::random_key();
  const std::string k2 = test::random_key();
  ServerContextPtr before = r.build({k1});
  Outcome first = connect(before, version, nullptr);
  REQUIRE(first.session);
  REQUIRE(test::ticket_name(first.session.get()) == test::key_name(k1));

  // Rotate: the new key goes first, the old one stays to decrypt.
  ServerContextPtr after = r.build({k2, k1});
  Outcome rotated = connect(after, version, first.session.get());
  CHECK(rotated.resumed);
  CHECK(rotated.ticket_key == 1);
  REQUIRE(rotated.session);  // the renewed ticket
  CHECK(test::ticket_name(rotated.session.get()) == test::key_name(k2));

  // The renewed ticket outlives the old key: it resumes once k1 is retired.
  ServerContextPtr retired = r.build({k2});
  Outcome again = connect(retired, version, rotated.session.get());
  CHECK(again.resumed);
  CHECK(again.ticket_key == 0);
}

TEST_CASE("tls: a ticket under a retired key gets a full handshake and a fresh ticket",
          "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  const std::string k1 = test::random_key();
  const std::string k2 = test::random_key();
  Outcome first = connect(r.build({k1}), version, nullptr);
  REQUIRE(first.session);

  ServerContextPtr retired = r.build({k2});  // k1 removed from the file
  Outcome full = connect(retired, version, first.session.get());
  CHECK_FALSE(full.resumed);
  CHECK(full.ticket_key == -1);
  REQUIRE(full.session);
  CHECK(test::ticket_name(full.session.get()) == test::key_name(k2));
  CHECK(connect(retired, version, full.session.get()).resumed);
}

TEST_CASE("tls: tickets are bound to the names a listener serves", "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  const std::string k1 = test::random_key();
  ServerContextPtr ctx = r.build({k1});
  Outcome first = connect(ctx, version, nullptr);
  REQUIRE(first.session);

  SECTION("a renewed certificate (new key) for the same names still resumes") {
    r.tls.certificates = {
        test::cert_spec(r.dir, "ec2", KeyKind::P256, {"example.com"}, 7),
        test::cert_spec(r.dir, "rsa2", KeyKind::Rsa2048, {"example.com"}, 0),
    };
    CHECK(connect(r.build({k1}), version, first.session.get()).resumed);
  }
  SECTION("another listener sharing the key file but serving other names does not") {
    r.tls.certificates = {
        test::cert_spec(r.dir, "other", KeyKind::P256, {"example.com", "other.example"}, 0)};
    Outcome o = connect(r.build({k1}), version, first.session.get());
    CHECK_FALSE(o.resumed);
  }
}

TEST_CASE("tls: a forged ticket under a known key name is not resumed", "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  const std::string k1 = test::random_key();
  ServerContextPtr ctx = r.build({k1});
  Outcome first = connect(ctx, version, nullptr);
  REQUIRE(first.session);
  // Flip one bit of the ciphertext: the HMAC check must fail and the handshake go full.
  const uint8_t* t = nullptr;
  size_t len = 0;
  SSL_SESSION_get0_ticket(first.session.get(), &t, &len);
  REQUIRE(len > 48);
  std::vector<uint8_t> forged(t, t + len);
  forged[40] ^= 0x01;
  bssl::UniquePtr<SSL_SESSION> copy(SSL_SESSION_copy_without_early_data(first.session.get()));
  REQUIRE(copy);
  REQUIRE(SSL_SESSION_set_ticket(copy.get(), forged.data(), forged.size()));
  Outcome o = connect(ctx, version, copy.get());
  CHECK_FALSE(o.resumed);
}

TEST_CASE("tls: ticket lifetime: default 24 h / 2 h, lifetime_s sets both", "[tls][tickets]") {
  Replicas r;
  const std::string k1 = test::random_key();
  SECTION("defaults") {
    ServerContextPtr ctx = r.build({k1});
    CHECK(ctx->tls13_session_lifetime_s() == 86400);
    CHECK(ctx->tls12_session_lifetime_s() == 7200);
    Outcome t13 = connect(ctx, TLS1_3_VERSION, nullptr);
    REQUIRE(t13.session);
    // The client rebases the timeout on its clock: a second may tick in between.
    CHECK(SSL_SESSION_get_timeout(t13.session.get()) <= 86400);
    CHECK(SSL_SESSION_get_timeout(t13.session.get()) >= 86400 - 2);
    Outcome t12 = connect(ctx, TLS1_2_VERSION, nullptr);
    REQUIRE(t12.session);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(t12.session.get()) == 7200);
  }
  SECTION("lifetime_s: 3600") {
    r.tls.session_tickets.lifetime_s = 3600;
    ServerContextPtr ctx = r.build({k1});
    Outcome t13 = connect(ctx, TLS1_3_VERSION, nullptr);
    REQUIRE(t13.session);
    CHECK(SSL_SESSION_get_timeout(t13.session.get()) <= 3600);
    CHECK(SSL_SESSION_get_timeout(t13.session.get()) >= 3600 - 2);
    Outcome t12 = connect(ctx, TLS1_2_VERSION, nullptr);
    REQUIRE(t12.session);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(t12.session.get()) == 3600);
  }
}

TEST_CASE("tls: session_tickets enabled: false issues no ticket", "[tls][tickets]") {
  const uint16_t version = GENERATE(uint16_t{TLS1_3_VERSION}, uint16_t{TLS1_2_VERSION});
  INFO(version_name(version));
  Replicas r;
  r.tls.session_tickets.key_file.clear();
  r.tls.session_tickets.enabled = false;
  ServerContextPtr ctx = test::build(r.tls);
  CHECK_FALSE(ctx->tickets_enabled());
  Outcome o = connect(ctx, version, nullptr);
  if (o.session) {
    // TLS 1.2 clients still record the session, without a ticket.
    const uint8_t* t = nullptr;
    size_t len = 0;
    SSL_SESSION_get0_ticket(o.session.get(), &t, &len);
    CHECK(len == 0);
    CHECK_FALSE(connect(ctx, version, o.session.get()).resumed);
  }
}

TEST_CASE("tls: ticket key file problems are policy errors at the key_file mark",
          "[tls][tickets]") {
  Replicas r;
  const std::string text = test::key_file_text({test::random_key()});
  auto [mode, content, expect] = GENERATE_COPY(table<mode_t, std::string, std::string>({
      {0644, text, "ticket key file \"%F\" is readable by group/other (mode 0644); chmod 600 it"},
      {0640, text, "is readable by group/other (mode 0640); chmod 600 it"},
      {0620, text, "is accessible by group/other (mode 0620); chmod 600 it"},
      {0600, "bad\n", "ticket key file \"%F\": line 1: not base64"},
      {0600, "", "ticket key file \"%F\": no key"},
  }));
  r.dir.write("tickets.key", content, mode);
  std::string want = expect;
  if (auto p = want.find("%F"); p != std::string::npos)
    want.replace(p, 2, r.dir.file("tickets.key"));
  ServerContextPtr ctx;
  const policy::ConfigErrors errors = test::build_or_errors(r.tls, &ctx);
  REQUIRE(errors.size() == 1);
  const policy::ConfigError& e = errors[0];
  INFO(policy::format(e));
  CHECK(e.mark.line == 21);
  CHECK(e.mark.col == 19);
  CHECK(e.path == "tls.session_tickets.key_file");
  CHECK_THAT(e.message, Catch::Contains(want));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls: a missing ticket key file is an error; 0400 is accepted", "[tls][tickets]") {
  Replicas r;
  ServerContextPtr ctx;
  SECTION("missing") {
    const policy::ConfigErrors errors = test::build_or_errors(r.tls, &ctx);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message, Catch::Contains("cannot read ticket key file"));
    CHECK_THAT(errors[0].message, Catch::Contains("No such file or directory"));
  }
  SECTION("0400") {
    r.dir.write("tickets.key", test::key_file_text({test::random_key()}), 0400);
    CHECK(test::build_or_errors(r.tls, &ctx).empty());
    CHECK(ctx->ticket_keys() != nullptr);
  }
}

TEST_CASE("tls: install_ticket_keys on a bare SSL_CTX", "[tls][tickets]") {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  CHECK(installed_ticket_keys(ctx.get()) == nullptr);
  auto keys = TicketKeys::parse(test::key_file_text({test::random_key()}));
  REQUIRE(keys);
  std::weak_ptr<const TicketKeys> weak = *keys;
  CHECK(install_ticket_keys(ctx.get(), *keys));
  CHECK(installed_ticket_keys(ctx.get()) == keys->get());
  // Installing again replaces (and releases) the previous set.
  auto other = TicketKeys::parse(test::key_file_text({test::random_key()}));
  REQUIRE(other);
  keys = TicketKeys::parse(test::key_file_text({test::random_key()}));  // drop our reference
  CHECK(install_ticket_keys(ctx.get(), *other));
  CHECK(weak.expired());
  std::weak_ptr<const TicketKeys> weak_other = *other;
  other = TicketKeys::parse(test::key_file_text({test::random_key()}));
  CHECK_FALSE(weak_other.expired());  // the SSL_CTX holds it
  ctx.reset();
  CHECK(weak_other.expired());
}

}  // namespace
}  // namespace intransit::tls
