// gen.mjs: the SAS test vectors (vectors.json beside this file), minted by Microsoft's own
// SDK, @azure/storage-blob, pinned in tests/integration/sas/package-lock.json.
//
//   (cd tests/integration/sas && npm ci) && node tests/vectors/sas/gen.mjs
//
// Every "allow" case and most refusals carry a token the SDK made (generateAccountSAS...,
// generateBlobSAS...), with the SDK's own string-to-sign captured from its HMAC call; the
// refusals then change one thing (a field, the key, the URL, the clock, the client address,
// the method) so that each case has a single fault and one expected Azure error code
// (shared/sas/SAS-SPEC.md §7-§8). The output is deterministic: fixed clock, fixed keys.
//
// Case fields: id, method, scheme, path (path-style, /account/container/blob), host_path
// (host-style, /container/blob), query (raw), client_ip, now, headers {name: value},
// secure_transfer_required, string_to_sign (SDK's, when the HMAC step must reproduce it),
// expect ("allow" or the x-ms-error-code), status, reason (our metric label).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHmac } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../integration/sas/package.json"));
const sdk = require("@azure/storage-blob");
const sdkVersion = require("@azure/storage-blob/package.json").version;

const ACCOUNT = "devstoreaccount1";
// Azurite's published well-known development key (key1) and a second, fixed key (key2).
const KEY1 =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const KEY2 = Buffer.from(
  Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)
).toString("base64");
const OTHER_KEY = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 13 + 5) & 0xff)).toString(
  "base64"
);

const NOW = "2026-06-15T12:00:00Z";
const ST = new Date("2026-06-15T11:00:00Z");
const SE = new Date("2026-06-15T13:00:00Z");
const CLIENT = "203.0.113.7";

// Captures the string the SDK HMACs.
function credential(key) {
  const c = new sdk.StorageSharedKeyCredential(ACCOUNT, key);
  const orig = c.computeHMACSHA256.bind(c);
  c.lastStringToSign = null;
  c.computeHMACSHA256 = (s) => {
    c.lastStringToSign = s;
    return orig(s);
  };
  return c;
}
const cred1 = credential(KEY1);
const cred2 = credential(KEY2);
const credOther = credential(OTHER_KEY);

function accountSas(opts, cred = cred1) {
  const q = sdk
    .generateAccountSASQueryParameters(
      {
        version: opts.version,
        services: opts.services ?? "b",
        resourceTypes: opts.resourceTypes ?? "sco",
        permissions: sdk.AccountSASPermissions.parse(opts.permissions ?? "r"),
        startsOn: opts.startsOn === null ? undefined : opts.startsOn ?? ST,
        expiresOn: opts.expiresOn ?? SE,
        ipRange: opts.ipRange,
        protocol: opts.protocol,
        encryptionScope: opts.encryptionScope,
      },
      cred
    )
    .toString();
  return { query: q, sts: cred.lastStringToSign };
}

function blobSas(opts, cred = cred1) {
  const values = {
    version: opts.version,
    containerName: opts.container ?? "photos",
    blobName: opts.blob,
    permissions:
      opts.permissions === undefined
        ? undefined
        : opts.blob
          ? sdk.BlobSASPermissions.parse(opts.permissions)
          : sdk.ContainerSASPermissions.parse(opts.permissions),
    startsOn: opts.startsOn === null ? undefined : opts.startsOn ?? ST,
    expiresOn: opts.expiresOn === null ? undefined : opts.expiresOn ?? SE,
    ipRange: opts.ipRange,
    protocol: opts.protocol,
    identifier: opts.identifier,
    snapshotTime: opts.snapshotTime,
    versionId: opts.versionId,
    isDirectory: opts.isDirectory,
    encryptionScope: opts.encryptionScope,
    cacheControl: opts.rscc,
    contentDisposition: opts.rscd,
    contentEncoding: opts.rsce,
    contentLanguage: opts.rscl,
    contentType: opts.rsct,
  };
  const q = sdk.generateBlobSASQueryParameters(values, cred).toString();
  return { query: q, sts: cred.lastStringToSign };
}

// Path of a blob the way the SDK puts it in a URL: each segment escaped, '/' kept.
function escapePath(name) {
  return name
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
}

const cases = [];
function add(c) {
  const container = c.container ?? "photos";
  let rest = "";
  if (c.level === "service") rest = "";
  else if (c.level === "container") rest = "/" + encodeURIComponent(container);
  else rest = "/" + encodeURIComponent(container) + "/" + escapePath(c.blob ?? "a.txt");
  const hostPath = rest === "" ? "/" : rest;
  const query = [c.opQuery, c.query].filter((x) => x).join("&");
  const out = {
    id: c.id,
    method: c.method ?? "GET",
    scheme: c.scheme ?? "https",
    path: c.path ?? "/" + ACCOUNT + rest,
    host_path: "host_path" in c ? c.host_path : hostPath,
    query,
    client_ip: c.client_ip ?? CLIENT,
    now: c.now ?? NOW,
    headers: c.headers ?? {},
    secure_transfer_required: c.secure_transfer_required ?? true,
    string_to_sign: c.sts ?? null,
    expect: c.expect ?? "allow",
    status: c.expect && c.expect !== "allow" ? (c.status ?? 403) : null,
    reason: c.reason ?? (c.expect && c.expect !== "allow" ? null : "allowed"),
  };
  if (cases.some((x) => x.id === out.id)) throw new Error("duplicate id " + out.id);
  cases.push(out);
}

