//! Login throttling: failed logins are counted in memory, per account (the username tried,
//! whether or not it exists, so the answer tells nothing about which do) and per client
//! address, and an attempt over a limit is refused before its password is hashed.
//!
//! - **Per account:** the first [`LoginLimits::account_free_failures`] failures cost nothing;
//!   after each further one the account waits, 1 s, then 2 s, 4 s, ... up to
//!   [`LoginLimits::account_max_delay`]. A successful login clears the account's count; so
//!   does an hour ([`LoginLimits::account_forget_after`]) without a failure after the last
//!   wait ended.
//! - **Per address:** at most [`LoginLimits::address_failures`] failures per
//!   [`LoginLimits::address_window`] (a token bucket: the allowance comes back evenly over the
//!   window). IPv6 addresses count by their /64 network, which one subscriber usually holds
//!   whole.
//!
//! An attempt counts as a failure from the moment it is let through until it succeeds, so
//! attempts sent together cannot all slip through before the first one's answer. The state is
//! two bounded maps ([`MAX_TRACKED`] keys each): entries nobody needs any more are pruned, and
//! when a map is full of live entries, the one closest to being forgotten goes. Nothing is
//! written to the database, and a restart forgets everything.
//!
//! The pure core takes the time as an argument ([`LoginThrottle::begin_at`]); the service calls
//! it with the monotonic clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::{Refusal, RefusalKind};

/// Most accounts, and most addresses, tracked at once.
pub const MAX_TRACKED: usize = 10_000;
/// Usernames longer than any valid one are tracked by this many characters.
const MAX_ACCOUNT_KEY_CHARS: usize = 64;

/// The throttle's settings (`Config::login_limits`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures an account may have before it waits between attempts.
    pub account_free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub account_first_delay: Duration,
    /// The longest wait.
    pub account_max_delay: Duration,
    /// An account's failures are forgotten this long after its last wait ended.
    pub account_forget_after: Duration,
    /// Failures one address may have in a window.
    pub address_failures: u32,
    /// The window of [`LoginLimits::address_failures`].
    pub address_window: Duration,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            account_free_failures: 5,
            account_first_delay: Duration::from_secs(1),
            account_max_delay: Duration::from_secs(15 * 60),
            account_forget_after: Duration::from_secs(60 * 60),
            address_failures: 20,
            address_window: Duration::from_secs(60),
        }
    }
}

/// What the refused attempt was over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Account,
    Address,
}

/// A refused attempt: try again after `retry_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub over: Over,
    pub retry_after: Duration,
}

impl Throttled {
    /// The wait in whole seconds, rounded up, at least 1 (the `Retry-After` header).
    pub fn retry_after_s(&self) -> u64 {
        let s = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        s.max(1)
    }

    pub fn refusal(&self) -> Refusal {
        let s = self.retry_after_s();
        let (en, zh) = match self.over {
            Over::Account => (
                format!("too many failed logins for this account; try again in {s} s"),
                format!("该账户登录失败次数过多，请{s}秒后再试"),
            ),
            Over::Address => (
                format!("too many failed logins from your address; try again in {s} s"),
                format!("您所在地址登录失败次数过多，请{s}秒后再试"),
            ),
        };
        Refusal::new(RefusalKind::Throttled, "too_many_attempts", en, zh)
    }
}

/// One account's failures.
#[derive(Debug, Clone, Copy)]
struct AccountFailures {
    count: u32,
    /// No attempt before this.
    wait_until: Instant,
}

/// One address's allowance (a token bucket).
#[derive(Debug, Clone, Copy)]
struct AddressAllowance {
    tokens: f64,
    at: Instant,
}

/// Where an address's failures are counted: the address, or an IPv6 address's /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct AddressKey(IpAddr);

impl AddressKey {
    fn of(ip: IpAddr) -> AddressKey {
        match ip {
            IpAddr::V4(_) => AddressKey(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    AddressKey(IpAddr::V6(bits.into()))
                }
            },
        }
    }
}

#[derive(Debug, Default)]
struct State {
    accounts: HashMap<String, AccountFailures>,
    addresses: HashMap<AddressKey, AddressAllowance>,
}

/// The service's login throttle (one per running service, in `AppState`).
#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    state: Mutex<State>,
}

/// An attempt let through: a failure unless [`LoginAttempt::succeeded`] is called.
#[must_use = "a login attempt counts as failed unless `succeeded` is called"]
#[derive(Debug)]
pub struct LoginAttempt<'a> {
    throttle: &'a LoginThrottle,
    account: String,
    address: AddressKey,
}

