// The sealing page: verify the key set, seal in the browser, upload with progress, show the
// receipt. Only this platform's own scripts run on this page (strict CSP).
import { seal, verifyKeyset } from "./epb1.js";
import { verifyReceipt } from "./ledgercheck.js";

const config = JSON.parse(document.getElementById("bid-config").textContent);
const text = document.getElementById("messages").dataset;
const form = document.getElementById("bid-form");
const status = document.getElementById("status");
const progress = document.getElementById("progress");
const bidder = document.getElementById("bidder");
const MAX_DOCS = 50 * 1024 * 1024;

function showReplace() {
  document.getElementById("replace-note").hidden = !config.live[bidder.value];
}
bidder.addEventListener("change", showReplace);
showReplace();

function priceSheet() {
  const lots = [];
  for (const input of form.querySelectorAll("input[data-lot]")) {
    const value = input.value.trim().replace(/[\s.](?=\d{3}(\D|$))/g, "").replace(",", ".");
    if (!value) continue;
    if (!/^\d+(\.\d{1,2})?$/.test(value) || Number(value) <= 0) return null;
    lots.push({ lot: Number(input.dataset.lot), price: value });
  }
  return lots.length ? { currency: config.currency, lots } : null;
}

function upload(blob, supersedes) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", config.submit_url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "vi");
    if (supersedes) xhr.setRequestHeader("X-Supersedes", supersedes);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) progress.value = 50 + (50 * e.loaded) / e.total;
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body);
      else reject(new Error((body.error && body.error.message) || `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(blob);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("seal");
  const sheet = priceSheet();
  const file = document.getElementById("docs").files[0] || new Blob([]);
  if (!sheet) { status.textContent = text.price; return; }
  if (file.size > MAX_DOCS) { status.textContent = text.tooBig; return; }
  button.disabled = true;
  progress.hidden = false;
  progress.value = 0;
  try {
    status.textContent = text.checking;
    const publicKeys = await verifyKeyset(config.keyset);
    status.textContent = text.sealing;
    const bid = crypto.randomUUID();
    const sealed = await seal({
      tender: config.keyset.tender, keyset: config.keyset.keyset_hash, bidder: bidder.value, bid,
      k: config.keyset.threshold, publicKeys,
      price: new TextEncoder().encode(JSON.stringify(sheet)), docs: file,
      onProgress: (done, total) => { progress.value = total ? (50 * done) / total : 50; },
    });
    status.textContent = text.uploading;
    const answer = await upload(sealed.blob, config.live[bidder.value]);
    progress.value = 100;
    const entry = JSON.parse(answer.receipt.statement ?? answer.receipt.entry);
    let matches = entry.payload.bid === bid && entry.payload.dek_commit === sealed.dekCommit;
    try {
      await verifyReceipt(answer.receipt, config.log_key, config.receipt_key);
    } catch {
      matches = false;
    }
    document.getElementById("r-seq").textContent =
      answer.receipt.seq === undefined ? text.sealedEntry : `#${answer.receipt.seq}`;
    document.getElementById("r-time").textContent = entry.time;
    document.getElementById("r-sha").textContent = answer.envelope_sha256;
    document.getElementById("r-commit").textContent = entry.payload.dek_commit;
    const check = document.getElementById("r-check");
    check.textContent = matches ? text.matches : text.mismatch;
    check.className = matches ? "ok" : "fail";
    document.getElementById("r-download").href = `/workspace/bids/${answer.bid}/receipt.json`;
    document.getElementById("result").hidden = false;
    config.live[bidder.value] = answer.bid;
    status.textContent = text.done;
    form.hidden = true;
  } catch (error) {
    status.textContent = `${text.failed} ${error.message}`;
    button.disabled = false;
  }
});