// Replaces one parameter's raw value in a query string.
function setParam(query, name, value) {
  const parts = query.split("&");
  let found = false;
  const out = parts.map((p) => {
    if (p.split("=")[0] === name) {
      found = true;
      return value === null ? null : name + "=" + value;
    }
    return p;
  });
  if (!found && value !== null) out.push(name + "=" + value);
  return out.filter((p) => p !== null).join("&");
}
function getParam(query, name) {
  for (const p of query.split("&")) {
    const [k, v] = p.split("=");
    if (k === name) return v;
  }
  return undefined;
}
// Flips one character of the signature (still valid Base64).
function tamperSig(query) {
  const sig = decodeURIComponent(getParam(query, "sig"));
  const c = sig[5] === "A" ? "B" : "A";
  return setParam(query, "sig", encodeURIComponent(sig.slice(0, 5) + c + sig.slice(6)));
}

// ---- known answer: Azurite's test suite, devstoreaccount1 key (SAS-SPEC §2) --------------
{
  const t = accountSas({
    version: "2020-12-06",
    services: "btqf",
    resourceTypes: "sco",
    permissions: "rwdlacup",
    startsOn: new Date("2022-04-16T06:31:48Z"),
    expiresOn: new Date("2022-04-17T06:31:48Z"),
    ipRange: { start: "0.0.0.0", end: "255.255.255.255" },
    protocol: "https,http",
  });
  const sig = decodeURIComponent(getParam(t.query, "sig"));
  if (sig !== "QB5jKCJTqn7jcPidkkXAazBQBL6VDMY7HumUIM78ROE=") {
    throw new Error("Azurite known answer mismatch: " + sig + " sts=" + JSON.stringify(t.sts));
  }
  add({
    id: "known-answer-azurite-devstoreaccount1",
    level: "object",
    query: t.query,
    sts: t.sts,
    now: "2022-04-16T12:00:00Z",
  });
}

// ---- account SAS across versions ----------------------------------------------------------
const ACCOUNT_VERSIONS = [
  "2015-04-05", "2017-11-09", "2018-11-09", "2019-12-12", "2020-10-02", "2020-12-06",
  "2021-08-06", "2023-11-03", "2024-11-04", "2025-05-05", "2025-07-05", "2026-04-06",
  "2026-10-06",
];
for (const v of ACCOUNT_VERSIONS) {
  const t = accountSas({ version: v, resourceTypes: "o", permissions: "r" });
  add({ id: `acct-getblob-v${v}`, level: "object", query: t.query, sts: t.sts });
  add({
    id: `acct-getblob-v${v}-tampered-sig`,
    level: "object",
    query: tamperSig(t.query),
    expect: "AuthenticationFailed",
    reason: "signature_mismatch",
    sts: t.sts,
  });
  const all = accountSas({
    version: v,
    services: "btqf",
    resourceTypes: "sco",
    permissions: v >= "2020-08-04" ? "rwdxftlacupi" : v >= "2019-12-12" ? "rwdxftlacup" : "rwdlacup",
    ipRange: { start: "203.0.113.0", end: "203.0.113.255" },
    protocol: "https",
  });
  add({ id: `acct-all-v${v}-putblob`, level: "object", method: "PUT", query: all.query, sts: all.sts });
  add({ id: `acct-all-v${v}-listcontainers`, level: "service", opQuery: "comp=list", query: all.query, sts: all.sts });
}
// SDK default version (no `version` given).
{
  const t = accountSas({ resourceTypes: "sco", permissions: "rl" });
  add({ id: "acct-sdk-default-version-listblobs", level: "container", opQuery: "restype=container&comp=list", query: t.query, sts: t.sts });
}
// Encryption scope (2020-12-06+).
{
  const t = accountSas({ version: "2020-12-06", resourceTypes: "o", permissions: "rw", encryptionScope: "scope1" });
  add({ id: "acct-ses-putblob", level: "object", method: "PUT", query: t.query, sts: t.sts });
  add({ id: "acct-ses-tampered", level: "object", method: "PUT", query: setParam(t.query, "ses", "scope2"), expect: "AuthenticationFailed", reason: "signature_mismatch" });
  add({ id: "acct-ses-old-version", level: "object", query: setParam(setParam(t.query, "sv", "2019-12-12"), "ses", "scope1"), expect: "AuthenticationFailed", reason: "malformed" });
}
// Without st: valid from "now".
{
  const t = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", startsOn: null });
  add({ id: "acct-no-start", level: "object", query: t.query, sts: t.sts });
  const past = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", startsOn: null, expiresOn: new Date("2026-06-15T11:59:00Z") });
  add({ id: "acct-no-start-expired", level: "object", query: past.query, expect: "AuthenticationFailed", reason: "expiry_before_start" });
}