impl LoginAttempt<'_> {
    /// The password was right: the account's failures are cleared and the address gets its
    /// attempt back.
    pub fn succeeded(self) {
        self.throttle.succeeded(&self.account, self.address);
    }
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// Lets an attempt to log in as `account` from `client` through now, or refuses it.
    pub fn begin(&self, account: &str, client: IpAddr) -> Result<LoginAttempt<'_>, Throttled> {
        self.begin_at(account, client, Instant::now())
    }

    /// [`LoginThrottle::begin`] at `now`.
    pub fn begin_at(&self, account: &str, client: IpAddr, now: Instant) -> Result<LoginAttempt<'_>, Throttled> {
        let account: String = account.chars().take(MAX_ACCOUNT_KEY_CHARS).collect();
        let address = AddressKey::of(client);
        let limits = &self.limits;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let failures = state
            .accounts
            .get(&account)
            .copied()
            .filter(|f| !self.forgotten(f, now));
        let allowance = state
            .addresses
            .get(&address)
            .map(|a| self.refilled(a, now))
            .unwrap_or(AddressAllowance {
                tokens: f64::from(limits.address_failures),
                at: now,
            });
        let account_wait = failures.map_or(Duration::ZERO, |f| f.wait_until.saturating_duration_since(now));
        let address_wait = if allowance.tokens >= 1.0 {
            Duration::ZERO
        } else {
            self.address_window_per_token().mul_f64(1.0 - allowance.tokens)
        };
        if !account_wait.is_zero() || !address_wait.is_zero() {
            let over = if account_wait >= address_wait {
                Over::Account
            } else {
                Over::Address
            };
            return Err(Throttled {
                over,
                retry_after: account_wait.max(address_wait),
            });
        }
        let count = failures.map_or(0, |f| f.count).saturating_add(1);
        let wait_until = now + self.account_delay(count);
        insert_bounded(
            &mut state.accounts,
            account.clone(),
            AccountFailures { count, wait_until },
            |f| (self.forgotten(f, now), f.wait_until),
        );
        let spent = AddressAllowance {
            tokens: allowance.tokens - 1.0,
            at: now,
        };
        insert_bounded(&mut state.addresses, address, spent, |a| {
            let full = self.refilled(a, now).tokens >= f64::from(limits.address_failures);
            (full, a.at)
        });
        Ok(LoginAttempt {
            throttle: self,
            account,
            address,
        })
    }

    fn succeeded(&self, account: &str, address: AddressKey) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.accounts.remove(account);
        if let Some(a) = state.addresses.get_mut(&address) {
            a.tokens = (a.tokens + 1.0).min(f64::from(self.limits.address_failures));
        }
    }

    /// The wait after an account's `count`th failure.
    fn account_delay(&self, count: u32) -> Duration {
        let limits = &self.limits;
        if count < limits.account_free_failures {
            return Duration::ZERO;
        }
        let doublings = (count - limits.account_free_failures).min(32);
        limits
            .account_first_delay
            .saturating_mul(1u32 << doublings.min(31))
            .min(limits.account_max_delay)
    }

    /// Whether an account's failures are old enough to forget.
    fn forgotten(&self, f: &AccountFailures, now: Instant) -> bool {
        now >= f.wait_until + self.limits.account_forget_after
    }

    fn address_window_per_token(&self) -> Duration {
        self.limits.address_window / self.limits.address_failures.max(1)
    }

    /// An address's allowance at `now`, refilled evenly over the window.
    fn refilled(&self, a: &AddressAllowance, now: Instant) -> AddressAllowance {
        let max = f64::from(self.limits.address_failures);
        let per_token = self.address_window_per_token().as_secs_f64();
        let gained = if per_token > 0.0 {
            now.saturating_duration_since(a.at).as_secs_f64() / per_token
        } else {
            max
        };
        AddressAllowance {
            tokens: (a.tokens + gained).min(max),
            at: now,
        }
    }

    /// How many accounts and addresses are tracked (tests).
    pub fn tracked(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (state.accounts.len(), state.addresses.len())
    }
}

