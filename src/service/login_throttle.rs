//! Failed-login throttling per account and per client address (OWASP authentication cheat sheet).
//!
//! Counting per account stops guessing one password from many addresses; counting per address
//! stops one address spraying many accounts. Once either limit is reached, every attempt in the
//! window — even with the right password — gets 429, so guessing gains nothing.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::config::AuthConfig;

use super::ServiceError;
use crate::domain::UserId;
use crate::store::counters::WindowCounters;

/// Decides whether a login attempt may proceed.
pub struct LoginThrottle {
    counters: Arc<dyn WindowCounters>,
    per_account: u32,
    per_address: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(counters: Arc<dyn WindowCounters>, config: &AuthConfig) -> Self {
        Self {
            counters,
            per_account: config.max_failed_logins_per_account,
            per_address: config.max_failed_logins_per_address,
            window: Duration::from_secs(config.failed_login_window_secs),
        }
    }

    /// Refuses the attempt while either counter is at its limit.
    pub async fn check(&self, account: &Account<'_>, address: IpAddr) -> Result<(), ServiceError> {
        let (account_failures, account_wait) = self.counters.get(&account.key()).await;
        let (address_failures, address_wait) = self.counters.get(&address_key(address)).await;
        let mut retry_after = Duration::ZERO;
        if account_failures >= self.per_account {
            retry_after = retry_after.max(account_wait);
        }
        if address_failures >= self.per_address {
            retry_after = retry_after.max(address_wait);
        }
        if retry_after > Duration::ZERO {
            tracing::warn!(account = %account.key(), %address, "login throttled after repeated failures");
            return Err(ServiceError::Throttled { retry_after });
        }
        Ok(())
    }

    /// Counts a failed attempt against the account and the address.
    pub async fn record_failure(&self, account: &Account<'_>, address: IpAddr) {
        self.counters.hit(&account.key(), self.window).await;
        self.counters.hit(&address_key(address), self.window).await;
    }

    /// A successful login clears the account's count (the address keeps its own).
    pub async fn record_success(&self, account: &Account<'_>) {
        self.counters.reset(&account.key()).await;
    }
}

/// Whom a login attempt targets.
pub enum Account<'a> {
    /// An existing account, however it was named (username or e-mail, any case).
    Known(UserId),
    /// A login that names no account: counted by the text, so probing it is throttled too.
    Unknown(&'a str),
}

impl Account<'_> {
    fn key(&self) -> String {
        match self {
            Account::Known(id) => format!("login-failures:user:{id}"),
            Account::Unknown(login) => {
                format!("login-failures:login:{}", login.trim().to_lowercase())
            }
        }
    }
}

fn address_key(address: IpAddr) -> String {
    format!("login-failures:address:{address}")
}
