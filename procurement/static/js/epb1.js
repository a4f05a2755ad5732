// EPB1 sealed-bid envelope, the browser's implementation (docs/envelope.md). WebCrypto only,
// plus the audited npm "shamir-secret-sharing" (vendored, Apache-2.0). No other script, no
// network: the plaintext never leaves this function except as ciphertext.
//
// The Python reference is procurement/crypto/envelope.py; tests seal here (in Node and in
// headless Chromium) and open there.

import { split } from "../vendor/shamir-secret-sharing/index.js";

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

export const MAGIC = te.encode("EPB1");
export const SUITE = "EPB1-X25519-HKDF-SHA256-AES-256-GCM";
export const TAG = 16;
export const BROWSER_CHUNK = 1024 * 1024;

// --- Bytes ----------------------------------------------------------------------------------

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function i2osp(n, length) {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n % 256;
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}

export function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromB64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export async function sha256(data) {
  return new Uint8Array(await subtle.digest("SHA-256", data));
}

// Canonical JSON as the platform writes it (docs/envelope.md, "Canonical JSON"): keys sorted,
// no whitespace, strings as raw UTF-8 with only '"', '\\' and U+0000-U+001F escaped (what
// JSON.stringify and Python's json.dumps(ensure_ascii=False) both write), integers only.
export function canonical(value) {
  if (typeof value === "string" && !value.isWellFormed()) {
    throw new Error("a string with a lone surrogate has no canonical form");
  }
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("only integers have a canonical form");
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") throw new Error(`${typeof value} has no canonical form`);
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

// --- HKDF and HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), AES-256-GCM) ------------

async function hmac(key, data) {
  const k = await subtle.importKey(
    "raw", key.length ? key : new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false,
    ["sign"],
  );
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

const KEM_SUITE = concat(te.encode("KEM"), i2osp(0x0020, 2));
const HPKE_SUITE = concat(te.encode("HPKE"), i2osp(0x0020, 2), i2osp(0x0001, 2), i2osp(0x0002, 2));
const EMPTY = new Uint8Array(0);

function labeledExtract(suite, salt, label, ikm) {
  return hmac(salt, concat(te.encode("HPKE-v1"), suite, te.encode(label), ikm));
}

async function labeledExpand(suite, prk, label, info, length) {
  const labeled = concat(i2osp(length, 2), te.encode("HPKE-v1"), suite, te.encode(label), info);
  return (await hmac(prk, concat(labeled, Uint8Array.of(1)))).slice(0, length);
}

export async function hpkeSeal(recipientRaw, info, plaintext) {
  const ephemeral = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  const enc = new Uint8Array(await subtle.exportKey("raw", ephemeral.publicKey));
  const recipient = await subtle.importKey("raw", recipientRaw, { name: "X25519" }, false, []);
  const dh = new Uint8Array(
    await subtle.deriveBits({ name: "X25519", public: recipient }, ephemeral.privateKey, 256),
  );
  const eaePrk = await labeledExtract(KEM_SUITE, EMPTY, "eae_prk", dh);
  const shared = await labeledExpand(KEM_SUITE, eaePrk, "shared_secret", concat(enc, recipientRaw), 32);
  const pskIdHash = await labeledExtract(HPKE_SUITE, EMPTY, "psk_id_hash", EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE, EMPTY, "info_hash", info);
  const context = concat(Uint8Array.of(0), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE, shared, "secret", EMPTY);
  const key = await labeledExpand(HPKE_SUITE, secret, "key", context, 32);
  const nonce = await labeledExpand(HPKE_SUITE, secret, "base_nonce", context, 12);
  const aes = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const ct = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: nonce }, aes, plaintext));
  return concat(enc, ct);
}

export async function partKey(dek, h, label) {
  const base = await subtle.importKey("raw", dek, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: h, info: te.encode("EPB1/" + label) }, base, 256,
  );
  return new Uint8Array(bits);
}

function pieceNonce(index, last) {
  return concat(i2osp(index, 11), Uint8Array.of(last ? 1 : 0));
}

export function ciphertextLength(plaintextLength, chunk) {
  return plaintextLength + TAG * Math.max(1, Math.ceil(plaintextLength / chunk));
}

// --- The key set ----------------------------------------------------------------------------