/// Inserts into a map of at most [`MAX_TRACKED`] keys. A new key in a full map first prunes
/// the entries `judge` calls dead; if none is, the live entry with the smallest rank goes.
fn insert_bounded<K, V, R>(map: &mut HashMap<K, V>, key: K, value: V, judge: impl Fn(&V) -> (bool, R))
where
    K: std::hash::Hash + Eq + Clone,
    R: Ord,
{
    if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
        map.retain(|_, v| !judge(v).0);
        if map.len() >= MAX_TRACKED {
            let oldest = map
                .iter()
                .min_by(|a, b| judge(a.1).1.cmp(&judge(b.1).1))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
    }
    map.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(LoginLimits::default())
    }

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    /// `n` failed attempts at `at`.
    fn fail(t: &LoginThrottle, account: &str, client: IpAddr, at: Instant, n: u32) {
        for i in 0..n {
            let _failed = t
                .begin_at(account, client, at)
                .unwrap_or_else(|e| panic!("attempt {i} refused: {e:?}"));
        }
    }

    #[test]
    fn an_account_waits_after_five_failures_and_twice_as_long_after_each_further_one() {
        let t = throttle();
        let t0 = Instant::now();
        fail(&t, "admin", A, t0, 5);
        let refused = t.begin_at("admin", B, t0).unwrap_err();
        assert_eq!(refused.over, Over::Account);
        assert_eq!(refused.retry_after, s(1));
        assert_eq!(refused.retry_after_s(), 1);
        fail(&t, "admin", B, t0 + s(1), 1);
        assert_eq!(t.begin_at("admin", A, t0 + s(1)).unwrap_err().retry_after, s(2));
        fail(&t, "admin", B, t0 + s(3), 1);
        assert_eq!(t.begin_at("admin", A, t0 + s(3)).unwrap_err().retry_after, s(4));
        // Another account is not concerned.
        fail(&t, "driver-li", B, t0 + s(3), 1);
    }

    #[test]
    fn the_wait_is_capped_and_the_count_forgotten_an_hour_after_the_last_wait() {
        let t = throttle();
        let mut now = Instant::now();
        let mut waits = Vec::new();
        // From twenty addresses, so that only the account's limit applies.
        for i in 0..20u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, i));
            if let Err(e) = t.begin_at("admin", ip, now) {
                assert_eq!(e.over, Over::Account);
                waits.push(e.retry_after);
                now += e.retry_after;
                let _failed = t.begin_at("admin", ip, now).expect("let through after the wait");
            }
        }
        let mut expected: Vec<Duration> = (0..10).map(|k| s(1 << k)).collect();
        expected.extend([s(900); 5]);
        assert_eq!(waits, expected);
        assert_eq!(t.begin_at("admin", A, now).unwrap_err().retry_after, s(900));
        // Forgotten an hour after the last wait ended: five free failures again.
        let later = now + s(900) + s(3600);
        fail(&t, "admin", A, later, 5);
        assert_eq!(t.begin_at("admin", A, later).unwrap_err().retry_after, s(1));
    }

    #[test]
    fn success_clears_the_account_and_gives_the_address_its_attempt_back() {
        let t = throttle();
        let t0 = Instant::now();
        fail(&t, "admin", A, t0, 4);
        t.begin_at("admin", A, t0).unwrap().succeeded();
        fail(&t, "admin", A, t0, 4);
        assert!(t.begin_at("admin", A, t0).is_ok());
        assert_eq!(t.tracked(), (1, 1));
    }

    #[test]
    fn an_address_has_twenty_failures_a_minute_whatever_the_usernames() {
        let t = throttle();
        let t0 = Instant::now();
        for i in 0..20 {
            fail(&t, &format!("user{i}"), A, t0, 1);
        }
        let e = t.begin_at("user20", A, t0).unwrap_err();
        assert_eq!(e.over, Over::Address);
        assert_eq!(e.retry_after, s(3));
        // Another address is not concerned; the allowance comes back evenly.
        fail(&t, "user20", B, t0, 1);
        fail(&t, "user21", A, t0 + s(3), 1);
        assert!(t.begin_at("user22", A, t0 + s(3)).is_err());
        for i in 0..19 {
            fail(&t, &format!("later{i}"), A, t0 + s(60), 1);
        }
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_network() {
        let t = throttle();
        let t0 = Instant::now();
        for i in 0..20u16 {
            let ip = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i));
            fail(&t, &format!("user{i}"), ip, t0, 1);
        }
        let same_net = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        assert_eq!(t.begin_at("x", same_net, t0).unwrap_err().over, Over::Address);
        let other_net = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert!(t.begin_at("x", other_net, t0).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(AddressKey::of(mapped), AddressKey::of(A));
    }

    #[test]
    fn the_maps_stay_bounded() {
        let t = throttle();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 500) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            fail(&t, &format!("user{i}"), ip, t0 + Duration::from_millis(u64::from(i)), 1);
        }
        let (accounts, addresses) = t.tracked();
        assert!(
            accounts <= MAX_TRACKED && addresses <= MAX_TRACKED,
            "{accounts} {addresses}"
        );
        // A long username is tracked by its first 64 characters.
        let long = "x".repeat(10_000);
        fail(&t, &long, A, t0, 5);
        assert!(t.begin_at(&"x".repeat(64), B, t0).is_err());
    }
}
