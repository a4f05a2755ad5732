// Key custody in the browser: the custodian's identity key and per-tender keys are made here and
// kept in this browser's storage (IndexedDB), never sent to the platform before the deadline;
// an encrypted backup file can be saved and restored. The release checks this computer's clock
// and verifies the closing entry against a checkpoint signed by the pinned log key, consistent
// with every checkpoint this browser saw before. Same formats as the custodian agent.
import { b64, canonical, concat, fromB64, hpkeSeal as hpkeWrap, SUITE } from "./epb1.js";
import { leafHash, openCheckpoint, parseVerifierKey, verifyConsistency, verifyInclusion } from "./ledgercheck.js";

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();
const config = JSON.parse(document.getElementById("custody-config").textContent);
const text = document.getElementById("custody-messages").dataset;
const status = document.getElementById("custody-status");
const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;

// --- Storage --------------------------------------------------------------------------------

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`minhbach-custody-${config.user}`, 1);
    request.onupgradeneeded = () => request.result.createObjectStore("keys");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode, action) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("keys", mode);
    const request = action(tx.objectStore("keys"));
    tx.oncomplete = () => resolve(request && request.result);
    tx.onerror = () => reject(tx.error);
  });
}
const get = (key) => store("readonly", (s) => s.get(key));
const put = (key, value) => store("readwrite", (s) => s.put(value, key));
const all = () => store("readonly", (s) => s.getAll());
const keys = () => store("readonly", (s) => s.getAllKeys());

// --- API ------------------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await fetch(`/api/v1/${path}`, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json",
               "Accept-Language": document.documentElement.lang || "vi" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
  return data;
}

// --- Identity -------------------------------------------------------------------------------

async function identity() {
  const held = await get("identity");
  return held && config.identities.includes(held.code) ? held : null;
}

async function createIdentity() {
  await pinnedLogKey();
  const organisation = document.getElementById("custody-organisation").value;
  const pair = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const publicKey = b64(new Uint8Array(await subtle.exportKey("raw", pair.publicKey)));
  const answer = await api("POST", "custodians/", { organisation, public_key: publicKey });
  await put("identity", { code: answer.code, privateKey: pair.privateKey, publicKey });
  config.identities.push(answer.code);
  return answer.code;
}

async function sign(key, message) {
  return b64(new Uint8Array(await subtle.sign("Ed25519", key, te.encode(message))));
}

// --- Statement ------------------------------------------------------------------------------

async function giveStatement(seat) {
  const me = await identity();
  if (!me || me.code !== seat.custodian) throw new Error(text.noIdentity);
  let held = await get(`tender:${seat.tender}`);
  if (!held || held.deadline !== seat.deadline || held.index !== seat.index) {
    const pair = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
    const pk = b64(new Uint8Array(await subtle.exportKey("raw", pair.publicKey)));
    held = { privateKey: pair.privateKey, pk, deadline: seat.deadline, index: seat.index };
    await put(`tender:${seat.tender}`, held); // the key is stored before it is used
  }
  const statement = canonical({
    v: 1, suite: SUITE, tender: seat.tender, deadline: seat.deadline, custodian: me.code,
    index: seat.index, pk: held.pk,
  });
  await api("POST", `tenders/${seat.tender}/key-statements/`,
            { statement, signature: await sign(me.privateKey, statement) });
}

// --- Release --------------------------------------------------------------------------------

// The log key is pinned in this browser the first time it is used; a page that later names
// another key is refused.
async function pinnedLogKey() {
  const pinned = await get("log_key");
  if (!pinned) {
    await put("log_key", config.log_key);
    return config.log_key;
  }
  if (pinned !== config.log_key) throw new Error(text.keyChanged);
  return pinned;
}

function time(value) {
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new Error(text.tooEarly);
  return t;
}

async function verifiedCheckpoint(note) {
  const checkpoint = await openCheckpoint(note, parseVerifierKey(await pinnedLogKey()));
  const seen = await get("witness");
  if (seen) {
    let proof = [];
    if (checkpoint.size > seen.size) {
      const answer = await api("GET", `ledger/proof/consistency/?first=${seen.size}&second=${checkpoint.size}`);
      proof = answer.path.map(fromB64);
    }
    await verifyConsistency(seen.size, checkpoint.size, fromB64(seen.root), checkpoint.root, proof);
  }
  if (!seen || checkpoint.size > seen.size) await put("witness", { size: checkpoint.size, root: b64(checkpoint.root) });
  return checkpoint;
}

async function rawPrivate(key) {
  const jwk = await subtle.exportKey("jwk", key);
  return fromB64(jwk.d.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (jwk.d.length % 4)) % 4));
}

