//! Merkle trees of claim-mode payouts, byte-for-byte those of OpenZeppelin's
//! `StandardMerkleTree` over leaves `(uint256 index, address account,
//! uint256 amount)` — the leaves `Distributor.claim` checks:
//!
//! - a leaf is `keccak256(keccak256(abi.encode(index, account, amount)))`;
//! - leaves are sorted by hash, and laid out as OpenZeppelin does: a
//!   complete binary tree in one array, leaf `i` (in sorted order) at
//!   position `len - 1 - i`, node `k`'s children at `2k + 1` and `2k + 2`;
//! - a node is the keccak256 of its two children in ascending order.
//!
//! The same values give the same root and the same proofs as the JS library
//! (tested against `tools/merkle.js`).

use alloy_primitives::{Address, B256, U256, keccak256};

/// `keccak256(keccak256(abi.encode(index, account, amount)))`.
pub fn leaf_hash(index: u64, account: Address, amount: U256) -> B256 {
    let mut word = [0u8; 96];
    word[24..32].copy_from_slice(&index.to_be_bytes());
    word[44..64].copy_from_slice(account.as_slice());
    word[64..96].copy_from_slice(&amount.to_be_bytes::<32>());
    keccak256(keccak256(word))
}

/// The hash of a pair, in ascending order (as `MerkleProof` expects).
fn node_hash(a: &B256, b: &B256) -> B256 {
    let mut buf = [0u8; 64];
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// A tree over payouts, index = position in the input.
#[derive(Clone, Debug)]
pub struct PayoutTree {
    nodes: Vec<B256>,
    /// Tree position of each payout.
    position: Vec<usize>,
}

/// Why no tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MerkleError {
    /// A tree needs a leaf.
    #[error("a Merkle tree needs at least one payout")]
    Empty,
}

impl PayoutTree {
    /// Builds the tree of `payouts` (leaf `i` is `(i, account, amount)`).
    pub fn build(payouts: &[(Address, U256)]) -> Result<Self, MerkleError> {
        let n = payouts.len();
        if n == 0 {
            return Err(MerkleError::Empty);
        }
        let mut leaves: Vec<(B256, usize)> =
            payouts.iter().enumerate().map(|(i, (a, v))| (leaf_hash(i as u64, *a, *v), i)).collect();
        leaves.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let len = 2 * n - 1;
        let mut nodes = vec![B256::ZERO; len];
        let mut position = vec![0usize; n];
        for (sorted, (hash, value)) in leaves.into_iter().enumerate() {
            let at = len - 1 - sorted;
            nodes[at] = hash;
            position[value] = at;
        }
        for k in (0..len - n).rev() {
            nodes[k] = node_hash(&nodes[2 * k + 1], &nodes[2 * k + 2]);
        }
        Ok(Self { nodes, position })
    }

    /// The root.
    pub fn root(&self) -> B256 {
        self.nodes[0]
    }

    /// How many payouts.
    pub fn len(&self) -> usize {
        self.position.len()
    }

    /// Never true: a tree has a leaf.
    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
    }

    /// The proof of payout `index`, leaf to root, into `out` (cleared).
    pub fn proof_into(&self, index: usize, out: &mut Vec<B256>) {
        out.clear();
        let Some(&start) = self.position.get(index) else { return };
        let mut k = start;
        while k > 0 {
            let sibling = if k % 2 == 1 { k + 1 } else { k - 1 };
            out.push(self.nodes[sibling]);
            k = (k - 1) / 2;
        }
    }

    /// The proof of payout `index`.
    pub fn proof(&self, index: usize) -> Vec<B256> {
        let mut out = Vec::new();
        self.proof_into(index, &mut out);
        out
    }
}

/// Whether `proof` takes `leaf` to `root` (what the contract computes).
pub fn verify(proof: &[B256], root: B256, leaf: B256) -> bool {
    proof.iter().fold(leaf, |h, p| node_hash(&h, p)) == root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payouts(n: usize) -> Vec<(Address, U256)> {
        (0..n).map(|i| (Address::repeat_byte(i as u8 + 1), U256::from(1000 + i))).collect()
    }

    #[test]
    fn every_proof_verifies_and_a_wrong_one_does_not() {
        for n in [1, 2, 3, 5, 8, 13] {
            let p = payouts(n);
            let tree = PayoutTree::build(&p).unwrap();
            for (i, (a, v)) in p.iter().enumerate() {
                let leaf = leaf_hash(i as u64, *a, *v);
                assert!(verify(&tree.proof(i), tree.root(), leaf), "n={n} i={i}");
                assert!(!verify(&tree.proof(i), tree.root(), leaf_hash(i as u64, *a, *v + U256::from(1))));
            }
        }
        assert_eq!(PayoutTree::build(&[]).unwrap_err(), MerkleError::Empty);
    }

    #[test]
    fn a_single_payout_is_its_own_root() {
        let p = payouts(1);
        let tree = PayoutTree::build(&p).unwrap();
        assert_eq!(tree.root(), leaf_hash(0, p[0].0, p[0].1));
        assert!(tree.proof(0).is_empty());
    }
}

/// A payout line that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct PayoutLineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Reads payouts from CSV text: lines `address,amount_wei` (address as 0x…
/// or io1…); blank lines, `#` comments and an `address,amount` header are
/// skipped. Index = position among the payout lines, from 0.
pub fn parse_payouts(text: &str) -> Result<Vec<(Address, U256)>, PayoutLineError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.to_ascii_lowercase().starts_with("address,") {
            continue;
        }
        let err = |reason: String| PayoutLineError { line: n + 1, reason };
        let (a, v) = line.split_once(',').ok_or_else(|| err("expected `address,amount_wei`".into()))?;
        let account = crate::Address::parse(a.trim()).map_err(|e| err(e.to_string()))?;
        let amount = crate::Amount::parse_wei(v.trim()).map_err(|e| err(e.to_string()))?;
        out.push((account.as_evm(), amount.wei()));
    }
    Ok(out)
}

/// One claim as exported: what `Distributor.claim` takes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClaimProof {
    /// The leaf index.
    pub index: u64,
    /// Who is paid (EIP-55).
    pub account: String,
    /// Wei, decimal.
    pub amount: String,
    /// Sibling hashes, leaf to root.
    pub proof: Vec<B256>,
}

/// A tree as exported: its root and every claim with its proof.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClaimsExport {
    /// The root to publish with `setRoot`.
    pub root: B256,
    /// Every claim, by index.
    pub claims: Vec<ClaimProof>,
}

impl ClaimsExport {
    /// The export of a tree over `payouts`.
    pub fn new(tree: &PayoutTree, payouts: &[(Address, U256)]) -> Self {
        let claims = payouts
            .iter()
            .enumerate()
            .map(|(i, (a, v))| ClaimProof {
                index: i as u64,
                account: a.to_checksum(None),
                amount: v.to_string(),
                proof: tree.proof(i),
            })
            .collect();
        Self { root: tree.root(), claims }
    }
}
