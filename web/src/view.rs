//! Formatting shared by the pages: times, IOTX, exact percentages and the
//! widths of SVG bars. Shares are computed in integers from wei, so a bar
//! never disagrees with the table beside it.

use alloy_primitives::U256;
use chrono::{DateTime, Utc};
use iodao_core::Amount;

/// A time as pages show it (UTC, to the minute).
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// An amount in IOTX, exact.
pub fn iotx(a: Amount) -> String {
    a.to_iotx_string()
}

/// `part / whole` in hundredths of a percent, rounded down; 0 for an empty whole.
pub fn basis_points(part: U256, whole: U256) -> u64 {
    if whole.is_zero() {
        return 0;
    }
    // 10 000 × part fits: amounts are far below 2^242 wei.
    let bps = part.saturating_mul(U256::from(10_000u64)) / whole;
    u64::try_from(bps).unwrap_or(u64::MAX)
}

/// Basis points as a percentage: `42.5%`, `100%`, `0.01%`.
pub fn percent(bps: u64) -> String {
    let (int, frac) = (bps / 100, bps % 100);
    match frac {
        0 => format!("{int}%"),
        f if f % 10 == 0 => format!("{int}.{}%", f / 10),
        f => format!("{int}.{f:02}%"),
    }
}

/// A bar's length on a 0–100 axis for basis points.
pub fn width(bps: u64) -> String {
    let bps = bps.min(10_000);
    format!("{}.{:02}", bps / 100, bps % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_exact_and_bounded() {
        assert_eq!(basis_points(U256::from(1u8), U256::from(3u8)), 3333);
        assert_eq!(basis_points(U256::from(5u8), U256::ZERO), 0);
        assert_eq!(percent(3333), "33.33%");
        assert_eq!(percent(4250), "42.5%");
        assert_eq!(percent(10_000), "100%");
        assert_eq!(percent(1), "0.01%");
        assert_eq!(width(12_345), "100.00");
        assert_eq!(width(705), "7.05");
    }
}
