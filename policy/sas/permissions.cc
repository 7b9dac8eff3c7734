#include "policy/sas/permissions.h"

#include "gateway/base/text.h"

namespace intransit::policy::sas {

namespace {

// The table. Letters follow SAS-SPEC §5 and Azurite's OperationAccountSASPermission /
// OperationBlobSASPermission where the spec is silent.
constexpr Operation kListContainers{"ListContainers", Level::Service, "l", ""};
constexpr Operation kGetServiceProperties{"GetServiceProperties", Level::Service, "r", ""};
constexpr Operation kSetServiceProperties{"SetServiceProperties", Level::Service, "w", ""};
constexpr Operation kGetServiceStats{"GetServiceStats", Level::Service, "r", ""};
constexpr Operation kFindBlobsByTagsService{"FindBlobsByTags", Level::Object, "f", ""};
constexpr Operation kGetAccountInfoService{"GetAccountInfo", Level::Service, "*", ""};
constexpr Operation kGetAccountInfoContainer{"GetAccountInfo", Level::Container, "*", "r"};
constexpr Operation kGetAccountInfoBlob{"GetAccountInfo", Level::Object, "*", "r"};
constexpr Operation kUserDelegationKey{"GetUserDelegationKey", Level::Service, "", "", true};
constexpr Operation kBatchService{"SubmitBatch", Level::Service, "", "", true};

constexpr Operation kCreateContainer{"CreateContainer", Level::Container, "cw", ""};
constexpr Operation kGetContainerProperties{"GetContainerProperties", Level::Container, "r", ""};
constexpr Operation kDeleteContainer{"DeleteContainer", Level::Container, "d", ""};
constexpr Operation kGetContainerMetadata{"GetContainerMetadata", Level::Container, "r", ""};
constexpr Operation kSetContainerMetadata{"SetContainerMetadata", Level::Container, "w", ""};
constexpr Operation kContainerAcl{"ContainerACL", Level::Container, "", "", true};
constexpr Operation kLeaseContainer{"LeaseContainer", Level::Container, "w", ""};
constexpr Operation kBreakLeaseContainer{"LeaseContainer", Level::Container, "wd", ""};
constexpr Operation kListBlobs{"ListBlobs", Level::Container, "l", "l"};
constexpr Operation kFindBlobsByTagsContainer{"FindBlobsByTags", Level::Container, "f", "f"};
constexpr Operation kRestoreContainer{"RestoreContainer", Level::Container, "w", ""};
constexpr Operation kRenameContainer{"RenameContainer", Level::Container, "", "", true};
constexpr Operation kBatchContainer{"SubmitBatch", Level::Container, "", "", true};

constexpr Operation kGetBlob{"GetBlob", Level::Object, "r", "r"};
constexpr Operation kGetBlobMetadata{"GetBlobMetadata", Level::Object, "r", "r"};
constexpr Operation kGetBlockList{"GetBlockList", Level::Object, "r", "r"};
constexpr Operation kGetPageRanges{"GetPageRanges", Level::Object, "r", "r"};
constexpr Operation kQueryBlob{"QueryBlobContents", Level::Object, "r", "r"};
constexpr Operation kGetBlobTags{"GetBlobTags", Level::Object, "t", "t"};
constexpr Operation kSetBlobTags{"SetBlobTags", Level::Object, "t", "t"};
constexpr Operation kPutBlob{"PutBlob", Level::Object, "cw", "cw"};
constexpr Operation kCopyBlob{"CopyBlob", Level::Object, "cw", "cw"};
constexpr Operation kPutBlock{"PutBlock", Level::Object, "w", "w"};
constexpr Operation kPutBlockList{"PutBlockList", Level::Object, "w", "w"};
constexpr Operation kPutPage{"PutPage", Level::Object, "w", "w"};
constexpr Operation kAppendBlock{"AppendBlock", Level::Object, "aw", "aw"};
constexpr Operation kSealBlob{"AppendBlobSeal", Level::Object, "w", "w"};
constexpr Operation kSetBlobProperties{"SetBlobProperties", Level::Object, "w", "w"};
constexpr Operation kSetBlobMetadata{"SetBlobMetadata", Level::Object, "w", "w"};
constexpr Operation kLeaseBlob{"LeaseBlob", Level::Object, "w", "w"};
constexpr Operation kBreakLeaseBlob{"LeaseBlob", Level::Object, "wd", "wd"};
constexpr Operation kSnapshotBlob{"SnapshotBlob", Level::Object, "cw", "cw"};
constexpr Operation kAbortCopyBlob{"AbortCopyBlob", Level::Object, "w", "w"};
constexpr Operation kIncrementalCopy{"IncrementalCopyBlob", Level::Object, "cw", "cw"};
constexpr Operation kSetBlobTier{"SetBlobTier", Level::Object, "w", "w"};
constexpr Operation kSetBlobExpiry{"SetBlobExpiry", Level::Object, "w", "w"};
constexpr Operation kUndeleteBlob{"UndeleteBlob", Level::Object, "w", "w"};
constexpr Operation kImmutability{"SetImmutabilityPolicy", Level::Object, "i", "i"};
constexpr Operation kDeleteImmutability{"DeleteImmutabilityPolicy", Level::Object, "i", "i"};
constexpr Operation kLegalHold{"SetLegalHold", Level::Object, "i", "i"};
constexpr Operation kDeleteBlob{"DeleteBlob", Level::Object, "d", "d"};
constexpr Operation kDeleteBlobVersion{"DeleteBlobVersion", Level::Object, "x", "x"};
constexpr Operation kPermanentDelete{"PermanentDeleteBlob", Level::Object, "y", "y"};

bool is(std::string_view a, std::string_view b) {
  return iequals(a, b);
}

const Operation* classify_service(const RequestShape& r) {
  const bool get = r.method == "GET" || r.method == "HEAD";
  const std::string_view c = r.comp;
  const std::string_view t = r.restype;
  if (is(t, "service") && is(c, "properties")) {
    if (get) return &kGetServiceProperties;
    if (r.method == "PUT") return &kSetServiceProperties;
    return nullptr;
  }
  if (is(t, "service") && is(c, "stats") && get) return &kGetServiceStats;
  if (is(t, "service") && is(c, "userdelegationkey")) return &kUserDelegationKey;
  if (is(c, "batch")) return &kBatchService;
  if (is(t, "account") && is(c, "properties") && get) return &kGetAccountInfoService;
  if (t.empty() && is(c, "list") && get) return &kListContainers;
  if (t.empty() && is(c, "blobs") && get) return &kFindBlobsByTagsService;
  return nullptr;
}

const Operation* classify_container(const RequestShape& r) {
  const bool get = r.method == "GET" || r.method == "HEAD";
  const std::string_view c = r.comp;
  const std::string_view m = r.method;
  if (is(r.restype, "account") && is(c, "properties") && get) return &kGetAccountInfoContainer;
  if (!is(r.restype, "container")) return nullptr;
  if (c.empty()) {
    if (m == "PUT") return &kCreateContainer;
    if (get) return &kGetContainerProperties;
    if (m == "DELETE") return &kDeleteContainer;
    return nullptr;
  }
  if (is(c, "metadata")) {
    if (get) return &kGetContainerMetadata;
    if (m == "PUT") return &kSetContainerMetadata;
    return nullptr;
  }
  if (is(c, "acl")) return &kContainerAcl;
  if (is(c, "lease") && m == "PUT") {
    return is(r.lease_action, "break") ? &kBreakLeaseContainer : &kLeaseContainer;
  }
  if (is(c, "list") && get) return &kListBlobs;
  if (is(c, "blobs") && get) return &kFindBlobsByTagsContainer;
  if (is(c, "undelete") && m == "PUT") return &kRestoreContainer;
  if (is(c, "rename")) return &kRenameContainer;
  if (is(c, "batch")) return &kBatchContainer;
  return nullptr;
}

const Operation* classify_blob(const RequestShape& r) {
  const bool get = r.method == "GET" || r.method == "HEAD";
  const std::string_view c = r.comp;
  const std::string_view m = r.method;
  if (!r.restype.empty()) {
    if (is(r.restype, "account") && is(c, "properties") && get) return &kGetAccountInfoBlob;
    return nullptr;
  }
  if (get) {
    if (c.empty()) return &kGetBlob;
    if (is(c, "metadata")) return &kGetBlobMetadata;
    if (is(c, "blocklist")) return &kGetBlockList;
    if (is(c, "pagelist")) return &kGetPageRanges;
    if (is(c, "tags")) return &kGetBlobTags;
    return nullptr;
  }
  if (m == "PUT") {
    if (c.empty()) return r.has_copy_source ? &kCopyBlob : &kPutBlob;
    if (is(c, "block")) return &kPutBlock;
    if (is(c, "blocklist")) return &kPutBlockList;
    if (is(c, "page")) return &kPutPage;
    if (is(c, "appendblock")) return &kAppendBlock;
    if (is(c, "seal")) return &kSealBlob;
    if (is(c, "properties")) return &kSetBlobProperties;
    if (is(c, "metadata")) return &kSetBlobMetadata;
    if (is(c, "lease")) return is(r.lease_action, "break") ? &kBreakLeaseBlob : &kLeaseBlob;
    if (is(c, "snapshot")) return &kSnapshotBlob;
    if (is(c, "copy")) return &kAbortCopyBlob;
    if (is(c, "incrementalcopy")) return &kIncrementalCopy;
    if (is(c, "tier")) return &kSetBlobTier;
    if (is(c, "tags")) return &kSetBlobTags;
    if (is(c, "expiry")) return &kSetBlobExpiry;
    if (is(c, "undelete")) return &kUndeleteBlob;
    if (is(c, "immutabilitypolicies")) return &kImmutability;
    if (is(c, "legalhold")) return &kLegalHold;
    return nullptr;
  }
  if (m == "DELETE") {
    if (c.empty()) {
      if (r.permanent_delete) return &kPermanentDelete;
      if (r.has_version_id) return &kDeleteBlobVersion;
      return &kDeleteBlob;
    }
    if (is(c, "immutabilitypolicies")) return &kDeleteImmutability;
    return nullptr;
  }
  if (m == "POST" && is(c, "query")) return &kQueryBlob;
  return nullptr;
}

}  // namespace

char level_letter(Level l) {
  switch (l) {
    case Level::Service:
      return 's';
    case Level::Container:
      return 'c';
    case Level::Object:
      return 'o';
  }
  return 'o';
}

const Operation* classify(const RequestShape& r) {
  switch (r.level) {
    case Level::Service:
      return classify_service(r);
    case Level::Container:
      return classify_container(r);
    case Level::Object:
      return classify_blob(r);
  }
  return nullptr;
}

bool permits(std::string_view sp, std::string_view letters) {
  if (letters == "*") return !sp.empty();
  for (char l : letters) {
    if (sp.find(l) != std::string_view::npos) return true;
  }
  return false;
}

bool check_account_permissions(std::string_view sp, std::string& why) {
  static constexpr std::string_view kLetters = "rwdxylacuptfi";
  if (sp.empty()) {
    why = "sp is empty";
    return false;
  }
  for (size_t i = 0; i < sp.size(); ++i) {
    if (kLetters.find(sp[i]) == std::string_view::npos) {
      why = "sp: unknown permission letter for an account SAS";
      return false;
    }
    if (sp.find(sp[i], i + 1) != std::string_view::npos) {
      why = std::string("sp: letter '") + sp[i] + "' repeated";
      return false;
    }
  }
  return true;
}

bool check_service_permissions(std::string_view sp, std::string& why) {
  static constexpr std::string_view kOrdered = "racwdxltmeop";
  static constexpr std::string_view kFree = "yfi";
  size_t last = 0;
  bool any = false;
  for (size_t i = 0; i < sp.size(); ++i) {
    const char l = sp[i];
    if (sp.find(l, i + 1) != std::string_view::npos) {
      why = std::string("sp: letter '") + l + "' repeated";
      return false;
    }
    if (kFree.find(l) != std::string_view::npos) continue;
    const size_t pos = kOrdered.find(l);
    if (pos == std::string_view::npos) {
      why = "sp: unknown permission letter for a service SAS";
      return false;
    }
    if (any && pos < last) {
      why = std::string("sp: letter '") + l + "' out of order (required order racwdxltmeop)";
      return false;
    }
    last = pos;
    any = true;
  }
  return true;
}

}  // namespace intransit::policy::sas
