//! What a button carries: a compact, platform-neutral action that fits in
//! Telegram's 64 bytes of callback data and Discord's 100 of a custom id.
//! Approval toggles carry the whole selection, so no state is kept between
//! presses.

use iodao_core::ProposalId;

/// A button's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Vote for one choice (1-based) of a single-choice proposal.
    Vote {
        /// The proposal.
        id: ProposalId,
        /// The choice's number.
        choice: usize,
    },
    /// Flip one choice in an approval selection (bit `n - 1` is choice `n`).
    Toggle {
        /// The proposal.
        id: ProposalId,
        /// The selection before the press.
        selected: u32,
        /// The choice flipped.
        choice: usize,
    },
    /// Submit an approval selection.
    Submit {
        /// The proposal.
        id: ProposalId,
        /// The choices approved.
        selected: u32,
    },
}

impl Action {
    /// The data a button carries.
    pub fn encode(self) -> String {
        match self {
            Self::Vote { id, choice } => format!("v:{}:{choice}", id.get()),
            Self::Toggle { id, selected, choice } => format!("t:{}:{selected:x}:{choice}", id.get()),
            Self::Submit { id, selected } => format!("s:{}:{selected:x}", id.get()),
        }
    }

    /// Reads a button's data; `None` if it is not ours or is malformed.
    pub fn decode(data: &str) -> Option<Self> {
        let parts: Vec<&str> = data.split(':').collect();
        let id = |s: &str| ProposalId::parse(s).ok();
        let choice = |s: &str| s.parse::<usize>().ok().filter(|n| (1..=32).contains(n));
        let mask = |s: &str| u32::from_str_radix(s, 16).ok();
        match parts.as_slice() {
            ["v", p, c] => Some(Self::Vote { id: id(p)?, choice: choice(c)? }),
            ["t", p, m, c] => Some(Self::Toggle { id: id(p)?, selected: mask(m)?, choice: choice(c)? }),
            ["s", p, m] => Some(Self::Submit { id: id(p)?, selected: mask(m)? }),
            _ => None,
        }
    }
}

/// The chosen numbers (1-based) of a selection mask.
pub fn chosen(mask: u32) -> impl Iterator<Item = usize> {
    (0..32).filter(move |b| mask & (1 << b) != 0).map(|b| b + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_within_64_bytes() {
        let id = ProposalId::parse("123456789").unwrap();
        for a in [
            Action::Vote { id, choice: 20 },
            Action::Toggle { id, selected: 0xfffff, choice: 20 },
            Action::Submit { id, selected: 0b101 },
        ] {
            let data = a.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Action::decode(&data), Some(a));
        }
        assert_eq!(Action::decode("v:1:0"), None);
        assert_eq!(Action::decode("x:1:1"), None);
        assert_eq!(chosen(0b101).collect::<Vec<_>>(), vec![1, 3]);
    }
}
