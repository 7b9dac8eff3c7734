#include "smb/errors.h"

namespace intransit::smb {

std::string_view label(Errc e) {
  switch (e) {
    case Errc::NbssType:
      return "nbss_type";
    case Errc::FrameTooShort:
      return "frame_too_short";
    case Errc::FrameTooLarge:
      return "frame_too_large";
    case Errc::Smb1:
      return "smb1";
    case Errc::Compressed:
      return "compression_transform";
    case Errc::UnknownProtocol:
      return "unknown_protocol";
    case Errc::MalformedHeader:
      return "malformed_header";
    case Errc::WrongDirection:
      return "wrong_direction";
    case Errc::UnexpectedMessage:
      return "unexpected_message";
    case Errc::MalformedNegotiate:
      return "malformed_negotiate";
    case Errc::RepeatedNegotiate:
      return "repeated_negotiate";
    case Errc::NoSmb3Dialect:
      return "no_smb3_dialect";
    case Errc::NoEncryptionOffered:
      return "no_encryption_offered";
    case Errc::NegotiateFailed:
      return "negotiate_failed";
    case Errc::DialectTooOld:
      return "dialect_too_old";
    case Errc::DialectNotOffered:
      return "dialect_not_offered";
    case Errc::NoEncryptionCapability:
      return "no_encryption_capability";
    case Errc::NoEncryptionContext:
      return "no_encryption_context";
    case Errc::NoCommonCipher:
      return "no_common_cipher";
    case Errc::CipherNotAllowed:
      return "cipher_not_allowed";
    case Errc::TransportSecurity:
      return "transport_level_security";
    case Errc::MalformedSessionSetup:
      return "malformed_session_setup";
    case Errc::GuestSession:
      return "guest_session";
    case Errc::NullSession:
      return "null_session";
    case Errc::SessionNotSigned:
      return "session_not_signed";
    case Errc::SessionNotEncrypted:
      return "session_not_encrypted";
    case Errc::TooManySessions:
      return "too_many_sessions";
    case Errc::PlaintextMessage:
      return "plaintext_message";
    case Errc::PlaintextReauth:
      return "plaintext_reauth";
    case Errc::UnknownSession:
      return "unknown_session";
    case Errc::BadTransformFlags:
      return "bad_transform_flags";
    case Errc::BadTransformLength:
      return "bad_transform_length";
    case Errc::TooManyConnections:
      return "too_many_connections";
    case Errc::BackendConnectFailed:
      return "backend_connect_failed";
    case Errc::BackendConnectTimeout:
      return "backend_connect_timeout";
    case Errc::SetupTimeout:
      return "setup_timeout";
    case Errc::IdleTimeout:
      return "idle_timeout";
  }
  return "internal";  // unreachable: -Wswitch lists every code above
}

std::string_view describe(Errc e) {
  switch (e) {
    case Errc::NbssType:
      return "NetBIOS frame is not a session message (or a keepalive with data)";
    case Errc::FrameTooShort:
      return "frame too short for its protocol id";
    case Errc::FrameTooLarge:
      return "frame larger than the configured limit";
    case Errc::Smb1:
      return "SMB1 is refused";
    case Errc::Compressed:
      return "compressed message outside an encrypted TRANSFORM";
    case Errc::UnknownProtocol:
      return "not an SMB2/SMB3 message";
    case Errc::MalformedHeader:
      return "malformed SMB2 header or compound chain";
    case Errc::WrongDirection:
      return "request sent by the server or response sent by the client";
    case Errc::UnexpectedMessage:
      return "message out of protocol order";
    case Errc::MalformedNegotiate:
      return "malformed NEGOTIATE";
    case Errc::RepeatedNegotiate:
      return "second NEGOTIATE on the connection";
    case Errc::NoSmb3Dialect:
      return "client offers no SMB 3.x dialect";
    case Errc::NoEncryptionOffered:
      return "client offers no allowed cipher";
    case Errc::NegotiateFailed:
      return "server refused the NEGOTIATE";
    case Errc::DialectTooOld:
      return "server chose a dialect below SMB 3.0";
    case Errc::DialectNotOffered:
      return "server chose a dialect the client did not offer";
    case Errc::NoEncryptionCapability:
      return "SMB 3.0.x without the encryption capability";
    case Errc::NoEncryptionContext:
      return "SMB 3.1.1 without an encryption context";
    case Errc::NoCommonCipher:
      return "server found no common cipher";
    case Errc::CipherNotAllowed:
      return "cipher not allowed by the policy";
    case Errc::TransportSecurity:
      return "encryption left to the transport (refused on TCP)";
    case Errc::MalformedSessionSetup:
      return "malformed SESSION_SETUP";
    case Errc::GuestSession:
      return "guest session (cannot encrypt)";
    case Errc::NullSession:
      return "anonymous session (cannot encrypt)";
    case Errc::SessionNotSigned:
      return "session established without a key (unsigned final response)";
    case Errc::SessionNotEncrypted:
      return "session does not require encryption (strict mode)";
    case Errc::TooManySessions:
      return "too many sessions on one connection";
    case Errc::PlaintextMessage:
      return "plaintext message after NEGOTIATE";
    case Errc::PlaintextReauth:
      return "plaintext re-authentication of an encrypted session";
    case Errc::UnknownSession:
      return "message for a session not established on this connection";
    case Errc::BadTransformFlags:
      return "TRANSFORM header flags are not 0x0001";
    case Errc::BadTransformLength:
      return "TRANSFORM length inconsistent with its frame";
    case Errc::TooManyConnections:
      return "listener connection limit reached";
    case Errc::BackendConnectFailed:
      return "could not connect to the SMB server";
    case Errc::BackendConnectTimeout:
      return "connecting to the SMB server timed out";
    case Errc::SetupTimeout:
      return "no encrypted session established in time";
    case Errc::IdleTimeout:
      return "connection idle too long";
  }
  return "internal error";
}

}  // namespace intransit::smb
