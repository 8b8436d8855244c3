//! Per-user cooldown on votes (slash `/vote`, vote buttons, approval
//! menus): a token bucket per Discord user id (`governor`), so one user
//! pressing buttons in a loop cannot flood the vote writer. Other commands
//! are not limited here; Discord itself limits how often a user can send
//! interactions.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many users the limiter remembers before it forgets the idle ones.
const FORGET_AFTER: usize = 10_000;

/// The vote cooldown.
pub struct Cooldown {
    limiter: DefaultKeyedRateLimiter<u64>,
}

impl Cooldown {
    /// `burst` votes at once, then one more every `every`.
    pub fn new(burst: NonZeroU32, every: Duration) -> Self {
        let quota = Quota::with_period(every.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self { limiter: RateLimiter::keyed(quota) }
    }

    /// Takes one vote from `user`'s bucket, or says how long to wait.
    pub fn check(&self, user: u64) -> Result<(), Duration> {
        if self.limiter.len() > FORGET_AFTER {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&user).map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

impl Default for Cooldown {
    /// Five votes at once, then one every three seconds.
    fn default() -> Self {
        Self::new(NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN), Duration::from_secs(3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_the_burst_waits_and_others_do_not() {
        let c = Cooldown::new(NonZeroU32::new(2).unwrap(), Duration::from_secs(60));
        assert!(c.check(1).is_ok());
        assert!(c.check(1).is_ok());
        let wait = c.check(1).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(c.check(2).is_ok(), "buckets are per user");
    }
}
