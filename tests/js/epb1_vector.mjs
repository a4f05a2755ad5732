// Seals the published test vector (docs/envelope-vectors.json) with the browser's EPB1 code,
// run by Node's WebCrypto, and prints the envelope (base64) with the values it derived, for
// tests/procurement/test_envelope_js.py to check against the Python reference.
import { readFileSync } from "node:fs";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { seal, fromHex, b64 } from "../../procurement/static/js/epb1.js";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const envelope = Buffer.from(vector.envelope, "base64");
const coreLength = envelope.readUInt32BE(4);
const core = JSON.parse(envelope.subarray(8, 8 + coreLength).toString("utf8"));
const publicKeys = Object.keys(vector.custodian_keys).sort().map((i) => {
  const spki = createPublicKey(createPrivateKey(vector.custodian_keys[i])).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
});
const docs = new Blob([Buffer.from(vector.docs, "base64")]);
const result = await seal({
  tender: vector.tender, keyset: vector.keyset, bidder: vector.bidder, bid: core.bid, k: vector.k,
  publicKeys, price: new TextEncoder().encode(vector.price), docs, chunk: vector.chunk,
  dek: fromHex(vector.dek),
});
const bytes = new Uint8Array(await result.blob.arrayBuffer());
process.stdout.write(JSON.stringify({ envelope: b64(bytes), h: result.h, dek_commit: result.dekCommit }));