// Verify every custodian's signed statement (Ed25519) against its identity key, and that the
// list hashes to the key-set hash the tender notice published. Returns the public keys.
// `pinned` ({custodian code: base64 identity key}), when given, must name every custodian with
// the key the key-set document carries: pin identity keys from a source other than this page.
export async function verifyKeyset(keyset, pinned = null) {
  const keys = [];
  for (const [position, seat] of keyset.roster.entries()) {
    if (pinned && pinned[seat.custodian] !== seat.identity_key) {
      throw new Error(`statement ${position + 1}: ${seat.custodian} is not a pinned identity`);
    }
    const statement = JSON.parse(seat.statement);
    const expected = {
      v: 1, suite: SUITE, tender: keyset.tender, deadline: keyset.deadline,
      custodian: seat.custodian, index: position + 1,
    };
    for (const [name, value] of Object.entries(expected)) {
      if (statement[name] !== value) throw new Error(`statement ${position + 1}: ${name} is wrong`);
    }
    if (canonical(statement) !== seat.statement) throw new Error("statement is not canonical");
    const identity = await subtle.importKey(
      "raw", fromB64(seat.identity_key), { name: "Ed25519" }, false, ["verify"],
    );
    const ok = await subtle.verify(
      "Ed25519", identity, fromB64(seat.signature), te.encode(seat.statement),
    );
    if (!ok) throw new Error(`statement ${position + 1} is not signed by ${seat.custodian}`);
    keys.push(fromB64(statement.pk));
  }
  const signed = keyset.roster.map((s) => ({ statement: s.statement, signature: s.signature }));
  const digest = hex(await sha256(te.encode(canonical(signed))));
  if (digest !== keyset.keyset_hash) throw new Error("the key set does not match the notice");
  return keys;
}

// --- Sealing --------------------------------------------------------------------------------

// Seal a bid. `docs` is a Blob or File, read piece by piece; the result is a Blob built from
// pieces (flushed every few MB), so the documents are never held twice in memory.
export async function seal({
  tender, keyset, bidder, bid, k, publicKeys, price, docs, chunk = BROWSER_CHUNK,
  onProgress = () => {}, dek = null,
}) {
  const n = publicKeys.length;
  if (!(1 < k && k <= n && n <= 255)) throw new Error("need 1 < k <= n <= 255");
  dek = dek || globalThis.crypto.getRandomValues(new Uint8Array(32));
  const dekCommit = hex(await sha256(concat(te.encode("EPB1/dek-commit"), dek)));
  const core = te.encode(canonical({
    v: 1, suite: SUITE, tender, keyset, bidder, bid, k, n, chunk,
    price_len: price.length, docs_len: docs.size, dek_commit: dekCommit,
  }));
  checkCore(core); // never produce an envelope the validator would refuse
  const h = await sha256(core);
  const shares = await split(dek, n, k);
  const sealed = [];
  for (let i = 0; i < n; i++) {
    const info = concat(te.encode("EPB1/share"), h, Uint8Array.of(i + 1));
    sealed.push(b64(await hpkeSeal(publicKeys[i], info, shares[i])));
  }
  const sharesJson = te.encode(canonical(sealed));
  const blobs = [];
  let pending = [concat(MAGIC, u32(core.length), core, u32(sharesJson.length), sharesJson)];
  let pendingBytes = 0;
  const flush = () => {
    blobs.push(new Blob(pending));
    pending = [];
    pendingBytes = 0;
  };
  async function encryptPart(label, length, read) {
    const key = await subtle.importKey("raw", await partKey(dek, h, label), "AES-GCM", false, ["encrypt"]);
    const pieces = Math.max(1, Math.ceil(length / chunk));
    const aad = concat(h, te.encode(label));
    for (let j = 0; j < pieces; j++) {
      const plain = await read(j * chunk, Math.min(length, (j + 1) * chunk));
      const ct = new Uint8Array(await subtle.encrypt(
        { name: "AES-GCM", iv: pieceNonce(j, j === pieces - 1), additionalData: aad }, key, plain,
      ));
      pending.push(ct);
      pendingBytes += ct.length;
      if (pendingBytes >= 8 * 1024 * 1024) flush();
      if (label === "docs") onProgress(Math.min(length, (j + 1) * chunk), length);
    }
  }
  await encryptPart("price", price.length, async (a, b) => price.subarray(a, b));
  await encryptPart("docs", docs.size, async (a, b) => new Uint8Array(await docs.slice(a, b).arrayBuffer()));
  flush();
  const blob = new Blob(blobs, { type: "application/octet-stream" });
  return { blob, h: hex(h), dekCommit, priceKey: hex(await partKey(dek, h, "price")) };
}

// --- Checking structure (the same rules and reason codes as envelope.read_header) -----------

