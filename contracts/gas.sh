#!/usr/bin/env bash
# Gas of the Distributor on a local anvil: push batches of 100 and 500
# recipients (ERC-20 to fresh accounts, native IOTX to funded accounts) and
# Merkle claims from a 1 000-leaf tree built by OpenZeppelin's library.
# Prints gas per recipient / per claim. Needs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
T=tools/node_modules/@foundry-rs; ANVIL=$T/anvil-linux-amd64/bin/anvil; CAST=$T/cast-linux-amd64/bin/cast
PORT=$((20000 + RANDOM % 20000)); RPC=http://127.0.0.1:$PORT
$ANVIL --port $PORT --silent --gas-limit 100000000 &
APID=$!; trap 'kill $APID; rm -rf "$tmp"' EXIT
for i in $(seq 50); do $CAST block-number --rpc-url $RPC >/dev/null 2>&1 && break; sleep 0.1; done
OWNER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
bytecode() { node -e "console.log(require('./contracts/out/$1.json').bytecode.object)"; }
deploy() { $CAST send --rpc-url $RPC --private-key $KEY --json --create "$@" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).contractAddress))'; }
gas() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);if(r.status!=="0x1")throw new Error("reverted");console.log(parseInt(r.gasUsed))})'; }
TOKEN=$(deploy $(bytecode MockERC20))
ARGS_N=$($CAST abi-encode "f(address,address,bool)" $OWNER 0x0000000000000000000000000000000000000000 false | cut -c3-)
ARGS_E=$($CAST abi-encode "f(address,address,bool)" $OWNER $TOKEN false | cut -c3-)
ARGS_C=$($CAST abi-encode "f(address,address,bool)" $OWNER $TOKEN true | cut -c3-)
NATIVE=$(deploy $(bytecode Distributor)$ARGS_N)
ERC=$(deploy $(bytecode Distributor)$ARGS_E)
CLAIMS=$(deploy $(bytecode Distributor)$ARGS_C)
$CAST send --rpc-url $RPC --private-key $KEY $TOKEN "mint(address,uint256)" $CLAIMS 1000000000000000000000000000 >/dev/null
$CAST send --rpc-url $RPC --private-key $KEY $TOKEN "mint(address,uint256)" $ERC 1000000000000000000000000000 >/dev/null
$CAST send --rpc-url $RPC --private-key $KEY $NATIVE --value 1000000000000000000000 >/dev/null
batch=0
for N in 100 500; do
  ADDRS=$(node -e "const c=require('crypto');console.log('['+Array.from({length:$N},()=>'0x'+c.randomBytes(20).toString('hex')).join(',')+']')")
  AMTS=$(node -e "console.log('['+Array.from({length:$N},(_, i)=>String(1000000000000000000n+BigInt(i)*7919n)).join(',')+']')")
  batch=$((batch+1))
  G=$($CAST send --rpc-url $RPC --private-key $KEY --json $ERC "distribute(uint64,uint32,address[],uint256[])" 1 $batch "$ADDRS" "$AMTS" | gas)
  echo "erc20 push $N fresh recipients: $G gas, $((G / N)) per recipient"
  # Native to already-funded accounts: fund them first (1 wei each) with a first batch.
  ONES=$(node -e "console.log('['+Array(${N}).fill('1').join(',')+']')")
  $CAST send --rpc-url $RPC --private-key $KEY --json $NATIVE "distribute(uint64,uint32,address[],uint256[])" 1 $batch "$ADDRS" "$ONES" | gas >/dev/null
  G=$($CAST send --rpc-url $RPC --private-key $KEY --json $NATIVE "distribute(uint64,uint32,address[],uint256[])" 2 $batch "$ADDRS" "$AMTS" | gas)
  echo "native push $N funded recipients: $G gas, $((G / N)) per recipient"
done
# Paying a batch twice reverts.
if $CAST send --rpc-url $RPC --private-key $KEY $ERC "distribute(uint64,uint32,address[],uint256[])" 1 1 "[$OWNER]" "[1]" >/dev/null 2>&1; then echo "BUG: second payment"; else echo "second payment of a batch reverts"; fi
node -e "const c=require('crypto');let s='address,amount\\n';for(let i=0;i<1000;i++)s+='0x'+c.randomBytes(20).toString('hex')+','+(1000000000000000000n+BigInt(i)*13n)+'\\n';require('fs').writeFileSync('$tmp/payouts.csv',s)"
node tools/merkle.js "$tmp/payouts.csv" > "$tmp/tree.json"
TOTAL=$(node -e "const t=require('$tmp/tree.json');console.log(t.claims.reduce((a,c)=>a+BigInt(c.amount),0n).toString())")
ROOT=$(node -e "console.log(require('$tmp/tree.json').root)")
$CAST send --rpc-url $RPC --private-key $KEY $CLAIMS "setRoot(uint64,bytes32,uint256)" 7 $ROOT $TOTAL >/dev/null
sum=0; k=0
for idx in 0 17 123 256 511 700 999 400 3 888; do
  ARGS=$(node -e "const c=require('$tmp/tree.json').claims[$idx];console.log([c.index,c.account,c.amount,'['+c.proof.join(',')+']'].join(' '))")
  set -- $ARGS
  G=$($CAST send --rpc-url $RPC --private-key $KEY --json $CLAIMS "claim(uint64,uint256,address,uint256,bytes32[])" 7 $1 $2 $3 "$4" | gas)
  sum=$((sum+G)); k=$((k+1))
done
echo "erc20 claim: $((sum / k)) gas on average over $k claims (1000-leaf tree)"
ARGS=$(node -e "const c=require('$tmp/tree.json').claims[5];console.log([c.index,c.account,'1','['+c.proof.join(',')+']'].join(' '))"); set -- $ARGS
if $CAST send --rpc-url $RPC --private-key $KEY $CLAIMS "claim(uint64,uint256,address,uint256,bytes32[])" 7 $1 $2 $3 "$4" >/dev/null 2>&1; then echo "BUG: wrong proof paid"; else echo "a wrong amount/proof reverts"; fi
