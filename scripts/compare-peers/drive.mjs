// The load of scripts/compare-peers.sh against one Ethereum JSON-RPC node (Anvil,
// Hardhat, Ganache): 64 senders funded from the node's first unlocked account, then
// pre-signed legacy transfers (sender i % 64, nonce i / 64) sent with
// `eth_sendRawTransaction`, `inflight` requests at a time (each slot sends its next
// once its last was answered). Prints one JSON line: tx/s, p50/p99 latency.
//
//   node drive.mjs <rpc url> <transactions> <in flight> [file of signed transactions]
//
// The caller starts a fresh node for each level; the signed set is kept in the file
// and reused (same chain id, nonces from 0 again), so signing is done once per peer.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { HDNodeWallet, Mnemonic, Transaction, parseEther } from "ethers";

const [url, countArg, levelArg, signedPath] = process.argv.slice(2);
const count = Number(countArg);
const inflight = Number(levelArg);
const SENDERS = 64;

let id = 0;
// A dropped keep-alive connection (Ganache closes some) is retried; a transaction that
// the node had taken before the drop answers "already known" then (Ganache: "transaction
// underpriced", its answer to the same nonce at the same price), which counts.
async function rpc(method, params = [], tries = 3) {
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
  } catch (e) {
    if (tries <= 1) throw e;
    const again = await rpc(method, params, tries - 1).catch((e) => e);
    if (again instanceof Error) {
      if (/already known|known transaction|underpriced/i.test(again.message)) return "known";
      throw again;
    }
    return again;
  }
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

const mnemonic = Mnemonic.fromPhrase(
  "test test test test test test test test test test test junk",
);
const senders = [];
for (let i = 0; i < SENDERS; i++) {
  // Accounts past the nodes' own (which use indexes 0..19 or more), so that they
  // start with nothing but the funding.
  senders.push(HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/7'/0/${i}`));
}

const chainId = BigInt(await rpc("eth_chainId"));
const gasPrice = BigInt(await rpc("eth_gasPrice")) * 4n + 1_000_000_000n;

// Pre-signed once per chain id and transaction count (signing is not what we measure).
let raws;
if (signedPath && existsSync(signedPath)) {
  raws = JSON.parse(readFileSync(signedPath, "utf8"));
} else {
  raws = [];
  const to = "0x000000000000000000000000000000000000dEaD";
  for (let i = 0; i < count; i++) {
    const wallet = senders[i % SENDERS];
    const tx = Transaction.from({
      type: 0,
      chainId,
      nonce: Math.floor(i / SENDERS),
      gasPrice,
      gasLimit: 21000n,
      to,
      value: 1n,
    });
    tx.signature = wallet.signingKey.sign(tx.unsignedHash);
    raws.push(tx.serialized);
  }
  if (signedPath) writeFileSync(signedPath, JSON.stringify(raws));
}

// Funding: from the node's first unlocked account, one transfer each, mined.
const [rich] = await rpc("eth_accounts");
const funding = [];
for (const s of senders) {
  funding.push(
    await rpc("eth_sendTransaction", [
      { from: rich, to: s.address, value: "0x" + parseEther("10").toString(16), gas: "0x5208" },
    ]),
  );
}
for (const hash of funding) {
  for (let tries = 0; !(await rpc("eth_getTransactionReceipt", [hash])); tries++) {
    if (tries > 600) throw new Error("funding not mined within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The load.
const latencies = [];
let next = 0;
let refused = 0;
const started = performance.now();
async function slot() {
  while (next < raws.length) {
    const raw = raws[next++];
    const t = performance.now();
    try {
      await rpc("eth_sendRawTransaction", [raw]);
      latencies.push(performance.now() - t);
    } catch (e) {
      if (refused++ < 3) console.error(String(e).slice(0, 200));
    }
  }
}
await Promise.all(Array.from({ length: inflight }, slot));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
console.log(
  JSON.stringify({
    inflight,
    accepted: latencies.length,
    refused,
    tx_per_s: latencies.length / seconds,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
  }),
);
