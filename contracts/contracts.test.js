// The contracts on a real local node (anvil from tools/), through the
// committed artifacts: `node --test contracts/` (after scripts/setup.sh).
// Each test deploys its own instances on one shared node.
"use strict";

const { after, before, describe, test } = require("node:test");
const assert = require("node:assert/strict");
const path = require("path");
const { startAnvil, cast, selector, topic, asAddress } = require("./anvil");

const { StandardMerkleTree } = require(path.join(__dirname, "..", "tools", "node_modules", "@openzeppelin", "merkle-tree"));

const ZERO = "0x" + "0".repeat(40);
const MAX = (1n << 256n) - 1n;
const CTOR = "constructor(address,address,bool)";
const DIST = "distribute(uint64,uint32,address[],uint256[])";
const PACKED = "distributePacked(uint64,uint32,uint256[])";
const CLAIM = "claim(uint64,uint256,address,uint256,bytes32[])";
const SET_ROOT = "setRoot(uint64,bytes32,uint256)";
const list = (xs) => `[${xs.join(",")}]`;
const err = (sig) => selector(sig);
// Refuser.forward(target, calldata of sig(args)): the Refuser calling.
const forward = (target, sig, ...args) => [target, cast("calldata", sig, ...args.map(String))];
const FORWARD = "forward(address,bytes)";
const fresh = (() => {
  let n = 0x1000;
  return () => "0x" + (++n).toString(16).padStart(40, "a");
})();

let node;
let owner;
let other;
before(async () => {
  node = await startAnvil();
  [owner, other] = node.accounts;
});
after(() => node?.stop());

async function word(to, sig, args = [], block) {
  return (await node.view(to, sig, args, block))[0];
}

