//! Registration, login, authentication and profiles.

use std::net::IpAddr;
use std::sync::Arc;

use super::login_throttle::{Account, LoginThrottle};
use super::passwords::{Passwords, Verdict};
use super::tokens::{IssuedToken, Tokens, VerifiedToken};
use super::{ServiceError, TokenRejection};
use crate::bus::{Envelope, Event, EventBus, RevocationReason};
use crate::domain::{
    DisplayName, Email, FieldError, NewUser, Password, PhoneNumber, PictureUrl, ProfileUpdate,
    StatusText, User, UserId, Username,
};
use crate::store::{Page, UserStore};

/// Largest page of a user search.
pub const MAX_SEARCH_LIMIT: u32 = 100;
/// Page size when the client names none.
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;

/// A registration as the client sent it, not yet validated.
#[derive(Debug)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub phone_number: Option<String>,
}

/// A partial profile edit: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<Option<String>>,
    pub status: Option<Option<String>>,
    pub profile_picture_url: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    /// `(old_password, new_password)`.
    pub password: Option<(String, String)>,
}

/// A successful login.
#[derive(Debug)]
pub struct LoginOutcome {
    pub user: User,
    pub token: IssuedToken,
}

/// Everything about accounts that edges may ask for.
pub struct AccountService {
    users: Arc<dyn UserStore>,
    passwords: Passwords,
    tokens: Tokens,
    throttle: LoginThrottle,
    bus: Arc<dyn EventBus>,
}

impl AccountService {
    pub fn new(
        users: Arc<dyn UserStore>,
        passwords: Passwords,
        tokens: Tokens,
        throttle: LoginThrottle,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self {
            users,
            passwords,
            tokens,
            throttle,
            bus,
        }
    }

    /// Ends every live session of `user` on every node: their tokens no longer verify, so their
    /// sockets (which checked a token only when they connected) are told why and closed.
    pub fn end_sessions(&self, user: UserId, reason: RevocationReason) {
        self.bus.publish(Envelope {
            recipients: vec![user],
            event: Event::SessionsRevoked { reason },
        });
    }

    /// Creates an account. Every field is checked before the (slow) hash is computed.
    pub async fn register(&self, registration: Registration) -> Result<User, ServiceError> {
        let username = Username::parse(&registration.username)?;
        let email = Email::parse(&registration.email)?;
        let password = Password::parse(registration.password, "password")?;
        let display_name = registration
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?;
        let phone_number = registration
            .phone_number
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()?;
        let password_hash = self.passwords.hash(&password).await?;
        let user = self
            .users
            .create(NewUser {
                username: username.into_inner(),
                email: email.into_inner(),
                password_hash,
                phone_number: phone_number.map(PhoneNumber::into_inner),
                display_name: display_name.map(DisplayName::into_inner),
            })
            .await?;
        tracing::info!(user_id = %user.id, username = %user.username, "account registered");
        Ok(user)
    }

