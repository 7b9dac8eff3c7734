#include "tls/session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <climits>

namespace intransit::tls {
namespace {

// ErrScope empties the thread's BoringSSL error queue on entry and on exit, so that one
// connection's errors can never be read as another's cause.
struct ErrScope {
  ErrScope() { ERR_clear_error(); }
  ~ErrScope() { ERR_clear_error(); }
};

// kMaxIo bounds one SSL_read/SSL_write call (their lengths are ints).
constexpr size_t kMaxIo = 1u << 30;

// kSniffBytes is how far we look for the space after an HTTP method.
constexpr size_t kSniffBytes = 24;

}  // namespace

// SessionBio is the BIO between BoringSSL and the Session's byte queues: reads drain
// Session::in_, writes append to Session::out_. Writes always succeed, so BoringSSL never
// returns SSL_ERROR_WANT_WRITE; backpressure is the glue's, on output().size().
struct SessionBio {
  static Session* session(BIO* b) { return static_cast<Session*>(BIO_get_data(b)); }

  static int write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    session(b)->out_.append(
        BytesView(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
    return len;
  }

  static int read(BIO* b, char* out, int len) {
    BIO_clear_retry_flags(b);
    Session* s = session(b);
    if (len <= 0) return 0;
    if (s->in_.empty()) {
      if (s->eof_) return 0;  // EOF: BoringSSL reports truncation or handshake EOF
      BIO_set_retry_read(b);
      return -1;
    }
    const size_t n = s->in_.copy_out(
        std::span<uint8_t>(reinterpret_cast<uint8_t*>(out), static_cast<size_t>(len)));
    s->in_.consume(n);
    return static_cast<int>(n);
  }

  static long ctrl(BIO* b, int cmd, long /*num*/, void* /*ptr*/) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(std::min<size_t>(session(b)->in_.size(), LONG_MAX));
      case BIO_CTRL_WPENDING:
        return 0;
      default:
        return 0;
    }
  }

  // method returns the process-wide BIO_METHOD, created on first use.
  static const BIO_METHOD* method() {
    static const bssl::UniquePtr<BIO_METHOD> m = [] {
      bssl::UniquePtr<BIO_METHOD> mm(BIO_meth_new(BIO_get_new_index(), "intransit-session"));
      if (mm) {
        BIO_meth_set_write(mm.get(), write);
        BIO_meth_set_read(mm.get(), read);
        BIO_meth_set_ctrl(mm.get(), ctrl);
      }
      return mm;
    }();
    return m.get();
  }
};

std::string_view name(State s) {
  switch (s) {
    case State::Handshaking:
      return "handshaking";
    case State::Open:
      return "open";
    case State::Closed:
      return "closed";
    case State::Failed:
      return "failed";
  }
  return "unknown";
}

Session::Session(ServerContextPtr ctx) : ctx_(std::move(ctx)) {
  ErrScope errs;
  const BIO_METHOD* method = SessionBio::method();
  if (ctx_ == nullptr || method == nullptr) {
    fail({Failure::Internal, 0, "no TLS context"});
    return;
  }
  ssl_.reset(SSL_new(ctx_->ssl_ctx()));
  BIO* bio = BIO_new(method);
  if (!ssl_ || bio == nullptr || !internal::attach_notes(ssl_.get(), &notes_)) {
    BIO_free(bio);
    fail({Failure::Internal, 0, "out of memory creating the TLS connection"});
    return;
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_.get(), bio, bio);  // one reference, owned by the SSL
  SSL_set_accept_state(ssl_.get());
  // Drop the certificate references and other configuration once the handshake is done:
  // thousands of idle keep-alive connections per worker should not each pin a copy.
  SSL_set_shed_handshake_config(ssl_.get(), 1);
}

Session::~Session() = default;

void Session::feed(BytesView ciphertext) {
  // After a plain-HTTP failure keep collecting, so the glue can read the request head.
  if (state_ == State::Failed && failure_.kind != Failure::PlainHttp) return;
  in_.append(ciphertext);
}

std::span<uint8_t> Session::input_space() {
  return in_.prepare();
}

void Session::commit_input(size_t n) {
  in_.commit(n);
  if (state_ == State::Failed && failure_.kind != Failure::PlainHttp) in_.clear();
}

void Session::feed_eof() {
  eof_ = true;
}

State Session::advance() {
  if (state_ == State::Handshaking) step_handshake();
  return state_;
}

bool Session::sniff_plain_http() {
  if (in_.empty()) return eof_;  // nothing to look at; let BoringSSL see the EOF
  uint8_t head[kSniffBytes];
  const size_t n = in_.copy_out(head);
  // A TLS record starts with its content type (22 for a ClientHello): never a letter.
  if (head[0] < 'A' || head[0] > 'Z') {
    sniffed_ = true;
    return true;
  }
  // An HTTP request line (RFC 9112 §3) starts with an uppercase method token and a space;
  // "PRI * HTTP/2.0" (h2 prior knowledge) is one too.
  for (size_t i = 0; i < n; ++i) {
    if (head[i] == ' ') {
      if (i >= 3) {
        fail({Failure::PlainHttp, 0, "plaintext HTTP request on the TLS port"});
        return false;
      }
      break;
    }
    if (head[i] < 'A' || head[i] > 'Z') break;
    if (i + 1 == n && n < kSniffBytes && !eof_) return false;  // need more bytes
  }
  sniffed_ = true;
  return true;
}

