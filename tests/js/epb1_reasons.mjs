// Differential fuzzing helper: reads {"policy": {...}, "inputs": [base64, ...]} from the file
// named on the command line and prints, for each input, what the browser's validator says:
// "ok", the EnvelopeError reason, or "crash: <error>" for any other exception.
import { readFileSync } from "node:fs";
import { validateAtSubmission, EnvelopeError } from "../../procurement/static/js/epb1.js";

const { policy, inputs } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = [];
for (const text of inputs) {
  try {
    await validateAtSubmission(new Uint8Array(Buffer.from(text, "base64")), policy);
    out.push("ok");
  } catch (error) {
    out.push(error instanceof EnvelopeError ? error.reason : `crash: ${error && error.stack}`);
  }
}
process.stdout.write(JSON.stringify(out));
