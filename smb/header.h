// SMB2 message headers: the 64-byte SMB2 header ([MS-SMB2] 2.2.1), the 52-byte
// TRANSFORM_HEADER of an encrypted message ([MS-SMB2] 2.2.41), the protocol ids that tell
// them (and SMB1, and compression) apart, and the split of a plaintext compound chain
// ([MS-SMB2] 3.2.4.1.4).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/base/bytes.h"
#include "gateway/base/parse_result.h"
#include "gateway/base/result.h"
#include "smb/errors.h"

namespace intransit::smb {

// ProtocolId is the kind of message announced by its first four bytes.
enum class ProtocolId : uint8_t {
  Smb2,        // FE 'S' 'M' 'B' ([MS-SMB2] 2.2.1)
  Transform,   // FD 'S' 'M' 'B' ([MS-SMB2] 2.2.41)
  Compressed,  // FC 'S' 'M' 'B' ([MS-SMB2] 2.2.42)
  Smb1,        // FF 'S' 'M' 'B' ([MS-CIFS] 2.2.3.1)
  Unknown,
};

inline constexpr size_t kProtocolIdBytes = 4;

// classify returns the ProtocolId of a message from its first four bytes (Unknown when
// `first` is shorter).
ProtocolId classify(BytesView first);

// Command is an SMB2 command code ([MS-SMB2] 2.2.1.2).
enum class Command : uint16_t {
  Negotiate = 0x00,
  SessionSetup = 0x01,
  Logoff = 0x02,
  TreeConnect = 0x03,
  TreeDisconnect = 0x04,
  Create = 0x05,
  Close = 0x06,
  Flush = 0x07,
  Read = 0x08,
  Write = 0x09,
  Lock = 0x0A,
  Ioctl = 0x0B,
  Cancel = 0x0C,
  Echo = 0x0D,
  QueryDirectory = 0x0E,
  ChangeNotify = 0x0F,
  QueryInfo = 0x10,
  SetInfo = 0x11,
  OplockBreak = 0x12,
  ServerToClientNotification = 0x13,
};

// command_name returns the [MS-SMB2] name of a command code ("TREE_CONNECT"), or "unknown".
std::string_view command_name(uint16_t command);

// SMB2 header Flags ([MS-SMB2] 2.2.1.2).
inline constexpr uint32_t kFlagServerToRedir = 0x00000001;  // a response
inline constexpr uint32_t kFlagAsync = 0x00000002;
inline constexpr uint32_t kFlagRelated = 0x00000004;
inline constexpr uint32_t kFlagSigned = 0x00000008;

// NTSTATUS values the inspector acts on ([MS-ERREF] 2.3.1).
inline constexpr uint32_t kStatusSuccess = 0x00000000;
inline constexpr uint32_t kStatusPending = 0x00000103;
inline constexpr uint32_t kStatusMoreProcessingRequired = 0xC0000016;

// kUnsolicitedMessageId marks an oplock or lease break notification ([MS-SMB2] 3.3.4.6).
inline constexpr uint64_t kUnsolicitedMessageId = 0xFFFFFFFFFFFFFFFFull;

inline constexpr size_t kSmb2HeaderBytes = 64;

// Smb2Header is a parsed SMB2 header (sync or async form).
struct Smb2Header {
  uint16_t credit_charge = 0;
  uint32_t status = 0;  // responses; ChannelSequence + Reserved in 3.x requests
  uint16_t command = 0;
  uint16_t credits = 0;
  uint32_t flags = 0;
  uint32_t next_command = 0;
  uint64_t message_id = 0;
  uint64_t async_id = 0;  // async form only
  uint32_t tree_id = 0;   // sync form only
  uint64_t session_id = 0;

  bool is_response() const { return (flags & kFlagServerToRedir) != 0; }
  bool is_signed() const { return (flags & kFlagSigned) != 0; }
};

// read_smb2_header parses the header at the start of `msg`: NeedMore with fewer than 64
// bytes; ParseError MalformedHeader when the ProtocolId is not FE 'SMB' or StructureSize is
// not 64; otherwise Parsed{header, 64}.
ParseResult<Smb2Header, Errc> read_smb2_header(BytesView msg);

inline constexpr size_t kTransformHeaderBytes = 52;
// TRANSFORM_HEADER Flags (3.1.1) / EncryptionAlgorithm (3.0.x): both must be 0x0001.
inline constexpr uint16_t kTransformEncrypted = 0x0001;

// TransformHeader is a parsed SMB2 TRANSFORM_HEADER.
struct TransformHeader {
  std::array<uint8_t, 16> signature{};  // the AEAD tag
  std::array<uint8_t, 16> nonce{};      // CCM uses 11 bytes, GCM 12; the rest is reserved
  uint32_t original_message_size = 0;
  uint16_t reserved = 0;
  uint16_t flags = 0;
  uint64_t session_id = 0;
};

// read_transform_header parses the TRANSFORM_HEADER at the start of `msg`: NeedMore with
// fewer than 52 bytes; ParseError UnknownProtocol when the ProtocolId is not FD 'SMB';
// otherwise Parsed{header, 52}. Field values are not judged here.
ParseResult<TransformHeader, Errc> read_transform_header(BytesView msg);

// transform_aad returns the bytes a TRANSFORM's AEAD authenticates: header bytes 20..51
// (Nonce through SessionId). `msg` must hold at least 52 bytes.
BytesView transform_aad(BytesView msg);

// Smb2Message is one message of a plaintext frame: its header and its bytes (header + body,
// up to NextCommand or the end of the frame). `bytes` views the frame.
struct Smb2Message {
  Smb2Header header;
  BytesView bytes;
};

// next_message splits the first message off `rest` (the unread part of a plaintext SMB2
// frame) and advances `rest` past it. `base` is the offset of `rest` in the frame, used for
// errors. NextCommand must be 0 (last message) or a multiple of 8 of at least 64 that stays
// inside the frame ([MS-SMB2] 2.2.1.2, 3.3.5.2.7); otherwise MalformedHeader.
Result<Smb2Message, SmbError> next_message(BytesView& rest, size_t base);

}  // namespace intransit::smb
