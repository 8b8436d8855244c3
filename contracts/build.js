#!/usr/bin/env node
// Compiles contracts/src and contracts/test offline with the pinned solcjs
// (tools/node_modules, installed by scripts/setup.sh) through solc's
// standard-JSON API, and writes one artifact per deployable contract to
// contracts/out/<Name>.json: {abi, bytecode: {object}, deployedBytecode:
// {object}, compiler}, the Foundry-like shape alloy's sol! macro reads.
//
// The output is byte-stable: no metadata hash or CBOR trailer in the
// bytecode, no timestamps or paths, object keys sorted, two-space JSON with
// a final newline.
//
//   node contracts/build.js           write the artifacts
//   node contracts/build.js --check   compile in memory; exit 1 if an
//                                     artifact in contracts/out differs,
//                                     is missing or is left over
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "tools", "node_modules");
let solc;
try {
  solc = require(path.join(modules, "solc"));
} catch {
  console.error("solc is not installed: run scripts/setup.sh");
  process.exit(1);
}

// paris: no PUSH0 (Shanghai) or MCOPY/transient storage (Cancun), so the
// bytecode runs on any EVM chain from the Merge on, whatever IoTeX's node
// version; what those opcodes would save here is a few gas per call. via-IR
// with many optimizer runs: the hot paths are assembly loops, and the rest
// is cheaper to call than to deploy.
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

// Imports resolve only from tools/node_modules (@openzeppelin/...).
function findImport(p) {
  const file = path.join(modules, p);
  if (!path.resolve(file).startsWith(modules + path.sep)) return { error: `outside tools/node_modules: ${p}` };
  if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  return { error: `not found in tools/node_modules: ${p}` };
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

function compile() {
  const input = { language: "Solidity", sources: sources(), settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  // Every error, and our own warnings (the libraries' are theirs): both fail
  // the build, so the sources stay warning-free.
  const ours = (e) => e.severity === "error" || (e.sourceLocation || {}).file?.startsWith("contracts/");
  const problems = (output.errors || []).filter(ours);
  for (const e of problems) console.error(e.formattedMessage);
  if (problems.length) process.exit(1);
  const artifacts = {};
  for (const [file, contracts] of Object.entries(output.contracts)) {
    if (!file.startsWith("contracts/")) continue;
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // an interface or abstract contract
      if (artifacts[`${name}.json`]) {
        console.error(`two contracts are named ${name}: artifacts are named by contract`);
        process.exit(1);
      }
      const artifact = {
        abi: c.abi,
        bytecode: { object: "0x" + c.evm.bytecode.object },
        deployedBytecode: { object: "0x" + c.evm.deployedBytecode.object },
        compiler: { solc: solc.version(), settings },
      };
      artifacts[`${name}.json`] = JSON.stringify(sortKeys(artifact), null, 2) + "\n";
    }
  }
  return artifacts;
}

const outDir = path.join(__dirname, "out");
const artifacts = compile();
const existing = fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((f) => f.endsWith(".json")) : [];
if (process.argv.includes("--check")) {
  let stale = 0;
  for (const [name, text] of Object.entries(artifacts)) {
    const file = path.join(outDir, name);
    if (!fs.existsSync(file)) {
      console.error(`contracts/out/${name} is missing`);
      stale++;
    } else if (fs.readFileSync(file, "utf8") !== text) {
      console.error(`contracts/out/${name} is not what the sources compile to`);
      stale++;
    }
  }
  for (const name of existing.filter((f) => !(f in artifacts))) {
    console.error(`contracts/out/${name} has no contract any more`);
    stale++;
  }
  if (stale) {
    console.error("run: node contracts/build.js");
    process.exit(1);
  }
  console.log(`contracts/out matches the sources (${Object.keys(artifacts).length} artifacts, solc ${solc.version()})`);
  process.exit(0);
}
fs.mkdirSync(outDir, { recursive: true });
for (const name of existing.filter((f) => !(f in artifacts))) fs.unlinkSync(path.join(outDir, name));
for (const [name, text] of Object.entries(artifacts)) fs.writeFileSync(path.join(outDir, name), text);
console.log(`wrote ${Object.keys(artifacts).length} artifacts to contracts/out (solc ${solc.version()})`);
