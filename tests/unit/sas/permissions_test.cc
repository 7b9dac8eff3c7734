#include "policy/sas/permissions.h"

#include <catch2/catch.hpp>

using namespace intransit::policy::sas;

namespace {
std::string_view op(std::string_view method, Level level, std::string_view comp = "",
                    std::string_view restype = "", std::string_view lease = "", bool copy = false,
                    bool version = false, bool permanent = false) {
  RequestShape s;
  s.method = method;
  s.level = level;
  s.comp = comp;
  s.restype = restype;
  s.lease_action = lease;
  s.has_copy_source = copy;
  s.has_version_id = version;
  s.permanent_delete = permanent;
  const Operation* o = classify(s);
  return o ? o->name : "<none>";
}
}  // namespace

TEST_CASE("sas: request shapes map to Blob operations", "[sas][permissions]") {
  CHECK(op("GET", Level::Service, "list") == "ListContainers");
  CHECK(op("GET", Level::Service, "properties", "service") == "GetServiceProperties");
  CHECK(op("PUT", Level::Service, "properties", "service") == "SetServiceProperties");
  CHECK(op("POST", Level::Service, "batch", "service") == "SubmitBatch");
  CHECK(op("PUT", Level::Container, "", "container") == "CreateContainer");
  CHECK(op("HEAD", Level::Container, "", "container") == "GetContainerProperties");
  CHECK(op("GET", Level::Container, "list", "container") == "ListBlobs");
  CHECK(op("GET", Level::Container, "LIST", "Container") == "ListBlobs");  // values: any case
  CHECK(op("PUT", Level::Container, "acl", "container") == "ContainerACL");
  CHECK(op("GET", Level::Object) == "GetBlob");
  CHECK(op("HEAD", Level::Object) == "GetBlob");
  CHECK(op("PUT", Level::Object) == "PutBlob");
  CHECK(op("PUT", Level::Object, "", "", "", true) == "CopyBlob");
  CHECK(op("PUT", Level::Object, "block") == "PutBlock");
  CHECK(op("PUT", Level::Object, "lease", "", "break") == "LeaseBlob");
  CHECK(op("DELETE", Level::Object) == "DeleteBlob");
  CHECK(op("DELETE", Level::Object, "", "", "", false, true) == "DeleteBlobVersion");
  CHECK(op("DELETE", Level::Object, "", "", "", false, true, true) == "PermanentDeleteBlob");
  CHECK(op("POST", Level::Object, "query") == "QueryBlobContents");
  CHECK(op("GET", Level::Object, "frobnicate") == "<none>");
  CHECK(op("PATCH", Level::Object) == "<none>");
  CHECK(op("POST", Level::Object) == "<none>");
  CHECK(op("GET", Level::Container) == "<none>");  // a container level without restype
}

TEST_CASE("sas: permits any one listed letter", "[sas][permissions]") {
  CHECK(permits("rw", "cw"));
  CHECK_FALSE(permits("rl", "cw"));
  CHECK(permits("r", "*"));
  CHECK_FALSE(permits("", "*"));
}

TEST_CASE("sas: account SAS letters: any order, no repeats, known letters", "[sas][permissions]") {
  std::string why;
  for (const char* ok : {"r", "rwdxylacuptfi", "lwr", "ifr"}) {
    INFO(ok);
    CHECK(check_account_permissions(ok, why));
  }
  for (const char* bad : {"", "rr", "rz", "R", "r w"}) {
    INFO(bad);
    CHECK_FALSE(check_account_permissions(bad, why));
  }
}

TEST_CASE("sas: service SAS letters keep racwdxltmeop order; y f i anywhere",
          "[sas][permissions]") {
  std::string why;
  for (const char* ok : {"", "r", "rw", "rd", "rl", "wd", "wl", "racwdxltmeop", "racwdxltmeiyf",
                         "racwdxyltfmei", "yr", "rfl", "iy"}) {
    INFO(ok);
    CHECK(check_service_permissions(ok, why));
  }
  for (const char* bad : {"wr", "dr", "lr", "dw", "lw", "rr", "ru", "rz", "yry", "cr"}) {
    INFO(bad);
    CHECK_FALSE(check_service_permissions(bad, why));
  }
}
