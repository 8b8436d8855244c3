// A throw-away local anvil (tools/, pinned) and the few JSON-RPC calls the
// contracts' node scripts need: contracts/gas.js and contracts/contracts.test.js.
// Calls are encoded by cast; results are read as raw 32-byte words.
"use strict";

const { spawn, execFileSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "tools", "node_modules");
const ANVIL = path.join(modules, "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
const CAST = path.join(modules, "@foundry-rs", "cast-linux-amd64", "bin", "cast");

const cast = (...args) => execFileSync(CAST, args, { encoding: "utf8", maxBuffer: 1 << 26 }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const artifact = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, "out", `${name}.json`), "utf8"));
const selectors = new Map();
/// The 4-byte selector of a function or error signature, "0x…".
function selector(sig) {
  if (!selectors.has(sig)) selectors.set(sig, cast("sig", sig));
  return selectors.get(sig);
}

/// The keccak-256 of an event signature: its topic 0.
const topic = (sig) => cast("keccak", sig);

class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message}`);
    this.data = typeof error.data === "string" ? error.data : error.data?.data;
  }
}

/// Starts anvil on a random high port (it cannot pick a free one itself; on
/// a taken port it exits and another is tried). `stop()` kills it.
async function startAnvil(extra = []) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = 20000 + crypto.randomInt(40000);
    const args = ["--port", String(port), "--gas-limit", "100000000", "--balance", "1000000", "--quiet", ...extra];
    const child = spawn(ANVIL, args, { stdio: "ignore" });
    let exited = false;
    child.on("exit", () => (exited = true));
    const node = new Node(`http://127.0.0.1:${port}`, child);
    for (let i = 0; i < 100 && !exited; i++) {
      try {
        await node.rpc("eth_chainId");
        node.accounts = await node.rpc("eth_accounts");
        return node;
      } catch {
        await sleep(100);
      }
    }
    child.kill();
  }
  throw new Error("anvil did not start (scripts/setup.sh installs it)");
}

class Node {
  constructor(url, child) {
    this.url = url;
    this.child = child;
    this.id = 0;
  }

  stop() {
    this.child.kill();
  }

  async rpc(method, params = []) {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new RpcError(method, body.error);
    return body.result;
  }

  /// Sends a transaction from an unlocked account (default: account 0) and
  /// returns its receipt; throws if it reverted.
  async send(tx) {
    const full = { from: this.accounts[0], gas: "0x5f5e100", ...tx };
    const hash = await this.rpc("eth_sendTransaction", [full]);
    let r = null;
    for (let i = 0; i < 400 && !r; i++) {
      r = await this.rpc("eth_getTransactionReceipt", [hash]);
      if (!r) await sleep(5);
    }
    if (!r) throw new Error(`no receipt for ${hash}`);
    if (r.status !== "0x1") {
      // Replay it as a call to learn why.
      await this.rpc("eth_call", [full, r.blockNumber]);
      throw new Error(`transaction reverted: ${hash}`);
    }
    return r;
  }

  async deploy(name, ctorSig, ...args) {
    const enc = ctorSig ? cast("abi-encode", ctorSig, ...args).slice(2) : "";
    return (await this.send({ data: artifact(name).bytecode.object + enc })).contractAddress;
  }

  /// Calls `sig` on `to` in a transaction; `opts` may set from and value.
  call(to, sig, args = [], opts = {}) {
    return this.send({ to, data: cast("calldata", sig, ...args.map(String)), ...opts });
  }

  /// A read (eth_call, at `block` if given): the result as 32-byte words.
  async view(to, sig, args = [], block = "latest") {
    const data = await this.rpc("eth_call", [{ to, data: cast("calldata", sig, ...args.map(String)) }, block]);
    return words(data);
  }

  /// The custom error's selector a call reverts with, or null if it succeeds.
  async revertOf(to, sig, args = [], opts = {}) {
    const tx = { from: this.accounts[0], to, data: cast("calldata", sig, ...args.map(String)), ...opts };
    try {
      await this.rpc("eth_call", [tx, "latest"]);
      return null;
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      return e.data ? e.data.slice(0, 10) : "0x";
    }
  }

  async balance(addr, block = "latest") {
    return BigInt(await this.rpc("eth_getBalance", [addr, block]));
  }
}

function words(hex) {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  const out = [];
  for (let i = 0; i < h.length; i += 64) out.push(BigInt("0x" + h.slice(i, i + 64)));
  return out;
}
const asAddress = (w) => "0x" + w.toString(16).padStart(40, "0");

module.exports = { startAnvil, cast, selector, topic, artifact, words, asAddress };
