#!/usr/bin/env node
// The reference Merkle tree: OpenZeppelin's StandardMerkleTree over leaves
// (uint256 index, address account, uint256 amount), as Distributor.claim
// checks them. Reads a CSV of `address,amount_wei` lines (index = line
// number from 0, a header line `address,amount` is skipped) and prints
// {root, claims: [{index, account, amount, proof}]} as JSON. iodao's Rust
// builder is tested against this output.
"use strict";

const fs = require("fs");
const path = require("path");
const { StandardMerkleTree } = require(path.join(__dirname, "node_modules", "@openzeppelin", "merkle-tree"));

const file = process.argv[2];
if (!file) {
  console.error("usage: node tools/merkle.js PAYOUTS.csv");
  process.exit(2);
}
const rows = fs
  .readFileSync(file, "utf8")
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#") && !/^address\s*,/i.test(l));
const values = rows.map((l, i) => {
  const [account, amount] = l.split(",").map((s) => s.trim());
  return [String(i), account, amount];
});
const tree = StandardMerkleTree.of(values, ["uint256", "address", "uint256"]);
const claims = [];
for (const [i, v] of tree.entries()) {
  claims.push({ index: Number(v[0]), account: v[1], amount: v[2], proof: tree.getProof(i) });
}
claims.sort((a, b) => a.index - b.index);
console.log(JSON.stringify({ root: tree.root, claims }, null, 1));
