//! Units the policy is written in: basis points of a budget and recipient
//! categories. Core re-exports both, so there is one of each.

use std::fmt;

use alloy_primitives::U256;

/// Basis points: 0 ..= 10 000 (100 %).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct Bps(u16);

/// Why a value is not a basis-point fraction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a fraction: give a percentage from 0 to 100 (like 50 or 66.67) with at most two decimals")]
pub struct BpsError(pub String);

impl Bps {
    /// 100 %.
    pub const MAX: u16 = 10_000;

    /// From basis points; `None` above 10 000.
    pub const fn new(bps: u16) -> Option<Self> {
        if bps <= Self::MAX { Some(Self(bps)) } else { None }
    }

    /// Parses a percentage with up to two decimals: "50", "66.67", "50%".
    pub fn parse_percent(s: &str) -> Result<Self, BpsError> {
        let t = s.trim();
        let p = t.strip_suffix('%').unwrap_or(t).trim();
        let (int, frac) = p.split_once('.').unwrap_or((p, ""));
        let ok = !int.is_empty()
            && int.len() <= 3
            && frac.len() <= 2
            && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            && !(p.contains('.') && frac.is_empty());
        if !ok {
            return Err(BpsError(t.to_owned()));
        }
        let int: u32 = int.parse().map_err(|_| BpsError(t.to_owned()))?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| BpsError(t.to_owned()))?;
        u16::try_from(int * 100 + frac).ok().and_then(Self::new).ok_or_else(|| BpsError(t.to_owned()))
    }

    /// The basis points.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Bps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (i, r) = (self.0 / 100, self.0 % 100);
        if r == 0 { write!(f, "{i}%") } else { write!(f, "{i}.{r:02}%") }
    }
}

impl TryFrom<u16> for Bps {
    type Error = BpsError;

    fn try_from(bps: u16) -> Result<Self, Self::Error> {
        Self::new(bps).ok_or_else(|| BpsError(format!("{bps} basis points")))
    }
}

impl From<Bps> for u16 {
    fn from(b: Bps) -> Self {
        b.0
    }
}

impl Bps {
    /// This fraction of `amount`, rounded down (exact in U256).
    pub fn of(self, amount: U256) -> U256 {
        amount * U256::from(self.0) / U256::from(Self::MAX)
    }

    /// As a fraction in 0.0 ..= 1.0 (for the solver only, never for money).
    pub fn fraction(self) -> f64 {
        f64::from(self.0) / f64::from(Self::MAX)
    }
}

/// What kind of recipient.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A device incentive program (pays ioID-registered devices).
    DeviceProgram,
    /// A DePIN project.
    DepinProject,
    /// A dapp.
    Dapp,
}

impl Category {
    /// Every category, in their fixed order.
    pub const ALL: [Self; 3] = [Self::DeviceProgram, Self::DepinProject, Self::Dapp];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DeviceProgram => "device-program",
            Self::DepinProject => "depin-project",
            Self::Dapp => "dapp",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