void Session::step_handshake() {
  if (!ssl_) return;
  if (!sniffed_ && !sniff_plain_http()) return;
  ErrScope errs;
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    state_ = State::Open;
    fill_info();
    // BoringSSL holds TLS 1.3 NewSessionTickets until the first write, to spare servers
    // with small socket buffers; ours is unbounded, so send them with the handshake's last
    // flight and the client can resume even if we never write.
    SSL_write(ssl_.get(), nullptr, 0);
    return;
  }
  switch (SSL_get_error(ssl_.get(), r)) {
    case SSL_ERROR_WANT_READ:
      return;
    case SSL_ERROR_ZERO_RETURN:
      fail({Failure::PeerAlert, SSL_AD_CLOSE_NOTIFY, "close_notify during the handshake"});
      return;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        fail({Failure::Eof, 0, "client closed the connection during the handshake"});
        return;
      }
      fail_from_queue();
      return;
    case SSL_ERROR_SSL:
      fail_from_queue();
      return;
    default:
      fail({Failure::Internal, 0, "unexpected SSL_get_error result in the handshake"});
      return;
  }
}

void Session::fail(FailureInfo f) {
  state_ = State::Failed;
  failure_ = std::move(f);
}

void Session::fail_from_queue() {
  // Our callbacks know better than the generic error BoringSSL queues for them.
  if (notes_.sni_rejected) {
    fail({Failure::UnknownSni, 0, "server name matches no certificate (unknown_sni: reject)"});
    return;
  }
  if (notes_.alpn_rejected) {
    fail({Failure::NoApplicationProtocol, 0, "no ALPN protocol in common"});
    return;
  }
  fail(classify_error_queue());
}

void Session::on_read_error(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return;
    case SSL_ERROR_ZERO_RETURN:
      state_ = State::Closed;
      peer_close_ = PeerClose::CloseNotify;
      return;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        state_ = State::Closed;
        peer_close_ = PeerClose::Truncated;
        return;
      }
      fail_from_queue();
      return;
    case SSL_ERROR_SSL:
      fail_from_queue();
      return;
    default:
      fail({Failure::Internal, 0, "unexpected SSL_get_error result in SSL_read"});
      return;
  }
}

ReadResult Session::read(std::span<uint8_t> out) {
  if (state_ == State::Handshaking) advance();
  if (state_ != State::Open || out.empty()) return {0, state_};
  ErrScope errs;
  const int n = SSL_read(ssl_.get(), out.data(), static_cast<int>(std::min(out.size(), kMaxIo)));
  if (n > 0) return {static_cast<size_t>(n), state_};
  on_read_error(n);
  return {0, state_};
}

ReadResult Session::read_into(ByteQueue& out, size_t max_bytes) {
  if (state_ == State::Handshaking) advance();
  size_t total = 0;
  ErrScope errs;
  while (state_ == State::Open && total < max_bytes) {
    std::span<uint8_t> space = out.prepare();
    const size_t want = std::min({space.size(), max_bytes - total, kMaxIo});
    const int n = SSL_read(ssl_.get(), space.data(), static_cast<int>(want));
    if (n <= 0) {
      on_read_error(n);
      break;
    }
    out.commit(static_cast<size_t>(n));
    total += static_cast<size_t>(n);
  }
  return {total, state_};
}

size_t Session::write(BytesView plaintext) {
  if ((state_ != State::Open && state_ != State::Closed) || close_notify_sent_) return 0;
  ErrScope errs;
  size_t total = 0;
  while (total < plaintext.size()) {
    const size_t chunk = std::min(plaintext.size() - total, kMaxIo);
    const int n = SSL_write(ssl_.get(), plaintext.data() + total, static_cast<int>(chunk));
    if (n <= 0) {
      fail_from_queue();
      return total;
    }
    total += static_cast<size_t>(n);
  }
  return total;
}

void Session::close_notify() {
  if (close_notify_sent_) return;
  close_notify_sent_ = true;
  if (state_ != State::Open && state_ != State::Closed) return;
  ErrScope errs;
  SSL_shutdown(ssl_.get());  // queues close_notify into output(); the result is irrelevant
}

size_t Session::take_output(ByteQueue& dst) {
  const size_t n = out_.size();
  while (!out_.empty()) {
    const BytesView front = out_.front();
    dst.append(front);
    out_.consume(front.size());
  }
  return n;
}

void Session::fill_info() {
  SSL* ssl = ssl_.get();
  info_.version = SSL_get_version(ssl);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  info_.cipher = cipher ? SSL_CIPHER_standard_name(cipher) : "";
  const uint16_t group = SSL_get_curve_id(ssl);
  const char* group_name = group ? SSL_get_curve_name(group) : nullptr;
  info_.group = group_name ? group_name : "";
  info_.resumed = SSL_session_reused(ssl) == 1;
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  info_.sni = sni ? sni : "";
  info_.alpn = notes_.alpn;
  info_.certificate = notes_.cert;
  info_.ocsp_stapled = notes_.ocsp_set && !info_.resumed;
  info_.ticket_key = info_.resumed ? notes_.ticket_key : -1;
}

}  // namespace intransit::tls