describe("Distributor, native push", () => {
  test("pays a batch once, to funded and new accounts alike", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const to = [fresh(), fresh(), fresh()];
    const amounts = [1n, 2n * 10n ** 18n, 12345n];
    await node.rpc("anvil_setBalance", [to[0], "0x5"]);
    await node.call(d, DIST, [4, 0, list(to), list(amounts)], { value: "0x" + (3n * 10n ** 18n).toString(16) });
    assert.equal(await node.balance(to[0]), 6n);
    assert.equal(await node.balance(to[1]), amounts[1]);
    assert.equal(await node.balance(to[2]), amounts[2]);
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [4, 0]), 1n);
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [4, 1]), 0n);
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [5, 0]), 0n);
    // The leftover stays for later batches.
    assert.equal(await node.balance(d), 3n * 10n ** 18n - amounts[0] - amounts[1] - amounts[2]);

    assert.equal(await node.revertOf(d, DIST, [4, 0, list(to), list(amounts)]), err("BatchAlreadyPaid(uint64,uint32)"));
    // The packed form shares the bitmap.
    assert.equal(await node.revertOf(d, PACKED, [4, 0, list([1])]), err("BatchAlreadyPaid(uint64,uint32)"));
    await node.call(d, DIST, [4, 1, list(to.slice(0, 1)), list([1])]);
    await node.call(d, DIST, [4, 300, list(to.slice(0, 1)), list([1])]);
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [4, 300]), 1n);
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [4, 299]), 0n);
  });

  test("an underfunded batch reverts whole and stays unpaid", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const to = [fresh(), fresh()];
    await node.send({ to: d, value: "0x10" });
    assert.equal(await node.revertOf(d, DIST, [1, 0, list(to), list([8, 9])]), err("InsufficientFunds(uint256,uint256)"));
    // msg.value counts as funds.
    await node.call(d, DIST, [1, 0, list(to), list([8, 9])], { value: "0x1" });
    assert.equal(await node.balance(d), 0n);
  });

  test("only the owner pays, arrays must match, sums cannot wrap", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const to = [fresh(), fresh()];
    assert.equal(
      await node.revertOf(d, DIST, [1, 0, list(to), list([1, 1])], { from: other }),
      err("OwnableUnauthorizedAccount(address)"),
    );
    assert.equal(await node.revertOf(d, DIST, [1, 0, list(to), list([1])]), err("LengthMismatch()"));
    const huge = 1n << 255n;
    assert.equal(await node.revertOf(d, DIST, [1, 0, list(to), list([huge, huge])]), "0x");
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [1, 0]), 0n);
  });

  test("a recipient that refuses is owed, the batch goes on, and it withdraws later", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const refuser = await node.deploy("Refuser");
    const ok = fresh();
    await node.send({ to: d, value: "0x64" }); // 100 wei
    const r = await node.call(d, DIST, [1, 0, list([refuser, ok]), list([30, 20])]);
    assert.equal(await node.balance(ok), 20n);
    assert.equal(await node.balance(refuser), 0n);
    assert.equal(await word(d, "owed(address)(uint256)", [refuser]), 30n);
    assert.equal(await word(d, "reserved()(uint96)"), 30n);
    const owedTopic = await node.rpc("eth_getLogs", [{ address: d, fromBlock: r.blockNumber, toBlock: r.blockNumber }]);
    assert.equal(owedTopic.length, 2); // Owed, then BatchPaid
    assert.equal(asAddress(BigInt(owedTopic[0].topics[1])), refuser.toLowerCase());

    // 80 wei held, 30 of them reserved: a batch of 51 is refused, 50 paid.
    assert.equal(await node.balance(d), 80n);
    assert.equal(await node.revertOf(d, DIST, [1, 1, list([ok]), list([51])]), err("InsufficientFunds(uint256,uint256)"));
    await node.call(d, DIST, [1, 1, list([ok]), list([50])]);
    assert.equal(await node.balance(d), 30n);

    // Still refusing: the withdrawal reverts and the debt stands.
    assert.equal(await node.revertOf(refuser, FORWARD, forward(d, "withdraw()")), err("TransferFailed()"));
    assert.equal(await node.revertOf(d, "withdraw()", [], { from: other }), err("NothingOwed()"));
    await node.call(refuser, "setAccepting(bool)", [true]);
    await node.call(refuser, FORWARD, forward(d, "withdraw()"));
    assert.equal(await node.balance(refuser), 30n);
    assert.equal(await word(d, "owed(address)(uint256)", [refuser]), 0n);
    assert.equal(await word(d, "reserved()(uint96)"), 0n);
    assert.equal(await node.revertOf(refuser, FORWARD, forward(d, "withdraw()")), err("NothingOwed()"));
  });

  test("a contract that never accepts IOTX withdraws to another address", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const refuser = await node.deploy("Refuser");
    const elsewhere = fresh();
    await node.call(d, DIST, [1, 0, list([refuser]), list([40])], { value: "0x28" });
    assert.equal(await word(d, "owed(address)(uint256)", [refuser]), 40n);
    await node.call(refuser, FORWARD, forward(d, "withdrawTo(address)", elsewhere));
    assert.equal(await node.balance(elsewhere), 40n);
    assert.equal(await word(d, "reserved()(uint96)"), 0n);
  });

  test("ownership can move but not be renounced", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    assert.equal(await node.revertOf(d, "renounceOwnership()"), err("RenounceDisabled()"));
    await node.call(d, "transferOwnership(address)", [other]);
    assert.equal(asAddress(await word(d, "owner()(address)")), other.toLowerCase());
    await node.call(d, DIST, [1, 0, "[]", "[]"], { from: other });
    assert.equal(await node.revertOf(d, DIST, [1, 1, "[]", "[]"]), err("OwnableUnauthorizedAccount(address)"));
  });

  test("packed payouts: recipient in the high 160 bits, amount in the low 96", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "false");
    const to = [fresh(), fresh()];
    const amounts = [(1n << 96n) - 1n, 7n];
    await node.rpc("anvil_setBalance", [d, "0x" + (1n << 97n).toString(16)]);
    await node.call(d, PACKED, [2, 0, list(to.map((a, i) => (BigInt(a) << 96n) | amounts[i]))]);
    assert.equal(await node.balance(to[0]), amounts[0]);
    assert.equal(await node.balance(to[1]), amounts[1]);
    assert.equal(await node.revertOf(d, DIST, [2, 0, list(to), list([1, 1])]), err("BatchAlreadyPaid(uint64,uint32)"));
  });
});