export const MAX_CORE = 4096;
export const MAX_SHARES_JSON = 64 * 1024;
export const MAX_N = 255;
export const MIN_CHUNK = 1024;
export const MAX_CHUNK = 4 * 1024 * 1024;
export const MAX_PRICE_LEN = 1024 * 1024;
export const MAX_DOCS_LEN = 2 ** 40;
export const SEALED_SHARE_LEN = 32 + 33 + TAG;
const MAX_DEPTH = 64;
const CORE_KEYS = [
  "bid", "bidder", "chunk", "dek_commit", "docs_len", "k", "keyset", "n", "price_len", "suite",
  "tender", "v",
];
const INT_FIELDS = new Set(["k", "n", "chunk", "price_len", "docs_len"]);
const STRING_FIELDS = {
  tender: [/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a tender reference"],
  bidder: [/^[A-Za-z0-9_-]{1,64}$/, "an organisation code"],
  bid: [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a lowercase UUID"],
  keyset: [/^[0-9a-f]{64}$/, "64 lowercase hex digits"],
  dek_commit: [/^[0-9a-f]{64}$/, "64 lowercase hex digits"],
};

export class EnvelopeError extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

// A JSON number written with a fraction or an exponent: never an integer, whatever its value
// (JSON.parse would turn 1.0 into 1).
class NonInteger {
  constructor(text) { this.text = text; }
}

// Strict RFC 8259 JSON from UTF-8 bytes, keeping integers apart from other numbers (big ones as
// BigInt); nesting at most MAX_DEPTH; a duplicate key keeps its last value. Throws SyntaxError.
export function parseStrictJSON(bytes) {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  let at = 0;
  const ws = () => { while (" \t\n\r".includes(text[at]) && at < text.length) at++; };
  const fail = () => { throw new SyntaxError(`bad JSON at ${at}`); };
  function string() {
    const start = at++;
    while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    if (at >= text.length) fail();
    at++;
    return JSON.parse(text.slice(start, at)); // rejects raw control characters, bad escapes
  }
  function value(depth) {
    if (depth > MAX_DEPTH) fail();
    ws();
    const c = text[at];
    if (c === "{") {
      at++;
      const out = {};
      ws();
      if (text[at] === "}") { at++; return out; }
      for (;;) {
        ws();
        if (text[at] !== '"') fail();
        const key = string();
        ws();
        if (text[at++] !== ":") fail();
        Object.defineProperty(out, key, {
          value: value(depth + 1), enumerable: true, writable: true, configurable: true,
        });
        ws();
        if (text[at] === ",") { at++; continue; }
        if (text[at++] !== "}") fail();
        return out;
      }
    }
    if (c === "[") {
      at++;
      const out = [];
      ws();
      if (text[at] === "]") { at++; return out; }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[at] === ",") { at++; continue; }
        if (text[at++] !== "]") fail();
        return out;
      }
    }
    if (c === '"') return string();
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, at)) { at += word.length; return result; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at, at + 5000));
    if (!m) fail();
    at += m[0].length;
    if (m[2] || m[3]) return new NonInteger(m[0]);
    const big = BigInt(m[0]);
    return Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  const result = value(1);
  ws();
  if (at !== text.length) fail();
  return result;
}

const isInt = (v) => typeof v === "bigint" || typeof v === "number";
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v)
  && !(v instanceof NonInteger);

function shown(v) {
  if (v instanceof NonInteger) return v.text;
  if (typeof v === "bigint") return v.toString();
  try { return JSON.stringify(v); } catch { return typeof v; }
}

export function checkCore(coreBytes) {
  let core;
  try {
    core = parseStrictJSON(coreBytes);
  } catch {
    throw new EnvelopeError("core_json", "the core is not a UTF-8 JSON object");
  }
  if (!isObject(core)) throw new EnvelopeError("core_json", "the core is not a UTF-8 JSON object");
  const has = (name) => Object.prototype.hasOwnProperty.call(core, name);
  if (has("v") && !(typeof core.v === "number" && core.v === 1)) {
    throw new EnvelopeError("version", `v must be the integer 1, not ${shown(core.v)}`);
  }
  const keys = Object.keys(core).sort();
  if (keys.length !== CORE_KEYS.length || keys.some((key, i) => key !== CORE_KEYS[i])) {
    throw new EnvelopeError("core_fields", "the core's fields are not those of EPB1 v1");
  }
  if (core.suite !== SUITE) throw new EnvelopeError("suite", `suite ${shown(core.suite)} is not allowed`);
  for (const name of CORE_KEYS.filter((key) => key !== "v" && key !== "suite")) {
    const value = core[name];
    if (INT_FIELDS.has(name)) {
      if (!isInt(value)) throw new EnvelopeError("field", `${name} must be a JSON integer`);
    } else if (typeof value !== "string") {
      throw new EnvelopeError("field", `${name} must be a JSON string`);
    } else if (!STRING_FIELDS[name][0].test(value)) {
      throw new EnvelopeError("field", `${name} must be ${STRING_FIELDS[name][1]}, not ${shown(value)}`);
    }
  }
  if (!(2 <= core.k && core.k <= core.n && core.n <= MAX_N)) {
    throw new EnvelopeError("limit", `need 2 <= k <= n <= ${MAX_N}`);
  }
  if (!(MIN_CHUNK <= core.chunk && core.chunk <= MAX_CHUNK)) {
    throw new EnvelopeError("limit", `chunk must be ${MIN_CHUNK} to ${MAX_CHUNK} bytes`);
  }
  if (!(0 <= core.price_len && core.price_len <= MAX_PRICE_LEN)) {
    throw new EnvelopeError("limit", `price_len must be 0 to ${MAX_PRICE_LEN} bytes`);
  }
  if (!(0 <= core.docs_len && core.docs_len <= MAX_DOCS_LEN)) {
    throw new EnvelopeError("limit", `docs_len must be 0 to ${MAX_DOCS_LEN} bytes`);
  }
  const again = te.encode(canonical(core));
  if (again.length !== coreBytes.length || again.some((b, i) => b !== coreBytes[i])) {
    throw new EnvelopeError("core_canonical", "the core is not canonical JSON (sorted keys, no spaces)");
  }
  return core;
}

