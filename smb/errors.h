// The SMB door's error domain: why a connection was closed. One code per reason; each has a
// static label used as the `reason` of the log line and of intransit_smb_drops_total, and a
// one-line explanation for humans (STYLE.md R5).
#pragma once

#include <cstdint>
#include <string_view>

#include "gateway/base/parse_result.h"

namespace intransit::smb {

enum class Errc : uint8_t {
  // Framing ([MS-SMB2] 2.1, RFC 1002 §4.3).
  NbssType,           // not a session message, or a keepalive carrying bytes
  FrameTooShort,      // an NBSS frame too short for what its protocol id announces
  FrameTooLarge,      // over max_frame_bytes, or a plaintext frame over max_plain_frame_bytes
  Smb1,               // 0xFF 'SMB': SMB1, including the multi-protocol NEGOTIATE
  Compressed,         // 0xFC 'SMB' outside a TRANSFORM: compressed plaintext
  UnknownProtocol,    // neither 0xFE, 0xFD, 0xFC nor 0xFF 'SMB'
  MalformedHeader,    // SMB2 header StructureSize or NextCommand chain invalid
  WrongDirection,     // a request from the server, or a response from the client
  UnexpectedMessage,  // out of order: anything but NEGOTIATE first, or talking before its turn
  // NEGOTIATE ([MS-SMB2] 2.2.3, 2.2.4).
  MalformedNegotiate,
  RepeatedNegotiate,
  NoSmb3Dialect,           // the client offers no 3.x dialect
  NoEncryptionOffered,     // the client offers neither an allowed cipher nor CAP_ENCRYPTION
  NegotiateFailed,         // the server answered NEGOTIATE with an error status
  DialectTooOld,           // the server chose a dialect below 3.0 (or the 0x02FF wildcard)
  DialectNotOffered,       // the server chose a dialect the client did not offer
  NoEncryptionCapability,  // 3.0/3.0.2 chosen without SMB2_GLOBAL_CAP_ENCRYPTION
  NoEncryptionContext,     // 3.1.1 chosen without exactly one ENCRYPTION_CAPABILITIES context
  NoCommonCipher,          // the server's ENCRYPTION context names cipher 0
  CipherNotAllowed,        // the chosen cipher is not in the policy (or was not offered)
  TransportSecurity,       // TRANSPORT_CAPABILITIES asks to leave encryption to the transport
  // SESSION_SETUP ([MS-SMB2] 2.2.5, 2.2.6).
  MalformedSessionSetup,
  GuestSession,         // SessionFlags IS_GUEST: no key, cannot encrypt
  NullSession,          // SessionFlags IS_NULL: anonymous, cannot encrypt
  SessionNotSigned,     // final response unsigned: the session has no key (anonymous or guest)
  SessionNotEncrypted,  // strict mode: SessionFlags lacks ENCRYPT_DATA
  TooManySessions,      // the per-connection session table is full
  // After NEGOTIATE ([MS-SMB2] 3.3.4.1.4, 2.2.41).
  PlaintextMessage,    // a plaintext message outside the documented exceptions
  PlaintextReauth,     // a plaintext SESSION_SETUP on an established session
  UnknownSession,      // a TRANSFORM (or SESSION_SETUP) for no session of this connection
  BadTransformFlags,   // TRANSFORM Flags/EncryptionAlgorithm is not 0x0001
  BadTransformLength,  // NBSS length != 52 + OriginalMessageSize, or an empty TRANSFORM
  // Relay glue (never returned by the inspector).
  TooManyConnections,
  BackendConnectFailed,
  BackendConnectTimeout,
  SetupTimeout,  // no encrypted session within setup_timeout_ms of the accept
  IdleTimeout,
};

inline constexpr size_t kErrcCount = static_cast<size_t>(Errc::IdleTimeout) + 1;

// label returns the static snake_case name of `e` (log reason and metric label).
std::string_view label(Errc e);
// describe returns a one-line explanation of `e` for logs and operators.
std::string_view describe(Errc e);

// SmbError is a parse failure: the code and the byte offset in the message where it was found.
using SmbError = ParseError<Errc>;

}  // namespace intransit::smb