describe("Distributor, ERC-20 push", () => {
  test("pays a batch once from the contract's tokens", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "false");
    await node.call(token, "mint(address,uint256)", [d, 1000]);
    const to = [fresh(), fresh()];
    await node.call(d, DIST, [1, 0, list(to), list([100, 250])]);
    assert.equal(await word(token, "balanceOf(address)(uint256)", [to[0]]), 100n);
    assert.equal(await word(token, "balanceOf(address)(uint256)", [to[1]]), 250n);
    assert.equal(await node.revertOf(d, DIST, [1, 0, list(to), list([100, 250])]), err("BatchAlreadyPaid(uint64,uint32)"));
    await node.call(d, PACKED, [1, 1, list([(BigInt(to[0]) << 96n) | 50n])]);
    assert.equal(await word(token, "balanceOf(address)(uint256)", [to[0]]), 150n);
    assert.equal(await word(token, "balanceOf(address)(uint256)", [d]), 600n);
  });

  test("short of tokens the batch reverts; native value is refused", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "false");
    await node.call(token, "mint(address,uint256)", [d, 10]);
    assert.equal(await node.revertOf(d, DIST, [1, 0, list([fresh(), fresh()]), list([5, 6])]), err("TransferFailed()"));
    assert.equal(await node.revertOf(d, DIST, [1, 0, list([fresh()]), list([5])], { value: "0x1" }), err("UnexpectedValue()"));
    await assert.rejects(node.send({ to: d, value: "0x1" }), (e) => e.data?.slice(0, 10) === err("UnexpectedValue()"));
    assert.equal(await word(d, "isBatchPaid(uint64,uint32)(bool)", [1, 0]), 0n);
  });

  test("a token address without code is refused at deployment", async () => {
    await assert.rejects(node.deploy("Distributor", CTOR, owner, fresh(), "false"), (e) => {
      assert.equal(e.data?.slice(0, 10), err("NotAToken(address)"));
      return true;
    });
  });

  test("each mode refuses the other's functions", async () => {
    const token = await node.deploy("MockERC20");
    const push = await node.deploy("Distributor", CTOR, owner, token, "false");
    const claims = await node.deploy("Distributor", CTOR, owner, token, "true");
    const one = "0x" + "11".repeat(32);
    assert.equal(await node.revertOf(claims, DIST, [1, 0, list([fresh()]), list([1])]), err("WrongMode(bool)"));
    assert.equal(await node.revertOf(push, SET_ROOT, [1, one, 0]), err("WrongMode(bool)"));
    assert.equal(await node.revertOf(push, CLAIM, [1, 0, fresh(), 1, "[]"]), err("WrongMode(bool)"));
  });
});

// A tree as tools/merkle.js builds it: leaves (index, account, amount).
function tree(payouts) {
  const values = payouts.map(([a, v], i) => [String(i), a, String(v)]);
  const t = StandardMerkleTree.of(values, ["uint256", "address", "uint256"]);
  const proofs = new Map();
  for (const [i, v] of t.entries()) proofs.set(Number(v[0]), t.getProof(i));
  return { root: t.root, proof: (i) => list(proofs.get(i)) };
}

