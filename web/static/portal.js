// iodao portal: the only script. It asks an EIP-1193 wallet (window.ethereum,
// as MetaMask and ioPay provide) to sign, then relays the signature to the
// JSON API. Reading the portal needs no script at all.
"use strict";

function wallet() {
  if (!window.ethereum || typeof window.ethereum.request !== "function") {
    throw new Error("No browser wallet found: install MetaMask or ioPay, or use the bots.");
  }
  return window.ethereum;
}

async function account() {
  const accounts = await wallet().request({ method: "eth_requestAccounts" });
  if (!accounts || accounts.length === 0) throw new Error("The wallet shared no account.");
  return accounts[0];
}

async function postJson(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({ message: "the server answered " + res.status }));
  if (!res.ok) throw new Error(data.message || ("the server answered " + res.status));
  return data;
}

// wei (decimal string) -> IOTX with the decimals it needs, exactly.
function iotx(wei) {
  const s = BigInt(wei).toString().padStart(19, "0");
  const int = s.slice(0, -18).replace(/^0+(?=\d)/, "");
  const frac = s.slice(-18).replace(/0+$/, "");
  return frac ? int + "." + frac : int;
}

function utf8Hex(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

function selection(form) {
  const method = form.dataset.method;
  if (method === "single-choice") {
    const picked = form.querySelector("input[name=choice]:checked");
    if (!picked) throw new Error("Pick a choice first.");
    return picked.value;
  }
  if (method === "approval") {
    const picked = Array.from(form.querySelectorAll("input[name=choice]:checked"), (i) => i.value);
    if (picked.length === 0) throw new Error("Approve at least one choice.");
    return picked.join(",");
  }
  const pairs = Array.from(form.querySelectorAll("input[data-choice]"))
    .filter((i) => i.value !== "" && Number(i.value) > 0)
    .map((i) => i.dataset.choice + "=" + i.value);
  if (pairs.length === 0) throw new Error("Give at least one choice a weight.");
  return pairs.join(" ");
}

async function refreshTally(id) {
  const res = await fetch("/api/v1/proposals/" + id + "/tally", { cache: "no-store" });
  if (!res.ok) return;
  const t = await res.json();
  for (const c of t.choices) {
    const cell = document.querySelector('[data-choice-power="' + c.number + '"]');
    if (cell) cell.textContent = iotx(c.power);
    const bar = document.querySelector('[data-bar="' + c.number + '"]');
    if (bar) bar.setAttribute("width", (c.share_bps / 100).toFixed(2));
  }
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  set("participation", iotx(t.participation));
  set("voter-count", String(t.voters));
}

async function vote(form, status) {
  const choice = selection(form);
  const voter = await account();
  const proposal = Number(form.dataset.proposal);
  // This deployment's domain (its chain id and salt) and types, as any
  // other signer gets them.
  const res = await fetch("/api/v1/eip712");
  if (!res.ok) throw new Error("Cannot read what to sign (" + res.status + "); try again.");
  const eip712 = await res.json();
  const timestamp = Math.floor(Date.now() / 1000);
  const typed = {
    types: { EIP712Domain: eip712.types.EIP712Domain, Vote: eip712.types.Vote },
    primaryType: "Vote",
    domain: eip712.domain,
    message: { voter, proposal, choice, timestamp },
  };
  status.textContent = "Waiting for your wallet…";
  const signature = await wallet().request({ method: "eth_signTypedData_v4", params: [voter, JSON.stringify(typed)] });
  const cast = await postJson("/api/v1/votes", { voter, proposal, choice, timestamp, signature });
  status.textContent = (cast.replaced ? "Vote changed: " : "Vote recorded: ") + cast.described +
    " with " + iotx(cast.power) + " IOTX (stake at block " + cast.snapshot_block + ").";
  await refreshTally(proposal);
}

async function link(form, status) {
  const address = await account();
  if (address.toLowerCase() !== form.dataset.address.toLowerCase()) {
    throw new Error("The wallet's account is " + address + "; switch to " + form.dataset.address + " to sign.");
  }
  const message = document.getElementById("siwe-message").textContent;
  status.textContent = "Waiting for your wallet…";
  const signature = await wallet().request({ method: "personal_sign", params: [utf8Hex(message), address] });
  const linked = await postJson("/api/v1/links/verify", { message, signature });
  status.textContent = "Linked: your " + linked.platform + " account now votes with " + linked.address + ".";
  form.querySelector("button").disabled = true;
}

function wire(formId, statusId, action) {
  const form = document.getElementById(formId);
  if (!form) return;
  const status = document.getElementById(statusId);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.classList.remove("failed");
    action(form, status).catch((e) => {
      status.classList.add("failed");
      status.textContent = (e && e.message) || String(e);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wire("vote-form", "vote-status", vote);
  wire("link-form", "link-status", link);
});
