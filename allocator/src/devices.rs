//! Splitting a device program's payout across its devices, exactly.
//!
//! A device program is paid as one recipient by the policy; its payout is
//! then shared by its registered devices, each in proportion to its score
//! (all scores equal: an equal split). This is the same largest-remainder
//! rule as the budget's: every device gets `⌊amount × score / Σ score⌋`, and
//! the wei left over go one each to the largest remainders, ties to the
//! earlier device. The caller lists devices in a fixed order (the store's:
//! by device address), so the split is reproducible from the bundle.

use alloy_primitives::U256;

use crate::normal::mul_div_rem;

/// Why a device split cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceSplitError {
    /// There is no device with a score: nobody to pay.
    #[error("no device with a score above zero to share the payout")]
    NoDevices,
    /// The scores do not fit in 256 bits when added.
    #[error("the device scores overflow 256 bits when added")]
    Overflow,
}

/// `amount` split in proportion to `scores`, exact to the wei: the parts sum
/// to `amount`, a part differs from its exact share by less than one wei,
/// and a zero score gets nothing. Ties of remainder go to the earlier
/// score.
pub fn split_by_score(amount: U256, scores: &[U256]) -> Result<Vec<U256>, DeviceSplitError> {
    let total = scores.iter().try_fold(U256::ZERO, |a, s| a.checked_add(*s)).ok_or(DeviceSplitError::Overflow)?;
    if total.is_zero() {
        return Err(DeviceSplitError::NoDevices);
    }
    let mut out = Vec::with_capacity(scores.len());
    let mut remainders = Vec::with_capacity(scores.len());
    let mut given = U256::ZERO;
    for (j, s) in scores.iter().enumerate() {
        let (share, rem) = mul_div_rem(amount, *s, total);
        given += share;
        out.push(share);
        if !s.is_zero() {
            remainders.push((rem, j));
        }
    }
    // Fewer wei are left than there are scored devices (each remainder < 1).
    let left = usize::try_from(amount - given).unwrap_or(usize::MAX);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, j) in remainders.iter().take(left) {
        out[j] += U256::from(1u8);
    }
    Ok(out)
}

/// `amount` split equally among `n` devices (the first ones get the odd
/// wei).
pub fn split_equally(amount: U256, n: usize) -> Result<Vec<U256>, DeviceSplitError> {
    split_by_score(amount, &vec![U256::from(1u8); n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn an_equal_split_gives_the_odd_wei_to_the_first_devices() {
        assert_eq!(split_equally(u(10), 3).unwrap(), [u(4), u(3), u(3)]);
        assert_eq!(split_equally(u(9), 3).unwrap(), [u(3), u(3), u(3)]);
        assert_eq!(split_equally(u(2), 3).unwrap(), [u(1), u(1), u(0)]);
    }

    #[test]
    fn a_scored_split_is_proportional_and_exact() {
        // 100 by 1:2:3 is 16.67, 33.33, 50: the largest remainder (2/3) gets the wei.
        assert_eq!(split_by_score(u(100), &[u(1), u(2), u(3)]).unwrap(), [u(17), u(33), u(50)]);
        // A zero score gets nothing, even a leftover wei.
        assert_eq!(split_by_score(u(7), &[u(0), u(1), u(1)]).unwrap(), [u(0), u(4), u(3)]);
    }

    #[test]
    fn huge_amounts_and_scores_split_without_overflow() {
        let amount = U256::MAX;
        let parts = split_by_score(amount, &[U256::MAX / u(2), U256::MAX / u(2)]).unwrap();
        assert_eq!(parts[0] + parts[1], amount);
        assert_eq!(split_by_score(u(1), &[U256::MAX, u(1)]), Err(DeviceSplitError::Overflow));
    }

    #[test]
    fn nothing_to_share_with_is_an_error_not_a_loss() {
        assert_eq!(split_equally(u(5), 0), Err(DeviceSplitError::NoDevices));
        assert_eq!(split_by_score(u(5), &[u(0), u(0)]), Err(DeviceSplitError::NoDevices));
        assert_eq!(split_equally(U256::ZERO, 2).unwrap(), [U256::ZERO, U256::ZERO]);
    }

    #[test]
    fn random_splits_sum_exactly_and_stay_within_a_wei_of_proportional() {
        // A small deterministic generator: no randomness in the crate.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..500 {
            let n = (next() % 20 + 1) as usize;
            let scores: Vec<U256> = (0..n).map(|_| u(next() % 1_000)).collect();
            let amount = U256::from(next()) * U256::from(next());
            let Ok(parts) = split_by_score(amount, &scores) else {
                assert!(scores.iter().all(U256::is_zero));
                continue;
            };
            assert_eq!(parts.iter().fold(U256::ZERO, |a, p| a + p), amount);
            let total = scores.iter().fold(U256::ZERO, |a, s| a + s);
            for (p, s) in parts.iter().zip(&scores) {
                let exact_floor = amount * s / total;
                assert!(*p == exact_floor || *p == exact_floor + u(1), "{p} vs {exact_floor}");
            }
        }
    }
}
