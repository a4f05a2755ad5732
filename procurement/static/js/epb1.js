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

// Canonical JSON as the platform writes it (RFC 8785 for these values: sorted keys, no
// whitespace, strings, integers, arrays, objects).
export function canonical(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("only integers have a canonical form");
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
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
export async function verifyKeyset(keyset) {
  const keys = [];
  for (const [position, seat] of keyset.roster.entries()) {
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