async function release(seat) {
  const me = await identity();
  const held = await get(`tender:${seat.tender}`);
  if (!me || !held) throw new Error(text.noKey);
  const grace = Math.max(0, Number(config.grace_seconds) || 0) * 1000;
  if (!(Date.now() >= time(held.deadline) + grace)) throw new Error(text.tooEarly);
  const proof = await api("GET", `ledger/entries/${seat.closing_seq}/proof/`);
  const checkpoint = await verifiedCheckpoint(proof.checkpoint);
  const raw = te.encode(proof.entry);
  await verifyInclusion(seat.closing_seq, checkpoint.size, await leafHash(raw),
                        proof.inclusion_proof.map(fromB64), checkpoint.root);
  const entry = JSON.parse(proof.entry);
  if (entry.kind !== "TENDER_CLOSED" || entry.subject !== `tender:${seat.tender}`) throw new Error(text.notClosing);
  const deadline = time(entry.payload.submission_deadline);
  if (!(deadline >= time(held.deadline))) throw new Error(text.closedEarly);
  if (!(Date.now() >= deadline + grace)) throw new Error(text.tooEarly);
  const statement = canonical({
    v: 1, kind: "release", tender: seat.tender, custodian: me.code, index: seat.index,
    pk: held.pk, closing_seq: seat.closing_seq,
  });
  const info = concat(te.encode("EPB1/release"), te.encode(seat.tender), Uint8Array.of(seat.index));
  const wrapped = await hpkeWrap(fromB64(entry.payload.opening_public_key), info, await rawPrivate(held.privateKey));
  await api("POST", `tenders/${seat.tender}/key-releases/`, {
    statement, signature: await sign(me.privateKey, statement), wrapped_key: b64(wrapped),
  });
}

// --- Backup ---------------------------------------------------------------------------------

async function backupKey(passphrase, salt) {
  const base = await subtle.importKey("raw", te.encode(passphrase), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 600000 }, base,
                          { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

async function saveBackup(passphrase) {
  const names = await keys();
  const values = await all();
  const items = {};
  for (const [i, name] of names.entries()) {
    const value = values[i] !== null && typeof values[i] === "object" ? { ...values[i] } : values[i];
    if (value.privateKey) value.privateKey = b64(new Uint8Array(await subtle.exportKey("pkcs8", value.privateKey)));
    items[name] = value;
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: "AES-GCM", iv }, await backupKey(passphrase, salt), te.encode(JSON.stringify(items)));
  const file = JSON.stringify({ format: "minhbach-custody-backup-1", kdf: "PBKDF2-SHA256-600000",
                                salt: b64(salt), iv: b64(iv), ct: b64(new Uint8Array(ct)) });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([file], { type: "application/json" }));
  link.download = `minhbach-custody-${config.user}.json`;
  link.click();
}

async function restoreBackup(file, passphrase) {
  const data = JSON.parse(await file.text());
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: fromB64(data.iv) },
                                     await backupKey(passphrase, fromB64(data.salt)), fromB64(data.ct));
  for (const [name, value] of Object.entries(JSON.parse(new TextDecoder().decode(plain)))) {
    if (value && value.privateKey) {
      const algorithm = name === "identity" ? { name: "Ed25519" } : { name: "X25519" };
      const usages = name === "identity" ? ["sign"] : ["deriveBits"];
      value.privateKey = await subtle.importKey("pkcs8", fromB64(value.privateKey), algorithm, true, usages);
    }
    await put(name, value);
  }
}

// --- Page -----------------------------------------------------------------------------------

async function run(action, button) {
  button.disabled = true;
  try {
    status.className = "";
    status.textContent = text.working;
    const done = await action();
    status.className = "ok";
    status.textContent = done || text.done;
  } catch (error) {
    status.className = "fail";
    status.textContent = `${text.failed} ${error.message}`;
    button.disabled = false;
  }
}

async function refresh() {
  const me = await identity();
  document.getElementById("custody-identity").textContent = me ? me.code : text.none;
  document.getElementById("custody-create").hidden = Boolean(me);
}

document.getElementById("custody-create-button").addEventListener("click", (e) =>
  run(async () => { const code = await createIdentity(); await refresh(); return `${text.registered} ${code}`; }, e.target));
document.getElementById("custody-backup-button").addEventListener("click", (e) =>
  run(() => saveBackup(document.getElementById("custody-passphrase").value), e.target));
document.getElementById("custody-restore-button").addEventListener("click", (e) =>
  run(async () => {
    await restoreBackup(document.getElementById("custody-file").files[0],
                        document.getElementById("custody-passphrase").value);
    await refresh();
  }, e.target));
for (const button of document.querySelectorAll("button[data-seat]")) {
  const seat = config.seats[Number(button.dataset.seat)];
  button.addEventListener("click", () =>
    run(() => (button.dataset.action === "statement" ? giveStatement(seat) : release(seat)), button));
}
refresh();
