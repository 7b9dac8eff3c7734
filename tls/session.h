// tls::Session: the server side of one TLS connection as a sans-I/O state machine over
// BoringSSL. It takes ciphertext bytes from the glue, hands out plaintext, takes plaintext,
// and queues ciphertext for the glue to send. It opens no socket, arms no timer and reads
// no clock (BoringSSL itself reads the clock only to age session tickets).
//
// Driving it (the glue, per readable event):
//
//   session.feed(bytes);                       // or input_space() + commit_input(n)
//   switch (session.advance()) {               // runs the handshake while Handshaking
//     case State::Handshaking: break;          // wait for more bytes (arm handshake timer)
//     case State::Open:                        // read everything there is, hand it on
//       session.read_into(plaintext);          // .status may now be Closed or Failed
//       break;
//     case State::Closed: ...                  // client finished; see peer_close()
//     case State::Failed: ...                  // see failure(); maybe plain_http
//   }
//   flush(session.output());                   // ALWAYS, in every state: handshake
//                                              // flights, alerts, close_notify live here
//
// Copies: inbound ciphertext is copied once into the Session (none when the glue reads
// straight into input_space()), once into BoringSSL's record buffer, decrypted in place,
// then copied once into the caller's plaintext buffer. Outbound plaintext is sealed by
// BoringSSL into its record buffer and copied once into output(), which the glue writes
// from directly (peek + consume), so one copy each way beyond the crypto itself.
//
// A Session is bound to one thread at a time; it is neither copyable nor movable (BoringSSL
// callbacks hold its address). Every call leaves the thread's BoringSSL error queue empty.
#pragma once

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gateway/base/byte_queue.h"
#include "gateway/base/bytes.h"
#include "tls/context.h"
#include "tls/errors.h"
#include "tls/internal.h"

namespace intransit::tls {

// State of a Session.
enum class State : uint8_t {
  // Handshaking: waiting for, or processing, the client's handshake.
  Handshaking,
  // Open: application data flows both ways.
  Open,
  // Closed: the client will send nothing more (close_notify or TCP EOF after the
  // handshake; see peer_close()). Writing is still allowed until close_notify() is called,
  // so a response already being produced can be finished.
  Closed,
  // Failed: the connection is dead; failure() says why. output() may still hold an alert
  // to send before closing the socket.
  Failed,
};

// name returns "handshaking", "open", "closed" or "failed".
std::string_view name(State s);

// PeerClose says how the client ended its side.
enum class PeerClose : uint8_t {
  None,
  // CloseNotify: a clean TLS close (RFC 8446 §6.1).
  CloseNotify,
  // Truncated: TCP EOF without close_notify. Common and harmless for HTTP/1.1 requests that
  // were complete; a message cut short must be treated as incomplete by the codec.
  Truncated,
};

// ReadResult is what read/read_into did: `bytes` of plaintext delivered, and the state
// after the call (Open with bytes == 0 means "nothing more until more ciphertext").
struct ReadResult {
  size_t bytes = 0;
  State status = State::Handshaking;
};

// HandshakeInfo describes a completed handshake. String views point to static strings or
// into the Session, and stay valid as long as the Session.
struct HandshakeInfo {
  std::string_view version;  // "TLSv1.2", "TLSv1.3"
  std::string_view cipher;   // IETF name, e.g. "TLS_AES_128_GCM_SHA256"
  std::string_view group;    // "X25519", "P-256", ...; "" when none (resumption w/o ECDHE)
  bool resumed = false;
  std::string sni;         // server name as sent by the client, "" if none
  Alpn alpn = Alpn::None;  // negotiated protocol; None when the client offered no ALPN
  const Certificate* certificate = nullptr;  // the certificate served (null if resumed
                                             // in TLS 1.2 without a certificate choice)
  // ocsp_stapled: the certificate's OCSP staple went to the client (full handshakes of
  // clients that sent status_request, while the staple is fresh).
  bool ocsp_stapled = false;
  // ticket_key: when resumed from a ticket under session_tickets.key_file, the index of the
  // key that opened it (0 = the current key; > 0 = an older key, the ticket was renewed);
  // -1 otherwise.
  int ticket_key = -1;
};

// Session is one server-side TLS connection.
class Session {
 public:
  // Session starts a handshake under `ctx`, which it keeps alive. If BoringSSL cannot
  // allocate the connection, the Session starts Failed with Failure::Internal.
  explicit Session(ServerContextPtr ctx);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;