// ---- account SAS: operations, permissions, resource types, services -------------------------
const ops = [
  // [id, level, method, opQuery, headers, account letters allowed, srt]
  ["listcontainers", "service", "GET", "comp=list", {}, "l", "s"],
  ["getserviceprops", "service", "GET", "restype=service&comp=properties", {}, "r", "s"],
  ["setserviceprops", "service", "PUT", "restype=service&comp=properties", {}, "w", "s"],
  ["servicestats", "service", "GET", "restype=service&comp=stats", {}, "r", "s"],
  ["createcontainer", "container", "PUT", "restype=container", {}, "cw", "c"],
  ["getcontainerprops", "container", "HEAD", "restype=container", {}, "r", "c"],
  ["getcontainermeta", "container", "GET", "restype=container&comp=metadata", {}, "r", "c"],
  ["setcontainermeta", "container", "PUT", "restype=container&comp=metadata", {}, "w", "c"],
  ["deletecontainer", "container", "DELETE", "restype=container", {}, "d", "c"],
  ["leasecontainer", "container", "PUT", "restype=container&comp=lease", { "x-ms-lease-action": "acquire" }, "w", "c"],
  ["breakleasecontainer", "container", "PUT", "restype=container&comp=lease", { "x-ms-lease-action": "break" }, "wd", "c"],
  ["listblobs", "container", "GET", "restype=container&comp=list", {}, "l", "c"],
  ["getblob", "object", "GET", "", {}, "r", "o"],
  ["headblob", "object", "HEAD", "", {}, "r", "o"],
  ["getblobmeta", "object", "GET", "comp=metadata", {}, "r", "o"],
  ["getblocklist", "object", "GET", "comp=blocklist", {}, "r", "o"],
  ["putblob", "object", "PUT", "", { "x-ms-blob-type": "BlockBlob" }, "cw", "o"],
  ["copyblob", "object", "PUT", "", { "x-ms-copy-source": "https://example.invalid/x" }, "cw", "o"],
  ["putblock", "object", "PUT", "comp=block&blockid=AAAA", {}, "w", "o"],
  ["putblocklist", "object", "PUT", "comp=blocklist", {}, "w", "o"],
  ["putpage", "object", "PUT", "comp=page", {}, "w", "o"],
  ["appendblock", "object", "PUT", "comp=appendblock", {}, "aw", "o"],
  ["setblobprops", "object", "PUT", "comp=properties", {}, "w", "o"],
  ["setblobmeta", "object", "PUT", "comp=metadata", {}, "w", "o"],
  ["leaseblob", "object", "PUT", "comp=lease", { "x-ms-lease-action": "acquire" }, "w", "o"],
  ["breakleaseblob", "object", "PUT", "comp=lease", { "x-ms-lease-action": "break" }, "wd", "o"],
  ["snapshotblob", "object", "PUT", "comp=snapshot", {}, "cw", "o"],
  ["settier", "object", "PUT", "comp=tier", {}, "w", "o"],
  ["gettags", "object", "GET", "comp=tags", {}, "t", "o"],
  ["settags", "object", "PUT", "comp=tags", {}, "t", "o"],
  ["deleteblob", "object", "DELETE", "", {}, "d", "o"],
  ["deleteversion", "object", "DELETE", "versionid=2026-06-01T00%3A00%3A00.0000000Z", {}, "x", "o"],
  ["permanentdelete", "object", "DELETE", "deletetype=permanent", {}, "y", "o"],
  ["findbytags", "service", "GET", "comp=blobs&where=%22a%22%3D%271%27", {}, "f", "o"],
  ["setimmutability", "object", "PUT", "comp=immutabilityPolicies", {}, "i", "o"],
];
const ACCOUNT_LETTERS = "rwdxylacuptfi";
const LETTER_VERSION = { x: "2019-12-12", y: "2019-12-12", t: "2019-12-12", f: "2019-12-12", i: "2020-08-04" };
for (const [name, level, method, opQuery, headers, letters, srt] of ops) {
  // One allowed token per letter that authorises the operation.
  for (const l of letters) {
    const t = accountSas({ version: "2021-08-06", resourceTypes: "sco", permissions: l });
    add({ id: `acct-op-${name}-sp-${l}`, level, method, opQuery, headers, query: t.query, sts: t.sts });
  }
  // Every other letter (except ones the SDK refuses at this version) is not enough.
  const others = [...ACCOUNT_LETTERS].filter((l) => !letters.includes(l)).join("");
  const t = accountSas({ version: "2021-08-06", resourceTypes: "sco", permissions: others });
  add({ id: `acct-op-${name}-wrong-permission`, level, method, opQuery, headers, query: t.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  // The resource types without the operation's level.
  const rts = ["s", "c", "o"].filter((x) => x !== srt).join("");
  const r = accountSas({ version: "2021-08-06", resourceTypes: rts, permissions: letters });
  add({ id: `acct-op-${name}-wrong-srt`, level, method, opQuery, headers, query: r.query, expect: "AuthorizationResourceTypeMismatch", reason: "resource_type_mismatch" });
}
{
  const t = accountSas({ version: "2021-08-06", services: "qft", resourceTypes: "sco", permissions: "rwdl" });
  add({ id: "acct-service-mismatch", level: "object", query: t.query, expect: "AuthorizationServiceMismatch", reason: "service_mismatch" });
  const u = accountSas({ version: "2021-08-06", services: "f", resourceTypes: "o", permissions: "r" });
  add({ id: "acct-service-mismatch-file-only", level: "object", query: u.query, expect: "AuthorizationServiceMismatch", reason: "service_mismatch" });
}
// Account SAS letter order is free (the signature covers the raw string).
for (const [id, sp, expect, reason] of [
  ["acct-sp-any-order", "lwr", "allow", "allowed"],
  ["acct-sp-duplicate", "rr", "AuthenticationFailed", "malformed"],
  ["acct-sp-unknown-letter", "rz", "AuthenticationFailed", "malformed"],
]) {
  // Signed with the raw (non-normalised) string, as a hand-rolled client would.
  const sts = [ACCOUNT, sp, "b", "o", "2026-06-15T11:00:00Z", "2026-06-15T13:00:00Z", "", "", "2021-08-06", "", ""].join("\n");
  const sig = createHmac("sha256", Buffer.from(KEY1, "base64")).update(sts, "utf8").digest("base64");
  const query = `sv=2021-08-06&ss=b&srt=o&st=2026-06-15T11%3A00%3A00Z&se=2026-06-15T13%3A00%3A00Z&sp=${sp}&sig=${encodeURIComponent(sig)}`;
  add({ id, level: "object", query, sts: expect === "allow" ? sts : null, expect, reason });
}

// ---- key rotation -------------------------------------------------------------------------
{
  const t = accountSas({ version: "2025-05-05", resourceTypes: "o", permissions: "r" }, cred2);
  add({ id: "acct-signed-with-key2", level: "object", query: t.query, sts: t.sts });
  const s = blobSas({ version: "2025-05-05", blob: "a.txt", permissions: "r" }, cred2);
  add({ id: "svc-signed-with-key2", level: "object", query: s.query, sts: s.sts });
  const o = accountSas({ version: "2025-05-05", resourceTypes: "o", permissions: "r" }, credOther);
  add({ id: "acct-signed-with-unknown-key", level: "object", query: o.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
}

// ---- time ---------------------------------------------------------------------------------
{
  const t = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r" });
  add({ id: "time-expired", level: "object", query: t.query, now: "2026-06-15T13:00:01Z", expect: "AuthenticationFailed", reason: "expired" });
  add({ id: "time-not-yet-valid", level: "object", query: t.query, now: "2026-06-15T10:59:59Z", expect: "AuthenticationFailed", reason: "not_yet_valid" });
  add({ id: "time-at-start", level: "object", query: t.query, now: "2026-06-15T11:00:00Z" });
  add({ id: "time-at-expiry", level: "object", query: t.query, now: "2026-06-15T13:00:00Z" });
  const bad = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", startsOn: new Date("2026-06-15T13:00:00Z"), expiresOn: new Date("2026-06-15T12:30:00Z") });
  add({ id: "time-expiry-before-start", level: "object", query: bad.query, expect: "AuthenticationFailed", reason: "expiry_before_start" });
  add({ id: "time-tampered-se", level: "object", query: setParam(t.query, "se", "2026-06-15T23%3A00%3A00Z"), expect: "AuthenticationFailed", reason: "signature_mismatch" });
}
// ISO-8601 forms Azure accepts: the raw string is signed, parsed separately.
for (const [id, st, se, now, expect, reason] of [
  ["iso-date-only", "2026-06-15", "2026-06-16", NOW, "allow", "allowed"],
  ["iso-minutes", "2026-06-15T11:00Z", "2026-06-15T13:00Z", NOW, "allow", "allowed"],
  ["iso-fraction-7", "2026-06-15T11:00:00.1234567Z", "2026-06-15T12:00:00.0000001Z", NOW, "allow", "allowed"],
  ["iso-fraction-1", "2026-06-15T11:00:00.5Z", "2026-06-15T12:00:00.5Z", NOW, "allow", "allowed"],
  ["iso-offset-plus", "2026-06-15T13:00:00+02:00", "2026-06-15T15:00:00+02:00", NOW, "allow", "allowed"],
  ["iso-offset-minus", "2026-06-15T06:00:00-05:00", "2026-06-15T08:00:00-05:00", NOW, "allow", "allowed"],
  ["iso-offset-expired", "2026-06-15T13:00:00+02:00", "2026-06-15T13:59:59+02:00", NOW, "AuthenticationFailed", "expired"],
  ["iso-no-zone", "2026-06-15T11:00:00", "2026-06-15T13:00:00", NOW, "allow", "allowed"],
  ["iso-bad-month", "2026-13-15T11:00:00Z", "2026-06-15T13:00:00Z", NOW, "AuthenticationFailed", "malformed"],
  ["iso-bad-day", "2026-02-29T11:00:00Z", "2026-06-15T13:00:00Z", NOW, "AuthenticationFailed", "malformed"],
  ["iso-leap-day", "2028-02-29T11:00:00Z", "2028-02-29T13:00:00Z", "2028-02-29T12:00:00Z", "allow", "allowed"],
  ["iso-8-fraction-digits", "2026-06-15T11:00:00.12345678Z", "2026-06-15T13:00:00Z", NOW, "AuthenticationFailed", "malformed"],
  ["iso-words", "yesterday", "2026-06-15T13:00:00Z", NOW, "AuthenticationFailed", "malformed"],
]) {
  const sts = [ACCOUNT, "r", "b", "o", st, se, "", "", "2021-08-06", "", ""].join("\n");
  const sig = createHmac("sha256", Buffer.from(KEY1, "base64")).update(sts, "utf8").digest("base64");
  const query = `sv=2021-08-06&ss=b&srt=o&st=${encodeURIComponent(st)}&se=${encodeURIComponent(se)}&sp=r&sig=${encodeURIComponent(sig)}`;
  add({ id, level: "object", query, now, sts: expect === "allow" ? sts : null, expect, reason });
}
// A raw '+' in an offset form-decodes to a space: not well formed (SAS-SPEC §1).
{
  const st = "2026-06-15T13:00:00+02:00";
  const se = "2026-06-15T15:00:00+02:00";
  const sts = [ACCOUNT, "r", "b", "o", st, se, "", "", "2021-08-06", "", ""].join("\n");
  const sig = createHmac("sha256", Buffer.from(KEY1, "base64")).update(sts, "utf8").digest("base64");
  add({ id: "iso-raw-plus-offset", level: "object", query: `sv=2021-08-06&ss=b&srt=o&st=${st}&se=${se}&sp=r&sig=${encodeURIComponent(sig)}`, expect: "AuthenticationFailed", reason: "malformed" });
}

// ---- sip ----------------------------------------------------------------------------------
for (const [id, ipRange, client, expect, reason] of [
  ["sip-single-match", { start: "203.0.113.7" }, "203.0.113.7", "allow", "allowed"],
  ["sip-single-mismatch", { start: "203.0.113.7" }, "203.0.113.8", "AuthorizationSourceIPMismatch", "ip_mismatch"],
  ["sip-range-match", { start: "198.51.100.10", end: "198.51.100.20" }, "198.51.100.15", "allow", "allowed"],
  ["sip-range-low-edge", { start: "198.51.100.10", end: "198.51.100.20" }, "198.51.100.10", "allow", "allowed"],
  ["sip-range-high-edge", { start: "198.51.100.10", end: "198.51.100.20" }, "198.51.100.20", "allow", "allowed"],
  ["sip-range-string-trap-100", { start: "198.51.100.10", end: "198.51.100.20" }, "198.51.100.100", "AuthorizationSourceIPMismatch", "ip_mismatch"],
  ["sip-range-string-trap-2", { start: "198.51.100.10", end: "198.51.100.20" }, "198.51.100.2", "AuthorizationSourceIPMismatch", "ip_mismatch"],
  ["sip-range-across-octets", { start: "10.0.255.250", end: "10.1.0.5" }, "10.1.0.3", "allow", "allowed"],
  ["sip-range-across-octets-out", { start: "10.0.255.250", end: "10.1.0.5" }, "10.0.255.249", "AuthorizationSourceIPMismatch", "ip_mismatch"],
  ["sip-ipv6-client", { start: "203.0.113.7" }, "2001:db8::7", "AuthorizationSourceIPMismatch", "ip_mismatch"],
  ["sip-ipv4-mapped-client", { start: "203.0.113.7" }, "::ffff:203.0.113.7", "allow", "allowed"],
  ["sip-any", { start: "0.0.0.0", end: "255.255.255.255" }, "192.0.2.1", "allow", "allowed"],
]) {
  const t = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", ipRange });
  add({ id: `acct-${id}`, level: "object", query: t.query, client_ip: client, sts: expect === "allow" ? t.sts : null, expect, reason });
  const s = blobSas({ version: "2022-11-02", blob: "a.txt", permissions: "r", ipRange });
  add({ id: `svc-${id}`, level: "object", query: s.query, client_ip: client, sts: expect === "allow" ? s.sts : null, expect, reason });
}

// ---- spr and plain HTTP -------------------------------------------------------------------
{
  const https = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", protocol: "https" });
  const both = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", protocol: "https,http" });
  add({ id: "spr-https-over-https", level: "object", query: https.query, sts: https.sts });
  add({ id: "spr-https-over-http-secure-account", level: "object", scheme: "http", query: https.query, expect: "AccountRequiresHttps", status: 400, reason: "http_not_allowed" });
  add({ id: "spr-both-over-http-secure-account", level: "object", scheme: "http", query: both.query, expect: "AccountRequiresHttps", status: 400, reason: "http_not_allowed" });
  add({ id: "no-sas-over-http-secure-account", level: "object", scheme: "http", query: "", expect: "AccountRequiresHttps", status: 400, reason: "http_not_allowed" });
  add({ id: "spr-https-over-http-lax-account", level: "object", scheme: "http", secure_transfer_required: false, query: https.query, expect: "AuthorizationProtocolMismatch", reason: "protocol_mismatch" });
  add({ id: "spr-both-over-http-lax-account", level: "object", scheme: "http", secure_transfer_required: false, query: both.query, sts: both.sts });
  const svc = blobSas({ version: "2021-12-02", blob: "a.txt", permissions: "r", protocol: "https" });
  add({ id: "svc-spr-https-over-http-lax-account", level: "object", scheme: "http", secure_transfer_required: false, query: svc.query, expect: "AuthorizationProtocolMismatch", reason: "protocol_mismatch" });
  add({ id: "spr-http-only", level: "object", query: setParam(https.query, "spr", "http"), expect: "AuthenticationFailed", reason: "malformed" });
}

// ---- service SAS across versions and resources ---------------------------------------------
const SERVICE_VERSIONS = [
  "2015-04-05", "2016-05-31", "2017-11-09", "2018-11-09", "2019-07-07", "2019-12-12",
  "2020-02-10", "2020-10-02", "2020-12-06", "2021-08-06", "2021-12-02", "2022-11-02",
  "2023-08-03", "2024-08-04", "2025-01-05", "2025-07-05", "2026-04-06", "2026-10-06",
];
for (const v of SERVICE_VERSIONS) {
  const b = blobSas({ version: v, blob: "docs/report 2026.pdf", permissions: "r" });
  add({ id: `svc-b-v${v}-getblob`, level: "object", blob: "docs/report 2026.pdf", query: b.query, sts: b.sts });
  add({ id: `svc-b-v${v}-other-blob`, level: "object", blob: "docs/other.pdf", query: b.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  add({ id: `svc-b-v${v}-other-container`, level: "object", container: "secret", blob: "docs/report 2026.pdf", query: b.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  const c = blobSas({ version: v, permissions: "rl" });
  add({ id: `svc-c-v${v}-listblobs`, level: "container", opQuery: "restype=container&comp=list", query: c.query, sts: c.sts });
  add({ id: `svc-c-v${v}-getblob`, level: "object", blob: "any/name.bin", query: c.query, sts: c.sts });
  add({ id: `svc-c-v${v}-putblob-no-w`, level: "object", method: "PUT", blob: "new.bin", query: c.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  const o = blobSas({
    version: v, blob: "a.txt", permissions: "r",
    rscc: "no-cache", rscd: 'attachment; filename="a b.txt"', rsce: "gzip", rscl: "en-US", rsct: "text/plain; charset=utf-8",
  });
  add({ id: `svc-b-v${v}-overrides`, level: "object", query: o.query, sts: o.sts });
  add({ id: `svc-b-v${v}-overrides-tampered-rsct`, level: "object", query: setParam(o.query, "rsct", "text%2Fhtml"), expect: "AuthenticationFailed", reason: "signature_mismatch" });
  add({ id: `svc-b-v${v}-overrides-added-rscd`, level: "object", query: setParam(b.query, "rscd", "inline"), blob: "docs/report 2026.pdf", expect: "AuthenticationFailed", reason: "signature_mismatch" });
  if (v >= "2018-11-09") {
    const snap = "2026-06-01T10:20:30.1234567Z";
    const bs = blobSas({ version: v, blob: "a.txt", permissions: "rd", snapshotTime: snap });
    add({ id: `svc-bs-v${v}-getsnapshot`, level: "object", opQuery: "snapshot=" + encodeURIComponent(snap), query: bs.query, sts: bs.sts });
    add({ id: `svc-bs-v${v}-other-snapshot`, level: "object", opQuery: "snapshot=2026-06-02T10%3A20%3A30.1234567Z", query: bs.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
    add({ id: `svc-bs-v${v}-base-blob`, level: "object", query: bs.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  }
  if (v >= "2019-10-10") {
    const vid = "2026-06-01T10:20:30.7654321Z";
    const bv = blobSas({ version: v, blob: "a.txt", permissions: "rx", versionId: vid });
    add({ id: `svc-bv-v${v}-getversion`, level: "object", opQuery: "versionid=" + encodeURIComponent(vid), query: bv.query, sts: bv.sts });
    add({ id: `svc-bv-v${v}-deleteversion`, level: "object", method: "DELETE", opQuery: "versionid=" + encodeURIComponent(vid), query: bv.query, sts: bv.sts });
    add({ id: `svc-bv-v${v}-other-version`, level: "object", opQuery: "versionid=2026-06-01T10%3A20%3A31.0000000Z", query: bv.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  }
  if (v >= "2020-02-10") {
    const d = blobSas({ version: v, blob: "dir/sub", permissions: "rw", isDirectory: true });
    add({ id: `svc-d-v${v}-blob-below`, level: "object", blob: "dir/sub/deeper/x.txt", query: d.query, sts: d.sts });
    add({ id: `svc-d-v${v}-blob-outside`, level: "object", blob: "dir/other/x.txt", query: d.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  }
  if (v >= "2020-12-06") {
    const e = blobSas({ version: v, blob: "a.txt", permissions: "cw", encryptionScope: "scope1" });
    add({ id: `svc-ses-v${v}-putblob`, level: "object", method: "PUT", query: e.query, sts: e.sts });
  }
}
// Service SAS: container-level and service-level operations it cannot do.
{
  const c = blobSas({ version: "2023-08-03", permissions: "racwdl" });
  add({ id: "svc-c-cannot-create-container", level: "container", method: "PUT", opQuery: "restype=container", query: c.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "svc-c-cannot-get-container-props", level: "container", opQuery: "restype=container", query: c.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "svc-c-cannot-delete-container", level: "container", method: "DELETE", opQuery: "restype=container", query: c.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "svc-c-acl-forbidden", level: "container", method: "PUT", opQuery: "restype=container&comp=acl", query: c.query, expect: "AuthorizationFailure", reason: "operation_not_allowed" });
  add({ id: "svc-c-putblob", level: "object", method: "PUT", blob: "up/new.bin", query: c.query, sts: c.sts });
  add({ id: "svc-c-deleteblob", level: "object", method: "DELETE", blob: "up/new.bin", query: c.query, sts: c.sts });
  add({ id: "svc-c-appendblock", level: "object", method: "PUT", opQuery: "comp=appendblock", blob: "log.txt", query: c.query, sts: c.sts });
  const r = blobSas({ version: "2023-08-03", permissions: "r" });
  add({ id: "svc-c-listblobs-no-l", level: "container", opQuery: "restype=container&comp=list", query: r.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "svc-c-deleteblob-no-d", level: "object", method: "DELETE", query: r.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "svc-c-deleteversion-needs-x", level: "object", method: "DELETE", opQuery: "versionid=2026-06-01T00%3A00%3A00.0000000Z", query: blobSas({ version: "2023-08-03", permissions: "d" }).query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  const t = blobSas({ version: "2023-08-03", permissions: "rt" });
  add({ id: "svc-c-settags", level: "object", method: "PUT", opQuery: "comp=tags", query: t.query, sts: t.sts });
  const f = blobSas({ version: "2023-08-03", permissions: "f" });
  add({ id: "svc-c-findbytags", level: "container", opQuery: "restype=container&comp=blobs&where=%22a%22%3D%271%27", query: f.query, sts: f.sts });
}
// Blob names: escaping in the path, '+' literal, unicode, root container.
for (const [id, blob] of [
  ["name-space", "my file.txt"],
  ["name-plus", "a+b.txt"],
  ["name-unicode", "résumé/日本語.txt"],
  ["name-reserved", "q?x=1&y=#z.txt"],
  ["name-percent", "100%.txt"],
  ["name-deep", "a/b/c/d/e/f.txt"],
]) {
  const b = blobSas({ version: "2024-08-04", blob, permissions: "r" });
  add({ id: `svc-${id}`, level: "object", blob, query: b.query, sts: b.sts });
}
{
  // "a+b.txt" requested with a raw '+': a literal '+' in a path (no form decoding).
  const b = blobSas({ version: "2024-08-04", blob: "a+b.txt", permissions: "r" });
  add({ id: "svc-name-raw-plus-in-path", level: "object", path: `/${ACCOUNT}/photos/a+b.txt`, host_path: "/photos/a+b.txt", query: b.query, sts: b.sts });
  const sp = blobSas({ version: "2024-08-04", blob: "a b.txt", permissions: "r" });
  add({ id: "svc-name-plus-is-not-space", level: "object", path: `/${ACCOUNT}/photos/a+b.txt`, host_path: "/photos/a+b.txt", query: sp.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  const root = blobSas({ version: "2024-08-04", container: "$root", blob: "top.txt", permissions: "r" });
  add({ id: "svc-root-container-implicit", level: "object", path: `/${ACCOUNT}/top.txt`, host_path: "/top.txt", query: root.query, sts: root.sts });
  add({ id: "svc-root-container-explicit", level: "object", container: "$root", blob: "top.txt", query: root.query, sts: root.sts });
  add({ id: "svc-bad-escape-in-path", level: "object", path: `/${ACCOUNT}/photos/a%zz.txt`, host_path: "/photos/a%zz.txt", query: root.query, expect: "InvalidUri", status: 400, reason: "invalid_uri" });
  add({ id: "svc-dot-segments-not-resolved", level: "object", path: `/${ACCOUNT}/photos/x/../a.txt`, host_path: "/photos/x/../a.txt", query: blobSas({ version: "2024-08-04", blob: "a.txt", permissions: "r" }).query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
}

// ---- service SAS permission letter rules (SAS-SPEC §5) --------------------------------------
for (const [id, sp, expect, reason] of [
  ["svc-sp-sdk-order-container", "racwdxltmeiyf", "allow", "allowed"],
  ["svc-sp-python-order", "racwdxyltfmei", "allow", "allowed"],
  ["svc-sp-rw", "rw", "allow", "allowed"],
  ["svc-sp-rl", "rl", "allow", "allowed"],
  ["svc-sp-wr", "wr", "AuthenticationFailed", "malformed"],
  ["svc-sp-dr", "dr", "AuthenticationFailed", "malformed"],
  ["svc-sp-lr", "lr", "AuthenticationFailed", "malformed"],
  ["svc-sp-dup", "rr", "AuthenticationFailed", "malformed"],
  ["svc-sp-unknown", "rq", "AuthenticationFailed", "malformed"],
  ["svc-sp-account-only-letter", "ru", "AuthenticationFailed", "malformed"],
]) {
  const canon = `/blob/${ACCOUNT}/photos`;
  const sts = [sp, "2026-06-15T11:00:00Z", "2026-06-15T13:00:00Z", canon, "", "", "", "2021-08-06", "c", "", "", "", "", "", "", ""].join("\n");
  const sig = createHmac("sha256", Buffer.from(KEY1, "base64")).update(sts, "utf8").digest("base64");
  const query = `sv=2021-08-06&st=2026-06-15T11%3A00%3A00Z&se=2026-06-15T13%3A00%3A00Z&sr=c&sp=${sp}&sig=${encodeURIComponent(sig)}`;
  add({ id, level: "object", query, sts: expect === "allow" ? sts : null, expect, reason });
}

// ---- stored access policies (si) ------------------------------------------------------------
const storedPolicies = [
  { container: "photos", id: "read-all", permissions: "rl", start: "2026-01-01T00:00:00Z", expiry: "2027-01-01T00:00:00Z" },
  { container: "photos", id: "expiry-only", expiry: "2027-01-01T00:00:00Z" },
  { container: "photos", id: "perms-only", permissions: "rw" },
  { container: "photos", id: "expired", permissions: "r", start: "2025-01-01T00:00:00Z", expiry: "2026-01-01T00:00:00Z" },
  { container: "archive", id: "read-all", permissions: "r", expiry: "2027-01-01T00:00:00Z" },
];
{
  const a = blobSas({ version: "2023-11-03", identifier: "read-all", startsOn: null, expiresOn: null });
  add({ id: "si-full-policy-listblobs", level: "container", opQuery: "restype=container&comp=list", query: a.query, sts: a.sts });
  add({ id: "si-full-policy-getblob", level: "object", query: a.query, sts: a.sts });
  add({ id: "si-full-policy-putblob-no-w", level: "object", method: "PUT", query: a.query, expect: "AuthorizationPermissionMismatch", reason: "permission_mismatch" });
  add({ id: "si-other-container-same-id", level: "object", container: "archive", query: a.query, expect: "AuthenticationFailed", reason: "signature_mismatch" });
  const b = blobSas({ version: "2023-11-03", identifier: "expiry-only", permissions: "r", expiresOn: null });
  add({ id: "si-expiry-from-policy", level: "object", query: b.query, sts: b.sts });
  const c = blobSas({ version: "2023-11-03", identifier: "perms-only", permissions: undefined });
  add({ id: "si-perms-from-policy", level: "object", method: "PUT", query: c.query, sts: c.sts });
  const d = blobSas({ version: "2023-11-03", identifier: "read-all", permissions: "r", startsOn: null, expiresOn: null });
  add({ id: "si-sp-in-both", level: "object", query: d.query, expect: "AuthenticationFailed", reason: "policy_conflict" });
  const e = blobSas({ version: "2023-11-03", identifier: "read-all", startsOn: null });
  add({ id: "si-se-in-both", level: "object", query: e.query, expect: "AuthenticationFailed", reason: "policy_conflict" });
  const f = blobSas({ version: "2023-11-03", identifier: "revoked", permissions: "r" });
  add({ id: "si-revoked-policy", level: "object", query: f.query, expect: "AuthenticationFailed", reason: "unknown_policy" });
  const g = blobSas({ version: "2023-11-03", identifier: "expired", startsOn: null, expiresOn: null });
  add({ id: "si-policy-expired", level: "object", query: g.query, expect: "AuthenticationFailed", reason: "expired" });
  const h = blobSas({ version: "2023-11-03", identifier: "perms-only", permissions: undefined, expiresOn: null });
  add({ id: "si-no-expiry-anywhere", level: "object", query: h.query, expect: "AuthenticationFailed", reason: "missing_field" });
  const acct = accountSas({ version: "2023-11-03", resourceTypes: "o", permissions: "r" });
  add({ id: "si-on-account-sas", level: "object", query: acct.query + "&si=read-all", expect: "AuthenticationFailed", reason: "malformed" });
}

// ---- request shapes: missing / duplicated / mixed parameters --------------------------------
{
  const t = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r" });
  add({ id: "no-sas-at-all", level: "object", query: "", expect: "AuthenticationFailed", reason: "no_signature" });
  add({ id: "no-sig", level: "object", query: setParam(t.query, "sig", null), expect: "AuthenticationFailed", reason: "no_signature" });
  add({ id: "empty-sig", level: "object", query: setParam(t.query, "sig", ""), expect: "AuthenticationFailed", reason: "no_signature" });
  add({ id: "duplicate-sp", level: "object", query: t.query + "&sp=rwd", expect: "AuthenticationFailed", reason: "duplicate_parameter" });
  add({ id: "duplicate-sig", level: "object", query: t.query + "&sig=" + getParam(t.query, "sig"), expect: "AuthenticationFailed", reason: "duplicate_parameter" });
  add({ id: "duplicate-sp-other-case", level: "object", query: t.query + "&SP=r", expect: "AuthenticationFailed", reason: "duplicate_parameter" });
  add({ id: "missing-sp", level: "object", query: setParam(t.query, "sp", null), expect: "AuthenticationFailed", reason: "missing_field" });
  add({ id: "missing-se", level: "object", query: setParam(t.query, "se", null), expect: "AuthenticationFailed", reason: "missing_field" });
  add({ id: "missing-sv", level: "object", query: setParam(t.query, "sv", null), expect: "AuthenticationFailed", reason: "missing_field" });
  add({ id: "unsupported-old-version", level: "object", query: setParam(t.query, "sv", "2014-02-14"), expect: "AuthenticationFailed", reason: "unsupported_version" });
  add({ id: "unsupported-future-version", level: "object", query: setParam(t.query, "sv", "2099-01-01"), expect: "AuthenticationFailed", reason: "unsupported_version" });
  add({ id: "mixed-account-and-service", level: "object", query: t.query + "&sr=b", expect: "AuthenticationFailed", reason: "malformed" });
  add({ id: "user-delegation", level: "object", query: t.query + "&skoid=00000000-0000-0000-0000-000000000000", expect: "AuthenticationFailed", reason: "unsupported_kind" });
  add({ id: "shared-key-header", level: "object", headers: { authorization: "SharedKey devstoreaccount1:abc=" }, query: t.query, expect: "AuthenticationFailed", reason: "authorization_header" });
  add({ id: "unrelated-params-ignored", level: "object", query: "timeout=30&api-version=2021-08-06&" + t.query, sts: t.sts });
  add({ id: "param-order-irrelevant", level: "object", query: t.query.split("&").reverse().join("&"), sts: t.sts });
  add({ id: "lowercase-hex-escapes", level: "object", query: t.query.replace(/%3A/g, "%3a"), sts: t.sts });
  add({ id: "unneeded-escapes", level: "object", query: t.query.replace(/se=2026-06-15/, "se=2026%2D06%2D15"), sts: t.sts });
  add({ id: "double-encoded-colon", level: "object", query: t.query.replace(/%3A/g, "%253A"), expect: "AuthenticationFailed", reason: "malformed" });
  // A signature holding '+', sent unencoded: the '+' form-decodes to a space (SAS-SPEC §1).
  for (let minute = 0; minute < 60; ++minute) {
    const u = accountSas({ version: "2021-08-06", resourceTypes: "o", permissions: "r", startsOn: new Date(Date.UTC(2026, 5, 15, 11, minute)) });
    const sig = decodeURIComponent(getParam(u.query, "sig"));
    if (!sig.includes("+")) continue;
    add({ id: "sig-raw-plus", level: "object", query: setParam(u.query, "sig", sig.replace(/\//g, "%2F").replace(/=/g, "%3D")), expect: "AuthenticationFailed", reason: "signature_mismatch" });
    add({ id: "sig-encoded-plus", level: "object", query: u.query, sts: u.sts });
    break;
  }
  add({ id: "batch-refused", level: "service", method: "POST", opQuery: "comp=batch", query: accountSas({ version: "2021-08-06", resourceTypes: "sco", permissions: "rwdl" }).query, expect: "AuthorizationFailure", reason: "operation_not_allowed" });
  add({ id: "unknown-comp-refused", level: "object", opQuery: "comp=frobnicate", query: t.query, expect: "AuthorizationFailure", reason: "operation_not_allowed" });
  add({ id: "account-mismatch-in-path", level: "object", path: "/otheraccount/photos/a.txt", host_path: null, query: t.query, expect: "AuthenticationFailed", reason: "unknown_account" });
  add({ id: "cors-preflight", level: "object", method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "PUT" }, query: "", reason: "cors_preflight" });
}

const out = {
  generator: "tests/vectors/sas/gen.mjs",
  sdk: `@azure/storage-blob ${sdkVersion}`,
  account: ACCOUNT,
  key1: KEY1,
  key2: KEY2,
  now: NOW,
  stored_policies: storedPolicies,
  cases,
};
writeFileSync(join(here, "vectors.json"), JSON.stringify(out, null, 1) + "\n");
const counts = {};
for (const c of cases) counts[c.expect] = (counts[c.expect] ?? 0) + 1;
console.log(`wrote ${cases.length} cases to vectors.json:`, JSON.stringify(counts));
