#!/usr/bin/env node
// Compiles contracts/src and contracts/test offline with the pinned solcjs
// (tools/node_modules) and writes one artifact per contract to
// contracts/out/<Name>.json: {abi, bytecode: {object}, deployedBytecode:
// {object}}, the shape alloy's sol! macro reads. Deterministic output.
//
//   node contracts/build.js           write the artifacts
//   node contracts/build.js --check   exit 1 if a committed artifact differs
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "tools", "node_modules");
const solc = require(path.join(modules, "solc"));

// paris: no PUSH0, so the bytecode runs on chains that have not adopted
// Shanghai yet. The optimizer runs favour cheap calls over small code.
const settings = {
  evmVersion: "paris",
  viaIR: true,
  optimizer: { enabled: true, runs: 10000 },
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function sources() {
  const out = {};
  for (const dir of ["src", "test"]) {
    const abs = path.join(__dirname, dir);
    for (const f of fs.readdirSync(abs).filter((f) => f.endsWith(".sol")).sort()) {
      out[`contracts/${dir}/${f}`] = { content: fs.readFileSync(path.join(abs, f), "utf8") };
    }
  }
  return out;
}

function findImport(p) {
  const file = path.join(modules, p);
  if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  return { error: `not found: ${p}` };
}

function compile() {
  const input = { language: "Solidity", sources: sources(), settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  // Our own warnings and every error; the libraries' warnings are theirs.
  const ours = (e) => e.severity === "error" || (e.sourceLocation || {}).file?.startsWith("contracts/");
  for (const e of (output.errors || []).filter(ours)) console.error(e.formattedMessage);
  if (errors.length) process.exit(1);
  const artifacts = {};
  for (const [file, contracts] of Object.entries(output.contracts)) {
    if (!file.startsWith("contracts/")) continue;
    for (const [name, c] of Object.entries(contracts)) {
      const artifact = {
        abi: c.abi,
        bytecode: { object: "0x" + c.evm.bytecode.object },
        deployedBytecode: { object: "0x" + c.evm.deployedBytecode.object },
        compiler: { solc: solc.version(), settings },
      };
      artifacts[`${name}.json`] = JSON.stringify(artifact, null, 2) + "\n";
    }
  }
  return artifacts;
}

const outDir = path.join(__dirname, "out");
const artifacts = compile();
if (process.argv.includes("--check")) {
  let stale = 0;
  for (const [name, text] of Object.entries(artifacts)) {
    const file = path.join(outDir, name);
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
      console.error(`contracts/out/${name} is not what the sources compile to: run node contracts/build.js`);
      stale++;
    }
  }
  process.exit(stale ? 1 : 0);
}
fs.mkdirSync(outDir, { recursive: true });
for (const [name, text] of Object.entries(artifacts)) fs.writeFileSync(path.join(outDir, name), text);
console.log(`wrote ${Object.keys(artifacts).length} artifacts to contracts/out (solc ${solc.version()})`);