  // --- ciphertext in ------------------------------------------------------------------

  // feed appends ciphertext received from the client. It does no TLS work: call advance()
  // (and read) afterwards. Bytes fed after Failed are dropped, except after
  // Failure::PlainHttp, where they keep accumulating in pending_input().
  void feed(BytesView ciphertext);
  // input_space returns writable space for ciphertext (at least one byte, at most 16 KiB);
  // read from the socket into it, then commit_input(n). This skips feed's copy.
  std::span<uint8_t> input_space();
  void commit_input(size_t n);
  // feed_eof records that the client closed its sending side (TCP EOF). During the
  // handshake the next advance() fails with Failure::Eof once the buffered bytes are used
  // up; afterwards the next read/read_into returns what is left and then moves the state to
  // Closed with PeerClose::Truncated (unless close_notify came first).
  void feed_eof();

  // --- state --------------------------------------------------------------------------

  // advance runs the handshake as far as the input allows and returns the state. Outside
  // Handshaking it only returns the state. After it returns Open, application data may
  // already be buffered (the client's first request often arrives with its Finished):
  // always call read/read_into next.
  State advance();
  State state() const { return state_; }

  // --- plaintext ----------------------------------------------------------------------

  // read decrypts up to out.size() bytes of application data into `out`. `bytes` is 0 when
  // nothing is available yet (status Open) or when the client finished (status Closed) or
  // the connection failed (status Failed). Call it until bytes == 0: one call returns at
  // most one record's worth. While Handshaking it calls advance() first.
  ReadResult read(std::span<uint8_t> out);
  // read_into appends all available application data (at most max_bytes) to `out`,
  // decrypting straight into its free space; `bytes` is the number appended.
  ReadResult read_into(ByteQueue& out, size_t max_bytes = SIZE_MAX);

  // write encrypts `plaintext` into output() and returns the bytes accepted: all of them
  // when the state is Open or Closed and close_notify() was not called, else 0. It never
  // blocks: backpressure is the glue's (stop producing while output().size() is above its
  // high-water mark).
  size_t write(BytesView plaintext);

  // close_notify queues our close_notify alert (RFC 8446 §6.1) after any data already
  // written; later writes return 0. During the handshake it queues nothing: just close
  // the socket (the handshake-timeout path). Idempotent.
  void close_notify();
  // sent_close_notify returns true once close_notify() queued the alert.
  bool sent_close_notify() const { return close_notify_sent_; }

  // --- ciphertext out -----------------------------------------------------------------

  // output holds the ciphertext to send, in order. The glue writes from it without copying
  // (peek() for a scatter list, consume() when the write completed). Check it after every
  // call, in every state: it holds handshake flights, alerts and close_notify.
  ByteQueue& output() { return out_; }
  // take_output moves (copies) all queued ciphertext to the end of `dst` and returns its
  // size. Convenience for tests and simple callers.
  size_t take_output(ByteQueue& dst);

  // --- facts --------------------------------------------------------------------------

  // peer_close says how the client ended its side (meaningful once Closed).
  PeerClose peer_close() const { return peer_close_; }
  // failure describes why the Session is Failed (kind None otherwise). Use label(failure())
  // for metrics.
  const FailureInfo& failure() const { return failure_; }
  // failure_reason is label(failure()): the stable metric label, "none" unless Failed.
  std::string_view failure_reason() const { return label(failure_); }
  // info describes the handshake; filled when the state first becomes Open.
  const HandshakeInfo& info() const { return info_; }
  // pending_input holds ciphertext not yet given to BoringSSL. After Failure::PlainHttp it
  // holds the client's request bytes from the start, for the glue's plaintext answer.
  const ByteQueue& pending_input() const { return in_; }

 private:
  friend struct SessionBio;

  void step_handshake();
  bool sniff_plain_http();
  void fail(FailureInfo f);
  void fail_from_queue();
  void on_read_error(int ret);
  void fill_info();

  ServerContextPtr ctx_;
  ByteQueue in_;
  ByteQueue out_;
  internal::HandshakeNotes notes_;
  bssl::UniquePtr<SSL> ssl_;  // after ctx_ and notes_: destroyed first
  State state_ = State::Handshaking;
  PeerClose peer_close_ = PeerClose::None;
  FailureInfo failure_;
  HandshakeInfo info_;
  bool eof_ = false;
  bool sniffed_ = false;  // the first bytes were checked for plain HTTP
  bool close_notify_sent_ = false;
};

}  // namespace intransit::tls
