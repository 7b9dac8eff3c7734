// scenarios.mjs: the SDK side of tests/integration/sas_azurite.sh.
//
//   node scenarios.mjs <gateway https origin> <gateway http origin> <azurite origin>
//
// Microsoft's @azure/storage-blob client talks to the gateway's HTTPS URL (path style,
// /devstoreaccount1) with SAS tokens it mints itself; Azurite is the backend. Tokens allow
// `spr=https,http`: the gateway forwards to Azurite over plain HTTP on loopback, and Azurite
// checks `spr` against its own hop. Prints one JSON
// line per check: {"check": name, "ok": bool, "detail": ...}. A refusal must come from the
// gateway (its own x-ms-error-code, and no Azurite `server` header), never from Azurite, which
// is lax (no sip, no HTTPS-only).
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
} from "@azure/storage-blob";

const [gwHttps, gwHttp, azurite] = process.argv.slice(2);
const ACCOUNT = "devstoreaccount1";
const KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const cred = new StorageSharedKeyCredential(ACCOUNT, KEY);
const container = "it-" + process.pid;
const now = Date.now();
const start = new Date(now - 15 * 60 * 1000);
const expiry = new Date(now + 60 * 60 * 1000);
// No retries: a refused request must surface at once, and a retry would hide where it failed.
const pipelineOptions = { retryOptions: { maxTries: 1 } };

let failures = 0;
function report(check, ok, detail) {
  if (!ok) failures++;
  console.log(JSON.stringify({ check, ok, detail: detail ?? null }));
}

function accountSas(opts = {}) {
  return generateAccountSASQueryParameters(
    {
      services: AccountSASServices.parse("b").toString(),
      resourceTypes: AccountSASResourceTypes.parse(opts.resourceTypes ?? "sco").toString(),
      permissions: AccountSASPermissions.parse(opts.permissions ?? "rwdlac"),
      startsOn: opts.startsOn ?? start,
      expiresOn: opts.expiresOn ?? expiry,
      ipRange: opts.ipRange,
      protocol: opts.protocol ?? SASProtocol.HttpsAndHttp,
    },
    cred
  ).toString();
}

function containerSas(opts = {}) {
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(opts.permissions ?? "racwdl"),
      startsOn: start,
      expiresOn: opts.expiresOn ?? expiry,
      ipRange: opts.ipRange,
      protocol: SASProtocol.HttpsAndHttp,
    },
    cred
  ).toString();
}

function blobSas(blobName, permissions) {
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      blobName,
      permissions: BlobSASPermissions.parse(permissions),
      startsOn: start,
      expiresOn: expiry,
      contentDisposition: 'attachment; filename="report.txt"',
      contentType: "text/plain",
    },
    cred
  ).toString();
}

function client(origin, sas) {
  return new BlobServiceClient(`${origin}/${ACCOUNT}?${sas}`, new AnonymousCredential(), pipelineOptions);
}

// expectRefusal runs `fn`, which must fail with `status` and `code` answered by the gateway.
async function expectRefusal(check, status, code, fn) {
  try {
    await fn();
    report(check, false, "the request succeeded");
  } catch (e) {
    const server = e.response?.headers?.get("server") ?? "";
    const got = { status: e.statusCode, code: e.code ?? e.details?.errorCode, server };
    const ok = e.statusCode === status && got.code === code && !/azurite/i.test(server);
    report(check, ok, got);
  }
}