describe("Distributor, claims", () => {
  test("every leaf pays once, to its account, whoever submits it", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "true");
    const payouts = Array.from({ length: 5 }, (_, i) => [fresh(), BigInt(100 + i)]);
    const t = tree(payouts);
    await node.call(token, "mint(address,uint256)", [d, 510]);
    assert.equal(await node.revertOf(d, CLAIM, [3, 0, payouts[0][0], 100, t.proof(0)]), err("NoRoot(uint64)"));
    assert.equal(await node.revertOf(d, SET_ROOT, [3, t.root, 510], { from: other }), err("OwnableUnauthorizedAccount(address)"));
    await node.call(d, SET_ROOT, [3, t.root, 510]);
    assert.equal(await node.revertOf(d, SET_ROOT, [3, t.root, 0]), err("RootAlreadySet(uint64)"));

    for (const [i, [a, v]] of payouts.entries()) {
      await node.call(d, CLAIM, [3, i, a, v, t.proof(i)], { from: other });
      assert.equal(await word(token, "balanceOf(address)(uint256)", [a]), v);
      assert.equal(await word(d, "isClaimed(uint64,uint256)(bool)", [3, i]), 1n);
      assert.equal(await node.revertOf(d, CLAIM, [3, i, a, v, t.proof(i)]), err("AlreadyClaimed(uint64,uint256)"));
    }
    assert.equal(await word(d, "remaining(uint64)(uint256)", [3]), 0n);
    assert.equal(await word(token, "balanceOf(address)(uint256)", [d]), 0n);
  });

  test("a wrong amount, account, index or proof pays nothing", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "true");
    const payouts = Array.from({ length: 4 }, (_, i) => [fresh(), BigInt(7 + i)]);
    const t = tree(payouts);
    await node.call(token, "mint(address,uint256)", [d, 1000]);
    await node.call(d, SET_ROOT, [1, t.root, 34]);
    const [a, v] = payouts[1];
    const bad = err("InvalidProof()");
    assert.equal(await node.revertOf(d, CLAIM, [1, 1, a, v + 1n, t.proof(1)]), bad);
    assert.equal(await node.revertOf(d, CLAIM, [1, 1, payouts[2][0], v, t.proof(1)]), bad);
    assert.equal(await node.revertOf(d, CLAIM, [1, 2, a, v, t.proof(1)]), bad);
    assert.equal(await node.revertOf(d, CLAIM, [1, 1, a, v, t.proof(2)]), bad);
    assert.equal(await node.revertOf(d, CLAIM, [1, 1, a, v, "[]"]), bad);
    assert.equal(await node.revertOf(d, CLAIM, [2, 1, a, v, t.proof(1)]), err("NoRoot(uint64)"));
    assert.equal(await node.revertOf(d, SET_ROOT, [2, "0x" + "00".repeat(32), 1]), err("ZeroRoot()"));
  });

  test("claims never pay more than the epoch's total", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "true");
    const payouts = [[fresh(), 60n], [fresh(), 50n]];
    const t = tree(payouts);
    await node.call(token, "mint(address,uint256)", [d, 1000]);
    // The owner publishes a total smaller than the leaves add up to.
    await node.call(d, SET_ROOT, [1, t.root, 100]);
    await node.call(d, CLAIM, [1, 0, payouts[0][0], 60, t.proof(0)]);
    assert.equal(await word(d, "remaining(uint64)(uint256)", [1]), 40n);
    assert.equal(await node.revertOf(d, CLAIM, [1, 1, payouts[1][0], 50, t.proof(1)]), err("ExceedsTotal(uint64,uint256,uint256)"));
    assert.equal(await word(d, "isClaimed(uint64,uint256)(bool)", [1, 1]), 0n);
  });

  test("a new root cannot commit what older epochs still owe", async () => {
    const token = await node.deploy("MockERC20");
    const d = await node.deploy("Distributor", CTOR, owner, token, "true");
    const e1 = [[fresh(), 70n], [fresh(), 30n]];
    const e2 = [[fresh(), 40n]];
    const t1 = tree(e1);
    const t2 = tree(e2);
    await node.call(token, "mint(address,uint256)", [d, 120]);
    await node.call(d, SET_ROOT, [1, t1.root, 100]);
    assert.equal(await word(d, "outstanding()(uint256)"), 100n);
    assert.equal(await node.revertOf(d, SET_ROOT, [2, t2.root, 40]), err("InsufficientFunds(uint256,uint256)"));
    await node.call(d, CLAIM, [1, 0, e1[0][0], 70, t1.proof(0)]);
    // 50 held, 30 still owed to epoch 1: 20 free.
    assert.equal(await node.revertOf(d, SET_ROOT, [2, t2.root, 40]), err("InsufficientFunds(uint256,uint256)"));
    await node.call(d, CLAIM, [1, 1, e1[1][0], 30, t1.proof(1)]);
    assert.equal(await word(d, "outstanding()(uint256)"), 0n);
    await node.call(d, SET_ROOT, [2, t2.root, 20]);
    await node.call(token, "mint(address,uint256)", [d, 20]);
    await node.call(d, SET_ROOT, [3, t2.root, 20]);
    assert.equal(await word(d, "outstanding()(uint256)"), 40n);
    // Epoch 2 pays its 20 and no more, even with epoch 3's funds there.
    assert.equal(await node.revertOf(d, CLAIM, [2, 0, e2[0][0], 40, t2.proof(0)]), err("ExceedsTotal(uint64,uint256,uint256)"));
  });

  test("native claims: a refusing account is owed, and the owed is kept back", async () => {
    const d = await node.deploy("Distributor", CTOR, owner, ZERO, "true");
    const refuser = await node.deploy("Refuser");
    const payouts = [[refuser, 25n], [fresh(), 5n]];
    const t = tree(payouts);
    await node.send({ to: d, value: "0x1e" }); // 30
    await node.call(d, SET_ROOT, [1, t.root, 30]);
    await node.call(d, CLAIM, [1, 0, refuser, 25, t.proof(0)]);
    assert.equal(await word(d, "owed(address)(uint256)", [refuser]), 25n);
    assert.equal(await word(d, "reserved()(uint96)"), 25n);
    await node.call(d, CLAIM, [1, 1, payouts[1][0], 5, t.proof(1)]);
    assert.equal(await node.balance(payouts[1][0]), 5n);
    // 25 held, all of it owed: no new root can use it.
    assert.equal(await node.revertOf(d, SET_ROOT, [2, t.root, 1]), err("InsufficientFunds(uint256,uint256)"));
    await node.call(refuser, "setAccepting(bool)", [true]);
    await node.call(refuser, FORWARD, forward(d, "withdraw()"));
    assert.equal(await node.balance(refuser), 25n);
    assert.equal(await node.balance(d), 0n);
  });
});