    /// Checks a login (username or e-mail) and password and issues a token.
    ///
    /// An unknown login and a wrong password take the same time and give the same error.
    pub async fn login(
        &self,
        login: &str,
        password: String,
        address: IpAddr,
    ) -> Result<LoginOutcome, ServiceError> {
        let password = Password::attempt(password);
        let user = match login.trim() {
            "" => None,
            login => self.users.find_by_login(login).await?,
        };
        let account = user
            .as_ref()
            .map_or(Account::Unknown(login), |u| Account::Known(u.id));
        self.throttle.check(&account, address).await?;
        let verdict = self
            .passwords
            .verify(&password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let user = match (user, verdict) {
            (Some(user), Verdict::Match | Verdict::MatchNeedsRehash) => {
                if verdict == Verdict::MatchNeedsRehash {
                    self.upgrade_hash(&user, &password).await;
                }
                user
            }
            _ => {
                self.throttle.record_failure(&account, address).await;
                return Err(ServiceError::InvalidCredentials);
            }
        };
        self.throttle.record_success(&account).await;
        if user.disabled_at.is_some() {
            return Err(ServiceError::AccountDisabled);
        }
        self.users.touch_last_seen(user.id).await?;
        let token = self.tokens.issue(&user).await?;
        Ok(LoginOutcome { user, token })
    }

    /// Re-hashes a bcrypt (or weaker argon2) hash after the password proved right. A failure
    /// here must not fail the login: the old hash still works and the next login retries.
    async fn upgrade_hash(&self, user: &User, password: &Password) {
        let result = match self.passwords.hash(password).await {
            Ok(hash) => self
                .users
                .set_password_hash(user.id, &hash, false)
                .await
                .map(drop)
                .map_err(ServiceError::from),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => tracing::info!(user_id = %user.id, "password hash upgraded to argon2id"),
            Err(e) => {
                tracing::warn!(user_id = %user.id, error = %e, "could not upgrade password hash; will retry at next login")
            }
        }
    }

    /// The enabled account a token was issued to, if the token is still good.
    pub async fn authenticate(&self, token: &str) -> Result<User, ServiceError> {
        Ok(self.authenticate_session(token).await?.0)
    }

    /// Like [`authenticate`](Self::authenticate), also naming the key that signed the token, so
    /// a long-lived session (a socket) can be ended when that key is retired.
    pub async fn authenticate_session(&self, token: &str) -> Result<(User, String), ServiceError> {
        let verified = self.verify_token(token).await?;
        let user = self.session_user(&verified).await?;
        Ok((user, verified.kid))
    }

    /// The first half of [`Self::authenticate_session`]: whose token this is, from its signature
    /// alone (a socket's handshake makes sure it will hear of a revocation before it asks the
    /// stores whether there was one).
    pub async fn verify_token(&self, token: &str) -> Result<VerifiedToken, ServiceError> {
        self.tokens.verify(token).await
    }

    /// The second half of [`Self::authenticate_session`]: the token's user, unless their
    /// account was disabled or deleted or their tokens revoked since it was issued.
    pub async fn session_user(&self, verified: &VerifiedToken) -> Result<User, ServiceError> {
        let revoked = ServiceError::Unauthenticated(TokenRejection::Revoked);
        let user = self
            .users
            .find_by_id(verified.user_id)
            .await?
            .ok_or(revoked)?;
        if user.disabled_at.is_some() || user.token_version != verified.token_version {
            return Err(ServiceError::Unauthenticated(TokenRejection::Revoked));
        }
        Ok(user)
    }

    /// For each live session (a socket: its user, the token version it authenticated with and
    /// the key that signed its token), why it must end now, or `None` if it may go on. For a node
    /// that may have missed revocations (its Redis subscriptions were down, or its delivery fell
    /// behind): one read of the keys and one of the users, whatever the number of sessions.
    pub async fn ended_sessions(
        &self,
        sessions: &[(UserId, i64, &str)],
    ) -> Result<Vec<Option<RevocationReason>>, ServiceError> {
        self.tokens.reload().await?;
        let mut ids: Vec<UserId> = sessions.iter().map(|s| s.0).collect();
        ids.sort_unstable_by_key(|u| u.0);
        ids.dedup();
        let users: std::collections::HashMap<UserId, User> = self
            .users
            .find_many(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut verdicts = Vec::with_capacity(sessions.len());
        for &(user, token_version, kid) in sessions {
            verdicts.push(match users.get(&user) {
                None => Some(RevocationReason::AccountDeleted),
                Some(u) if u.disabled_at.is_some() => Some(RevocationReason::AccountDisabled),
                // A new token version: logged out, or the password changed; which one is not
                // recorded, and either way the client must log in again.
                Some(u) if u.token_version != token_version => Some(RevocationReason::LoggedOut),
                Some(_) if !self.tokens.accepts_key(kid).await => {
                    Some(RevocationReason::SigningKeyRetired)
                }
                Some(_) => None,
            });
        }
        Ok(verdicts)
    }

    /// Another user's account as anyone may see it; disabled accounts are not found.
    pub async fn get_user(&self, id: UserId) -> Result<User, ServiceError> {
        match self.users.find_by_id(id).await? {
            Some(user) if user.disabled_at.is_none() => Ok(user),
            _ => Err(ServiceError::NotFound("user")),
        }
    }

    /// Several accounts at once (at most [`MAX_SEARCH_LIMIT`]); unknown and disabled ones are left
    /// out, so a client resolving names for a list pays one request.
    pub async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>, ServiceError> {
        if ids.len() > MAX_SEARCH_LIMIT as usize {
            return Err(FieldError {
                field: "ids",
                code: "too_many_ids",
                message: format!("at most {MAX_SEARCH_LIMIT} ids per request"),
            }
            .into());
        }
        let users = self.users.find_many(ids).await?;
        Ok(users
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .collect())
    }

    /// Users whose username or display name starts with `query`, a page at a time.
    pub async fn search(
        &self,
        query: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<User>, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_SEARCH_LIMIT);
        if !(1..=MAX_SEARCH_LIMIT).contains(&limit) {
            return Err(FieldError {
                field: "limit",
                code: "invalid_limit",
                message: format!("limit must be between 1 and {MAX_SEARCH_LIMIT}"),
            }
            .into());
        }
        if query.chars().count() > 64 {
            return Err(FieldError {
                field: "query",
                code: "invalid_query",
                message: "query must be at most 64 characters".into(),
            }
            .into());
        }
        Ok(self.users.search(query.trim(), limit, cursor).await?)
    }

    /// Applies a partial profile edit. A password change needs the old password and revokes
    /// every token issued so far, this session's included: the client logs in again.
    pub async fn update_profile(
        &self,
        user: &User,
        changes: ProfileChanges,
    ) -> Result<User, ServiceError> {
        let mut profile = ProfileUpdate::from_user(user);
        if let Some(value) = changes.display_name {
            profile.display_name = value
                .as_deref()
                .map(DisplayName::parse)
                .transpose()?
                .map(DisplayName::into_inner);
        }
        if let Some(value) = changes.status {
            profile.status = value
                .as_deref()
                .map(StatusText::parse)
                .transpose()?
                .map(StatusText::into_inner);
        }
        if let Some(value) = changes.profile_picture_url {
            profile.profile_picture_url = value
                .as_deref()
                .map(PictureUrl::parse)
                .transpose()?
                .map(PictureUrl::into_inner);
        }
        if let Some(value) = changes.phone_number {
            profile.phone_number = value
                .as_deref()
                .map(PhoneNumber::parse)
                .transpose()?
                .map(PhoneNumber::into_inner);
        }
        let new_password = match changes.password {
            Some((old, new)) => {
                let new = Password::parse(new, "new_password")?;
                let old = Password::attempt(old);
                if self
                    .passwords
                    .verify(&old, Some(&user.password_hash))
                    .await?
                    == Verdict::Mismatch
                {
                    return Err(FieldError {
                        field: "old_password",
                        code: "wrong_password",
                        message: "old_password is not the current password".into(),
                    }
                    .into());
                }
                Some(self.passwords.hash(&new).await?)
            }
            None => None,
        };
        let mut updated = user.clone();
        if profile != ProfileUpdate::from_user(user) {
            updated = self.users.update_profile(user.id, &profile).await?;
        }
        if let Some(hash) = new_password {
            updated = self.users.set_password_hash(user.id, &hash, true).await?;
            tracing::info!(user_id = %user.id, "password changed; earlier tokens revoked");
            // The socket that asked included: the client logs in again with the new password.
            self.end_sessions(user.id, RevocationReason::PasswordChanged);
        }
        Ok(updated)
    }

    /// Disables an account (no login, every token rejected) or enables it again.
    pub async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<User, ServiceError> {
        let user =
            self.users.set_disabled(id, disabled).await.map_err(|e| {
                match ServiceError::from(e) {
                    ServiceError::NotFound(_) => ServiceError::NotFound("user"),
                    other => other,
                }
            })?;
        tracing::info!(user_id = %id, disabled, "account state changed");
        Ok(user)
    }

    /// Sets a new password chosen by an administrator; every token issued so far stops working.
    pub async fn reset_password(&self, id: UserId, password: String) -> Result<User, ServiceError> {
        let password = Password::parse(password, "password")?;
        let hash = self.passwords.hash(&password).await?;
        let user = self.users.set_password_hash(id, &hash, true).await?;
        tracing::info!(user_id = %id, "password reset by an administrator; earlier tokens revoked");
        self.end_sessions(id, RevocationReason::PasswordReset);
        Ok(user)
    }

    /// The token signer, for key administration.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }
}