export function checkShares(sharesBytes, n) {
  let encoded;
  try {
    encoded = parseStrictJSON(sharesBytes);
  } catch {
    throw new EnvelopeError("shares_json", "the share list is not a JSON list");
  }
  if (!Array.isArray(encoded) || !encoded.every((s) => typeof s === "string")) {
    throw new EnvelopeError("shares_json", "the share list is not a JSON list of strings");
  }
  if (encoded.length !== n) {
    throw new EnvelopeError("shares_count", `${encoded.length} sealed shares for n = ${n}`);
  }
  const sealed = encoded.map((text, i) => {
    if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
      throw new EnvelopeError("shares_encoding", `share ${i + 1} is not base64`);
    }
    const raw = fromB64(text);
    if (b64(raw) !== text) {
      throw new EnvelopeError("shares_encoding", `share ${i + 1} is not canonical base64`);
    }
    if (raw.length !== SEALED_SHARE_LEN) {
      throw new EnvelopeError("shares_size", `share ${i + 1} is ${raw.length} bytes, not ${SEALED_SHARE_LEN}`);
    }
    return raw;
  });
  const again = te.encode(canonical(encoded));
  if (again.length !== sharesBytes.length || again.some((b, i) => b !== sharesBytes[i])) {
    throw new EnvelopeError("shares_canonical", "the share list is not canonical JSON");
  }
  return sealed;
}

// Parse and check the header of a whole envelope (Uint8Array); returns the core, h, the sealed
// shares, the offsets and the total length the header implies.
export async function readHeader(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end, where) => {
    if (bytes.length < end) throw new EnvelopeError("truncated", `the envelope ends inside ${where}`);
  };
  const head = bytes.subarray(0, 4);
  if (!head.length || head.some((b, i) => b !== MAGIC[i])) {
    throw new EnvelopeError("magic", "not an EPB1 envelope");
  }
  need(4, "the magic");
  need(8, "the core length");
  const coreLen = view.getUint32(4);
  if (!(0 < coreLen && coreLen <= MAX_CORE)) {
    throw new EnvelopeError("core_length", `the core length ${coreLen} is not 1 to ${MAX_CORE}`);
  }
  need(8 + coreLen, "the core");
  const coreBytes = bytes.subarray(8, 8 + coreLen);
  const core = checkCore(coreBytes);
  need(12 + coreLen, "the share list length");
  const sharesLen = view.getUint32(8 + coreLen);
  if (!(0 < sharesLen && sharesLen <= MAX_SHARES_JSON)) {
    throw new EnvelopeError("shares_length", `the share list length ${sharesLen} is not 1 to ${MAX_SHARES_JSON}`);
  }
  need(12 + coreLen + sharesLen, "the share list");
  const sealedShares = checkShares(bytes.subarray(12 + coreLen, 12 + coreLen + sharesLen), Number(core.n));
  const priceOffset = 12 + coreLen + sharesLen;
  const docsOffset = priceOffset + ciphertextLength(core.price_len, core.chunk);
  const totalLength = docsOffset + ciphertextLength(core.docs_len, core.chunk);
  return { core, coreBytes, h: await sha256(coreBytes), sealedShares, priceOffset, docsOffset, totalLength };
}

// The server's check at submission (envelope.validate_at_submission): the format, then the
// tender's policy, then the size.
export async function validateAtSubmission(bytes, { tender, keyset, k, n, bidder }) {
  const header = await readHeader(bytes);
  for (const [name, value] of Object.entries({ tender, keyset, k, n, bidder })) {
    if (header.core[name] !== value) {
      throw new EnvelopeError("policy", `${name} is ${shown(header.core[name])}, expected ${shown(value)}`);
    }
  }
  if (bytes.length !== header.totalLength) {
    throw new EnvelopeError("length", `envelope is ${bytes.length} bytes, its header implies ${header.totalLength}`);
  }
  return header;
}
