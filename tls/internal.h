// Internal to tls/: what the ClientHello callbacks (context.cc) tell the Session
// (session.cc) about one handshake. Not part of the module's API.
#pragma once

#include <openssl/ssl.h>

#include "tls/cert_store.h"
#include "tls/context.h"

namespace intransit::tls::internal {

// HandshakeNotes is owned by a Session and attached to its SSL (ex_data) for the
// callbacks. Every SSL made from a ServerContext must carry one; the callbacks refuse the
// handshake otherwise.
struct HandshakeNotes {
  const Certificate* cert = nullptr;  // what select_certificate chose
  bool sni_matched = false;           // the server name matched a certificate
  bool sni_rejected = false;          // unknown name under `unknown_sni: reject`
  bool alpn_rejected = false;         // ALPN offered, nothing in common
  Alpn alpn = Alpn::None;             // what ALPN selected
  bool ocsp_set = false;              // an OCSP staple was set for this handshake
  int ticket_key = -1;                // index of the file key that opened the client's ticket
};

// attach_notes attaches `notes` to `ssl`; it returns false on allocation failure.
bool attach_notes(SSL* ssl, HandshakeNotes* notes);

// notes returns the HandshakeNotes attached to `ssl`, or null.
HandshakeNotes* notes(const SSL* ssl);

}  // namespace intransit::tls::internal
