//! Password hashing: argon2id at OWASP's minimum (m=19 MiB, t=2, p=1), legacy bcrypt accepted.
//!
//! Hashing is deliberately slow, so it never runs on the async workers: a fixed pool of hashing
//! threads does it, one hash per thread at a time. Each hash holds 19 MiB; on tokio's blocking
//! pool every new thread got its own malloc arena that kept its 19 MiB after the hash (glibc
//! raises its mmap threshold after the first free), so a burst of logins left hundreds of MiB
//! resident. A fixed pool bounds that to threads × 19 MiB, and queues the rest of a login flood.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use super::ServiceError;
use crate::domain::Password;

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// Result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password (or no account: see [`Passwords::verify`]).
    Mismatch,
    /// Right password, hash current.
    Match,
    /// Right password, but the hash is bcrypt or weaker argon2 parameters: store a new one.
    MatchNeedsRehash,
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords off the async runtime.
#[derive(Clone)]
pub struct Passwords {
    jobs: std_mpsc::Sender<Job>,
    /// A real hash of a random password, verified when the login names no account, so unknown
    /// users cost the same time as wrong passwords and cannot be told apart by timing.
    decoy_hash: Arc<String>,
}

fn argon2id() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Internal(format!("argon2 hashing failed: {e}")))
}

fn verify_blocking(password: &str, stored: &str) -> Verdict {
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
    {
        // Hashes written by the seed's Node implementation (bcrypt); upgraded on success.
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verdict::MatchNeedsRehash,
            _ => Verdict::Mismatch,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verdict::Mismatch;
    };
    if argon2id()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verdict::Mismatch;
    }
    let current = parsed.algorithm == Algorithm::Argon2id.ident()
        && Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() >= MEMORY_KIB && p.t_cost() >= ITERATIONS && p.p_cost() >= PARALLELISM
        });
    if current {
        Verdict::Match
    } else {
        Verdict::MatchNeedsRehash
    }
}

impl Passwords {
    /// Starts `threads` hashing threads and computes the decoy hash.
    pub async fn new(threads: usize) -> Result<Self, ServiceError> {
        let (jobs, queue) = std_mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job, not while hashing.
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // every sender dropped: the service is gone
                        }
                    }
                })
                .map_err(|e| {
                    ServiceError::Internal(format!("cannot start a hashing thread: {e}"))
                })?;
        }
        let mut passwords = Self {
            jobs,
            decoy_hash: Arc::new(String::new()),
        };
        let decoy = uuid::Uuid::new_v4().to_string();
        passwords.decoy_hash = Arc::new(passwords.run(move || hash_blocking(&decoy)).await??);
        Ok(passwords)
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &Password) -> Result<String, ServiceError> {
        let password = password.expose().to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `stored`; with `None` (no such account) it checks against the
    /// decoy so the answer takes as long and is always `Mismatch`.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verdict, ServiceError> {
        let password = password.expose().to_owned();
        let (hash, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.decoy_hash.as_ref().clone(), false),
        };
        let verdict = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(if real { verdict } else { Verdict::Mismatch })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| ServiceError::Internal("password hashing threads are gone".into()))?;
        result
            .await
            .map_err(|_| ServiceError::Internal("a password hashing job failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_are_current() {
        let hash = hash_blocking("correct horse").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(verify_blocking("correct horse", &hash), Verdict::Match);
        assert_eq!(verify_blocking("wrong horse", &hash), Verdict::Mismatch);
    }

    #[test]
    fn bcrypt_hashes_verify_and_ask_for_an_upgrade() {
        let hash = bcrypt::hash("legacy pass", 4).unwrap();
        assert_eq!(
            verify_blocking("legacy pass", &hash),
            Verdict::MatchNeedsRehash
        );
        assert_eq!(verify_blocking("wrong pass", &hash), Verdict::Mismatch);
    }

    #[test]
    fn weaker_argon2_parameters_ask_for_an_upgrade() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let hash = weak
            .hash_password(b"some password", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_blocking("some password", &hash),
            Verdict::MatchNeedsRehash
        );
    }

    #[test]
    fn garbage_hashes_never_match() {
        assert_eq!(verify_blocking("x", "not a hash"), Verdict::Mismatch);
    }
}
