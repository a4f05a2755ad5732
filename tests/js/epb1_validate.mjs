// Runs the published EPB1 vectors (docs/envelope-vectors.json) through the browser's validator
// (procurement/static/js/epb1.js) under Node: the valid envelope must pass and each negative
// vector must be refused with its reason code. Prints {"valid": ..., "negative": {name: reason}}
// for tests/procurement/test_envelope_vectors.py; also checks the key set and the part keys.
import { readFileSync } from "node:fs";
import { validateAtSubmission, verifyKeyset, partKey, hex, fromHex, EnvelopeError } from "../../procurement/static/js/epb1.js";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const policy = { tender: vector.tender, keyset: vector.keyset, k: vector.k, n: vector.n, bidder: vector.bidder };
const result = { negative: {} };
const header = await validateAtSubmission(new Uint8Array(Buffer.from(vector.envelope, "base64")), policy);
result.valid = { h: hex(header.h), bid: header.core.bid, total: header.totalLength };
for (const c of vector.negative) {
  try {
    await validateAtSubmission(new Uint8Array(Buffer.from(c.envelope, "base64")), policy);
    result.negative[c.name] = "accepted";
  } catch (error) {
    result.negative[c.name] = error instanceof EnvelopeError ? error.reason : `crash: ${error}`;
  }
}
const keys = await verifyKeyset(vector.keyset_document, vector.identities_file);
result.keyset_public_keys = keys.map((k) => Buffer.from(k).toString("base64"));
result.price_key = hex(await partKey(fromHex(vector.dek), fromHex(vector.h), "price"));
result.docs_key = hex(await partKey(fromHex(vector.dek), fromHex(vector.h), "docs"));
process.stdout.write(JSON.stringify(result));
