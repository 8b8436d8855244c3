#!/usr/bin/env node
// Measures the Distributor's gas on a throw-away local anvil beside the
// best-known references, without Rust: the committed artifacts are deployed
// as they are, calls are encoded by cast, and each figure is a receipt's
// gasUsed (the whole transaction, its 21 000 included) divided by the
// recipients or claims it paid.
//
//   node contracts/gas.js   (after scripts/setup.sh; about 30 s)
//
// Recipients are pseudo-random addresses (every byte drawn from a hash, as in
// the references: zero bytes would make calldata cheaper), fresh for ERC-20
// (their token balance goes from zero to non-zero) and already funded for
// native IOTX (non-empty accounts, so no new-account surcharge). The gas is
// anvil's, on Ethereum's schedule; IoTeX charges 10 000 a transaction and
// 100 a calldata byte instead of 21 000 and 4/16.
"use strict";

const crypto = require("crypto");
const path = require("path");
const { startAnvil } = require("./anvil");

const { StandardMerkleTree } = require(path.join(__dirname, "..", "tools", "node_modules", "@openzeppelin", "merkle-tree"));

const gasOf = (r) => Number(BigInt(r.gasUsed));
const recipients = (n, salt) =>
  Array.from({ length: n }, (_, i) => "0x" + crypto.createHash("sha256").update(`${salt}:${i}`).digest("hex").slice(0, 40));
const amount = (i) => 10n ** 18n + BigInt(i) * 7919n;
const list = (xs) => `[${xs.join(",")}]`;

const rows = [];
const row = (what, gas, per, reference, target, steady) => rows.push({ what, gas, per, reference, target, steady });

async function measure(node) {
  const owner = node.accounts[0];
  const CTOR = "constructor(address,address,bool)";
  const ZERO = "0x" + "0".repeat(40);
  // distribute(recipients[], amounts[]), and distributePacked(words[]) with
  // a word = recipient << 96 | amount.
  const fns = [
    ["distribute", "push"],
    ["distributePacked", "push, packed"],
  ];
  const pay = (d, fn, epoch, batch, to) =>
    fn === "distribute"
      ? node.call(d, "distribute(uint64,uint32,address[],uint256[])", [epoch, batch, list(to), list(to.map((_, i) => amount(i)))])
      : node.call(d, "distributePacked(uint64,uint32,uint256[])", [
          epoch,
          batch,
          list(to.map((a, i) => (BigInt(a) << 96n) | amount(i))),
        ]);
  // The first batch of an epoch pays for the epoch's fresh bitmap word
  // (22 100 gas); the next 255 batches of the epoch only update it (5 000).
  const batches = [
    [0, "first batch of its epoch", false],
    [1, "later batch", true],
  ];
  let salt = 0;
  let epoch = 1;

  // ERC-20 push to fresh recipients.
  const token = await node.deploy("MockERC20");
  const erc = await node.deploy("Distributor", CTOR, owner, token, "false");
  await node.call(token, "mint(address,uint256)", [erc, 10n ** 30n]);
  for (const [fn, label] of fns) {
    for (const n of [100, 500]) {
      epoch++;
      for (const [batch, what, later] of batches) {
        const g = gasOf(await pay(erc, fn, epoch, batch, recipients(n, `erc-${salt++}`)));
        row(`ERC-20 ${label}, ${n} fresh recipients, ${what}`, g, g / n, "Disperse 26 300", 26300, later || n >= 500);
      }
    }
  }

  // Native push to funded recipients, from the contract's balance.
  const native = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
  await node.send({ to: native, value: "0x" + (10n ** 22n).toString(16) });
  for (const [fn, label] of fns) {
    for (const n of [100, 500]) {
      epoch++;
      for (const [batch, what, later] of batches) {
        const to = recipients(n, `native-${salt++}`);
        for (const a of to) await node.rpc("anvil_setBalance", [a, "0x1"]);
        const g = gasOf(await pay(native, fn, epoch, batch, to));
        row(`native ${label}, ${n} funded recipients, ${what}`, g, g / n, "Disperse 10 300", 10300, later || n >= 500);
      }
    }
  }

  // ERC-20 claims of every leaf of a 1 000-leaf tree, fresh recipients.
  const claims = await node.deploy("Distributor", CTOR, owner, token, "true");
  const values = recipients(1000, "claims").map((a, i) => [String(i), a, amount(i).toString()]);
  const tree = StandardMerkleTree.of(values, ["uint256", "address", "uint256"]);
  const total = values.reduce((s, v) => s + BigInt(v[2]), 0n);
  await node.call(token, "mint(address,uint256)", [claims, total]);
  await node.call(claims, "setRoot(uint64,bytes32,uint256)", [7, tree.root, total]);
  const proofs = new Map();
  for (const [i, v] of tree.entries()) proofs.set(Number(v[0]), tree.getProof(i));
  // A shuffled order, so that the first claim of a bitmap word (the one
  // that pays for the fresh word) is not always its lowest index.
  const order = values.map((_, i) => i).sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000));
  const seen = new Set();
  let all = 0, first = 0, firsts = 0, min = Infinity, max = 0;
  for (const i of order) {
    const [, a, v] = values[i];
    const sig = "claim(uint64,uint256,address,uint256,bytes32[])";
    const g = gasOf(await node.call(claims, sig, [7, i, a, v, list(proofs.get(i))]));
    all += g;
    min = Math.min(min, g);
    max = Math.max(max, g);
    if (!seen.has(i >> 8)) {
      seen.add(i >> 8);
      first += g;
      firsts++;
    }
  }
  const n = order.length;
  row(`ERC-20 claim, every leaf of a ${n}-leaf tree (min ${min}, max ${max})`, all, all / n, "Uniswap 78 600", 78600, true);
  row(`  of which the first of their bitmap word (${firsts})`, first, first / firsts, "", 0, false);
  row(`  of which the others (${n - firsts})`, all - first, (all - first) / (n - firsts), "", 0, false);
}

async function main() {
  const node = await startAnvil();
  try {
    await measure(node);
  } finally {
    node.stop();
  }
  const fmt = (x) => Math.round(x).toLocaleString("en-US").replace(/,/g, " ");
  console.log(`${"operation".padEnd(68)} ${"gas".padStart(11)} ${"per unit".padStart(9)}  reference`);
  for (const r of rows) {
    const mark = !r.target ? "" : r.per <= r.target ? "  met" : r.steady ? "  OVER" : "  over (fresh word)";
    console.log(`${r.what.padEnd(68)} ${fmt(r.gas).padStart(11)} ${fmt(r.per).padStart(9)}  ${r.reference}${mark}`);
  }
}

main().catch((e) => {
  console.error(e.stack || e);
  process.exit(1);
});