describe("TestSystemStaking", () => {
  const BUCKET = "bucketOf(uint256)((uint256,uint256,uint256,uint256,address))";
  const day = 17280n;

  test("buckets read like SystemStaking2's, at any past block", async () => {
    const s = await node.deploy("TestSystemStaking");
    const [alice, bob, delegate] = [node.accounts[1], node.accounts[2], node.accounts[5]];
    const r1 = await node.call(s, "stake(uint256,address)", [91n * day, delegate], { from: alice, value: "0x64" });
    const staked = BigInt(r1.blockNumber);
    let b = await node.view(s, BUCKET, [1]);
    assert.deepEqual(b.slice(0, 4), [100n, 91n * day, MAX, MAX]);
    assert.equal(asAddress(b[4]), delegate.toLowerCase());
    assert.equal(asAddress(await word(s, "ownerOf(uint256)(address)", [1])), alice.toLowerCase());
    assert.equal(await word(s, "blocksToUnstake(uint256)(uint256)", [1]), 91n * day);
    assert.equal(await node.revertOf(s, "blocksToWithdraw(uint256)(uint256)", [1]), err("ErrNotUnstakedBucket()"));
    assert.equal(await node.revertOf(s, "unlock(uint256)", [1], { from: bob }), err("ErrNotOwner()"));

    const r2 = await node.call(s, "unlock(uint256)", [1], { from: alice });
    const unlocked = BigInt(r2.blockNumber);
    b = await node.view(s, BUCKET, [1]);
    assert.equal(b[2], unlocked);
    assert.equal(await word(s, "blocksToUnstake(uint256)(uint256)", [1]), 91n * day - 0n);
    // The bucket as it was when staked.
    b = await node.view(s, BUCKET, [1], "0x" + staked.toString(16));
    assert.equal(b[2], MAX);

    await node.call(s, "transferFrom(address,address,uint256)", [alice, bob, 1], { from: alice });
    assert.equal(asAddress(await word(s, "ownerOf(uint256)(address)", [1])), bob.toLowerCase());
    assert.equal(asAddress(await word(s, "ownerOf(uint256)(address)", [1], "0x" + staked.toString(16))), alice.toLowerCase());

    const r3 = await node.call(s, "unstake(uint256)", [1], { from: bob });
    b = await node.view(s, BUCKET, [1]);
    assert.equal(b[2], BigInt(r3.blockNumber));
    assert.equal(b[3], BigInt(r3.blockNumber));
    assert.equal(await word(s, "blocksToWithdraw(uint256)(uint256)", [1]), 3n * day);
    assert.equal(await node.revertOf(s, "blocksToUnstake(uint256)(uint256)", [1]), err("ErrNotStakedBucket()"));
  });

  test("tests create, rewrite and burn buckets in any state; Transfer logs find an owner's", async () => {
    const s = await node.deploy("TestSystemStaking");
    const [carol, dave] = [node.accounts[3], node.accounts[4]];
    const mint = "mintBucket(address,uint256,uint256,uint256,uint256,address)";
    await node.call(s, mint, [carol, 500, 30n * day, MAX, MAX, dave]);
    await node.call(s, mint, [carol, 200, 7n * day, 5, MAX, dave]);
    await node.call(s, mint, [dave, 300, 0, 5, 6, dave]);
    assert.deepEqual((await node.view(s, BUCKET, [2])).slice(0, 4), [200n, 7n * day, 5n, MAX]);
    assert.equal(await word(s, "balanceOf(address)(uint256)", [carol]), 2n);

    // No enumeration, as in the real contract: an owner's buckets are the
    // ids of the Transfer logs to it, kept if ownerOf still says so.
    const to = (a) => "0x" + a.slice(2).toLowerCase().padStart(64, "0");
    const logs = await node.rpc("eth_getLogs", [
      { address: s, fromBlock: "0x0", topics: [topic("Transfer(address,address,uint256)"), null, to(carol)] },
    ]);
    assert.deepEqual(logs.map((l) => BigInt(l.topics[3])), [1n, 2n]);
    const stakedLogs = await node.rpc("eth_getLogs", [
      { address: s, fromBlock: "0x0", topics: [topic("Staked(uint256,address,uint256,uint256)")] },
    ]);
    assert.equal(stakedLogs.length, 3);

    await node.call(s, "setBucket(uint256,uint256,uint256,uint256,uint256,address)", [1, 501, 30n * day, MAX, MAX, dave]);
    assert.equal((await node.view(s, BUCKET, [1]))[0], 501n);
    await node.call(s, "burn(uint256)", [3]);
    assert.equal(await node.revertOf(s, BUCKET, [3]), selector("Error(string)"));
    assert.equal(await node.revertOf(s, BUCKET, [99]), selector("Error(string)"));
  });
});

describe("VotesToken", () => {
  test("votes and balances read at a past block; only the deployer mints", async () => {
    const t = await node.deploy("VotesToken");
    const alice = node.accounts[1];
    await node.call(t, "mint(address,uint256)", [alice, 700]);
    await node.call(t, "delegate(address)", [alice], { from: alice });
    const snapshot = BigInt(await node.rpc("eth_blockNumber"));
    await node.call(t, "mint(address,uint256)", [alice, 300]);
    await node.call(t, "mint(address,uint256)", [owner, 1]); // one more block
    assert.equal(await word(t, "getPastVotes(address,uint256)(uint256)", [alice, snapshot]), 700n);
    assert.equal(await word(t, "getVotes(address)(uint256)", [alice]), 1000n);
    assert.equal(await word(t, "balanceOf(address)(uint256)", [alice], "0x" + snapshot.toString(16)), 700n);
    assert.equal(await word(t, "clock()(uint48)"), BigInt(await node.rpc("eth_blockNumber")));
    assert.equal(await node.revertOf(t, "mint(address,uint256)", [alice, 1], { from: alice }), err("OwnableUnauthorizedAccount(address)"));
  });
});
