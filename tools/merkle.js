#!/usr/bin/env node
// The reference Merkle tree: OpenZeppelin's own StandardMerkleTree over
// leaves (uint256 index, address account, uint256 amount), as
// Distributor.claim checks them. iodao's Rust builder (chain/src/merkle.rs)
// is tested against this output.
//
//   node tools/merkle.js PAYOUTS.csv
//
// Input: one payout a line, `address,amount_wei` (0x address, amount a
// decimal integer of wei). The index of a payout is its line number among
// the payout lines, from 0: blank lines, `#` comments and a header line
// starting with `address` are skipped and do not count.
//
// Output (JSON): {root, total, claims: [{index, account, amount, proof}]},
// claims in index order, amounts and total as decimal strings.
//
// How the tree is laid out, for anyone reproducing the root:
//   leaf  = keccak256(keccak256(abi.encode(index, account, amount)))
//   node  = keccak256(min(a, b) ++ max(a, b))   (pairs sorted as numbers)
//   The n leaf hashes are sorted ascending (as 256-bit big-endian numbers;
//   StandardMerkleTree's default sortLeaves) and stored in an array of
//   2n - 1 nodes: the k-th smallest leaf at position 2n - 2 - k, and each
//   position i < n - 1, from n - 2 down to 0, is node(tree[2i+1], tree[2i+2]).
//   The root is position 0; a proof lists the siblings from the leaf up
//   (the sibling of an odd position p is p + 1, of an even one p - 1; the
//   parent of p is (p - 1) / 2, rounded down). One leaf: root = leaf, no
//   proof. Leaves of odd levels are not promoted: the array layout decides.
"use strict";

const fs = require("fs");
const path = require("path");
const { StandardMerkleTree } = require(path.join(__dirname, "node_modules", "@openzeppelin", "merkle-tree"));

function fail(msg) {
  console.error(msg);
  process.exit(2);
}

const file = process.argv[2];
if (!file || process.argv.length > 3) fail("usage: node tools/merkle.js PAYOUTS.csv   (lines: address,amount_wei)");
let text;
try {
  text = fs.readFileSync(file, "utf8");
} catch (e) {
  fail(`cannot read ${file}: ${e.message}`);
}

const values = [];
text.split(/\r?\n/).forEach((raw, n) => {
  const line = raw.trim();
  if (!line || line.startsWith("#") || /^address\s*,/i.test(line)) return;
  const cells = line.split(",").map((s) => s.trim());
  const where = `${file}:${n + 1}`;
  if (cells.length !== 2) fail(`${where}: expected address,amount_wei, got ${JSON.stringify(line)}`);
  const [account, amount] = cells;
  if (!/^0x[0-9a-fA-F]{40}$/.test(account)) fail(`${where}: not a 0x address: ${JSON.stringify(account)}`);
  if (!/^[0-9]+$/.test(amount) || BigInt(amount) >= 1n << 256n) fail(`${where}: not an amount of wei: ${JSON.stringify(amount)}`);
  values.push([String(values.length), account, BigInt(amount).toString()]);
});
if (!values.length) fail(`${file}: no payouts`);

const tree = StandardMerkleTree.of(values, ["uint256", "address", "uint256"]);
const claims = [];
for (const [i, v] of tree.entries()) {
  claims.push({ index: Number(v[0]), account: v[1], amount: v[2], proof: tree.getProof(i) });
}
claims.sort((a, b) => a.index - b.index);
const total = values.reduce((s, v) => s + BigInt(v[2]), 0n).toString();
console.log(JSON.stringify({ root: tree.root, total, claims }, null, 1));
