// Checking the public ledger in the browser: C2SP signed-note checkpoints (Ed25519) and RFC 9162
// inclusion and consistency proofs. The same checks as procurement/crypto/verifier.py.
import { concat, fromB64, sha256 } from "./epb1.js";

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

export function parseVerifierKey(vkey) {
  const parts = vkey.trim().split("+");
  const [name, hexId, blob] = [parts[0], parts[1], parts.slice(2).join("+")];
  const raw = fromB64(blob);
  if (raw[0] !== 0x01 || raw.length !== 33) throw new Error("not an Ed25519 verifier key");
  return { name, keyId: hexId, publicKey: raw.subarray(1) };
}

// Open a signed note with the pinned key; return {origin, size, root}.
export async function openCheckpoint(note, verifier) {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new Error("not a signed note");
  const body = note.slice(0, split + 1);
  const key = await subtle.importKey("raw", verifier.publicKey, { name: "Ed25519" }, false, ["verify"]);
  let verified = false;
  for (const line of note.slice(split + 2).split("\n")) {
    const match = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!match || match[1] !== verifier.name) continue;
    const blob = fromB64(match[2]);
    if (Array.from(blob.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("") !== verifier.keyId) continue;
    if (await subtle.verify("Ed25519", key, blob.subarray(4), te.encode(body))) verified = true;
  }
  if (!verified) throw new Error("the checkpoint is not signed by the pinned log key");
  const [origin, size, root] = body.split("\n");
  return { origin, size: Number(size), root: fromB64(root) };
}

export async function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// RFC 9162 §2.1.3.2.
export async function verifyInclusion(index, size, leaf, path, root) {
  if (!(index >= 0 && index < size)) throw new Error("index outside the tree");
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error("inclusion proof too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(r, root)) throw new Error("the entry is not in the signed tree");
}

// RFC 9162 §2.1.4.2.
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) throw new Error("the log shrank");
  if (first === second) {
    if (proof.length || !equal(firstRoot, secondRoot)) throw new Error("two roots for one size");
    return;
  }
  if (first === 0) {
    if (proof.length) throw new Error("a proof from the empty tree must be empty");
    return;
  }
  let path = proof;
  if ((first & (first - 1)) === 0) path = [firstRoot, ...proof];
  if (!path.length) throw new Error("empty consistency proof");
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Error("consistency proof too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(fr, firstRoot) || !equal(sr, secondRoot)) {
    throw new Error("the log is not consistent with what it showed before");
  }
}

// A bid receipt: the receipt key's signature over the entry, the checkpoint under the log key,
// and the entry's inclusion in it. Throws if any of them fails.
export async function verifyReceipt(receipt, logKey, receiptKey) {
  if (receipt.v === 2) return verifySealedReceipt(receipt, logKey, receiptKey);
  const entry = te.encode(receipt.entry);
  const signer = parseVerifierKey(receiptKey);
  const key = await subtle.importKey("raw", signer.publicKey, { name: "Ed25519" }, false, ["verify"]);
  if (!(await subtle.verify("Ed25519", key, fromB64(receipt.receipt_sig), entry))) {
    throw new Error("the receipt is not signed by the platform's receipt key");
  }
  const checkpoint = await openCheckpoint(receipt.checkpoint, parseVerifierKey(logKey));
  await verifyInclusion(receipt.seq, checkpoint.size, await leafHash(entry),
                        receipt.inclusion_proof.map(fromB64), checkpoint.root);
  return checkpoint;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A sealed statement's receipt (version 2, procurement/crypto/sealedproof.py): the receipt key's
// signature over the statement (the platform's promise) and, once merged, the statement's path to
// its sealed batch's root, the batch entry and its inclusion under a signed checkpoint. Returns
// the checkpoint, or null while the statement is not merged yet. Throws if anything fails.
export async function verifySealedReceipt(receipt, logKey, receiptKey) {
  const statement = te.encode(receipt.statement);
  const signer = parseVerifierKey(receiptKey);
  const key = await subtle.importKey("raw", signer.publicKey, { name: "Ed25519" }, false, ["verify"]);
  if (!(await subtle.verify("Ed25519", key, fromB64(receipt.receipt_sig), statement))) {
    throw new Error("the receipt is not signed by the platform's receipt key");
  }
  if (!receipt.batch) return null;
  const batchBytes = te.encode(receipt.batch.entry);
  const batch = JSON.parse(receipt.batch.entry);
  const path = receipt.batch.path.map(fromB64);
  if (batch.kind !== "SEALED_BATCH" || batch.seq !== receipt.batch.seq) {
    throw new Error("the batch entry is not the receipt's sealed batch");
  }
  if (batch.payload.depth !== path.length) throw new Error("the path is not the batch's depth");
  let node = await leafHash(statement);
  let slot = receipt.batch.slot;
  for (const sibling of path) {
    node = slot % 2 === 1 ? await nodeHash(sibling, node) : await nodeHash(node, sibling);
    slot = Math.floor(slot / 2);
  }
  if (slot !== 0 || toHex(node) !== batch.payload.root) {
    throw new Error("the statement is not in the sealed batch");
  }
  const checkpoint = await openCheckpoint(receipt.checkpoint, parseVerifierKey(logKey));
  await verifyInclusion(receipt.batch.seq, checkpoint.size, await leafHash(batchBytes),
                        receipt.inclusion_proof.map(fromB64), checkpoint.root);
  return checkpoint;
}