async function body(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  // ---- allowed: account SAS ----
  const acct = client(gwHttps, accountSas());
  const cc = acct.getContainerClient(container);
  try {
    await cc.create();
    report("account SAS: create container through the gateway", true);
  } catch (e) {
    report("account SAS: create container through the gateway", false, { status: e.statusCode, code: e.code, message: String(e.message).slice(0, 300) });
  }
  const text = "hello from the SDK through intransit\n".repeat(100);
  try {
    await cc.getBlockBlobClient("dir/hello world.txt").upload(text, Buffer.byteLength(text));
    report("account SAS: upload a blob", true);
  } catch (e) {
    report("account SAS: upload a blob", false, { status: e.statusCode, code: e.code, message: String(e.message).slice(0, 300) });
  }
  try {
    const r = await cc.getBlobClient("dir/hello world.txt").download();
    report("account SAS: download the blob", (await body(r.readableStreamBody)) === text);
  } catch (e) {
    report("account SAS: download the blob", false, { status: e.statusCode, code: e.code });
  }
  try {
    const names = [];
    for await (const b of cc.listBlobsFlat()) names.push(b.name);
    report("account SAS: list blobs", names.includes("dir/hello world.txt"), names);
  } catch (e) {
    report("account SAS: list blobs", false, { status: e.statusCode, code: e.code });
  }
  try {
    const names = [];
    for await (const c of acct.listContainers()) names.push(c.name);
    report("account SAS: list containers", names.includes(container), names.length);
  } catch (e) {
    report("account SAS: list containers", false, { status: e.statusCode, code: e.code });
  }

  // ---- allowed: service SAS (container) and blob SAS with response overrides ----
  const svc = client(gwHttps, containerSas()).getContainerClient(container);
  try {
    const big = Buffer.alloc(5 * 1024 * 1024 + 123, 7);
    await svc.getBlockBlobClient("big.bin").uploadData(big, { blockSize: 1024 * 1024, concurrency: 2 });
    const got = await svc.getBlobClient("big.bin").downloadToBuffer();
    report("service SAS (sr=c): staged upload and download of 5 MiB", got.equals(big));
  } catch (e) {
    report("service SAS (sr=c): staged upload and download of 5 MiB", false, { status: e.statusCode, code: e.code, message: String(e.message).slice(0, 300) });
  }
  try {
    const names = [];
    for await (const b of svc.listBlobsFlat()) names.push(b.name);
    report("service SAS (sr=c): list blobs", names.includes("big.bin"), names);
  } catch (e) {
    report("service SAS (sr=c): list blobs", false, { status: e.statusCode, code: e.code });
  }
  try {
    const bc = client(gwHttps, blobSas("dir/hello world.txt", "r")).getContainerClient(container).getBlobClient("dir/hello world.txt");
    const p = await bc.getProperties();
    report("blob SAS (sr=b) with rscd/rsct: properties carry the overrides",
      p.contentDisposition === 'attachment; filename="report.txt"' && p.contentType === "text/plain",
      { contentDisposition: p.contentDisposition, contentType: p.contentType });
  } catch (e) {
    report("blob SAS (sr=b) with rscd/rsct: properties carry the overrides", false, { status: e.statusCode, code: e.code });
  }

  // ---- refused by the gateway ----
  const good = accountSas();
  const sig = new URLSearchParams(good).get("sig");
  const flipped = sig.slice(0, 5) + (sig[5] === "A" ? "B" : "A") + sig.slice(6);
  const tampered = good.replace(encodeURIComponent(sig), encodeURIComponent(flipped));
  await expectRefusal("tampered signature: 403 AuthenticationFailed", 403, "AuthenticationFailed", () =>
    client(gwHttps, tampered).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  const widened = good.replace(/sp=[a-z]+/, "sp=rwdlacup");
  await expectRefusal("tampered permissions (sp widened): 403 AuthenticationFailed", 403, "AuthenticationFailed", () =>
    client(gwHttps, widened).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  const expired = accountSas({ startsOn: new Date(now - 2 * 3600 * 1000), expiresOn: new Date(now - 3600 * 1000) });
  await expectRefusal("expired token: 403 AuthenticationFailed", 403, "AuthenticationFailed", () =>
    client(gwHttps, expired).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  const wrongIp = accountSas({ ipRange: { start: "198.51.100.10", end: "198.51.100.20" }, protocol: SASProtocol.HttpsAndHttp });
  await expectRefusal("token for another IP range: 403 AuthorizationSourceIPMismatch", 403, "AuthorizationSourceIPMismatch", () =>
    client(gwHttps, wrongIp).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  const wrongIpSvc = containerSas({ ipRange: { start: "10.0.0.1" } });
  await expectRefusal("service SAS for another IP: 403 AuthorizationSourceIPMismatch", 403, "AuthorizationSourceIPMismatch", () =>
    client(gwHttps, wrongIpSvc).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  const readOnly = accountSas({ permissions: "rl" });
  await expectRefusal("read-only token uploading: 403 AuthorizationPermissionMismatch", 403, "AuthorizationPermissionMismatch", () =>
    client(gwHttps, readOnly).getContainerClient(container).getBlockBlobClient("nope.txt").upload("x", 1));
  const readOnlySvc = containerSas({ permissions: "r" });
  await expectRefusal("service SAS without d deleting: 403 AuthorizationPermissionMismatch", 403, "AuthorizationPermissionMismatch", () =>
    client(gwHttps, readOnlySvc).getContainerClient(container).getBlobClient("big.bin").delete());
  const objectsOnly = accountSas({ resourceTypes: "o" });
  await expectRefusal("srt=o listing containers: 403 AuthorizationResourceTypeMismatch", 403, "AuthorizationResourceTypeMismatch", async () => {
    for await (const c of client(gwHttps, objectsOnly).listContainers()) void c;
  });
  await expectRefusal("plain http: 400 AccountRequiresHttps", 400, "AccountRequiresHttps", () =>
    client(gwHttp, good).getContainerClient(container).getBlobClient("dir/hello world.txt").download());
  await expectRefusal("HEAD with a tampered signature: 403 AuthenticationFailed (header only)", 403, "AuthenticationFailed", () =>
    client(gwHttps, tampered).getContainerClient(container).getBlobClient("dir/hello world.txt").getProperties());

  // The blob the read-only token tried to create must not exist (the request never reached Azurite).
  try {
    const direct = new BlobServiceClient(`${azurite}/${ACCOUNT}`, cred, pipelineOptions).getContainerClient(container);
    report("refused upload never reached Azurite", !(await direct.getBlobClient("nope.txt").exists()));
  } catch (e) {
    report("refused upload never reached Azurite", false, { status: e.statusCode, code: e.code });
  }
  // Azurite itself would have served the wrong-IP token (it does not check sip): the refusal
  // above is the gateway's strictness, not the backend's.
  try {
    const direct = client(azurite, wrongIp).getContainerClient(container).getBlobClient("dir/hello world.txt");
    await direct.getProperties();
    report("control: Azurite alone accepts the wrong-IP token", true);
  } catch (e) {
    report("control: Azurite alone accepts the wrong-IP token", false, { status: e.statusCode, code: e.code });
  }

  // Clean up through the gateway with the account SAS.
  try {
    await cc.delete();
    report("account SAS: delete the container", true);
  } catch (e) {
    report("account SAS: delete the container", false, { status: e.statusCode, code: e.code });
  }
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  report("scenarios ran to the end", false, String(e && e.stack ? e.stack : e).slice(0, 500));
  process.exitCode = 1;
});
