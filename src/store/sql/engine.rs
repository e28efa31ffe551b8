//! What the SQL store needs of an engine, and the few places where SQLite and PostgreSQL differ.
//!
//! [`SqlEngine`] is the one bound the generic store writes (`DB: SqlEngine`). Everything sqlx
//! must know to run the store's statements on `DB` is a *supertrait* of it, because Rust implies
//! supertraits at every use of a bound but not other `where` clauses (rust-lang/rust#20671): a
//! clause such as `i64: Encode<'q, DB>` on the trait would have to be repeated on every impl that
//! uses it. So each such fact is turned around into a trait *of the engine*, blanket-implemented
//! wherever sqlx provides the fact, with a method that does the one thing the fact allows:
//! [`Binds<T>`] adds a `T` to the arguments, [`Reads<O>`] decodes an `O` from a row,
//! [`Executes`] runs on a pool or a connection. The list below is therefore also the inventory of
//! Rust types that cross the SQL boundary.
//!
//! The engine differences themselves are the associated items of [`SqlEngine`], implemented in
//! `sqlite.rs` and `postgres.rs`; statements are written once, with `$n` placeholders, which
//! sqlx-sqlite maps by number (see the test in `sqlite.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::types::Json;
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::rows::{
    AuditRow, ConversationRow, FriendshipRow, GroupRow, MemberRow, MessageRow, SigningKeyRow,
    SummaryRow, UserRow,
};

/// A database engine the SQL store runs on.
pub(in crate::store) trait SqlEngine:
    for<'q> Database<Arguments<'q>: IntoArguments<'q, Self>>
    + Executes
    + for<'q> Binds<'q, i64>
    + for<'q> Binds<'q, Option<i64>>
    + for<'q> Binds<'q, bool>
    + for<'q> Binds<'q, Option<bool>>
    + for<'q> Binds<'q, String>
    + for<'q> Binds<'q, Option<String>>
    + for<'q> Binds<'q, &'q str>
    + for<'q> Binds<'q, Option<&'q str>>
    + for<'q> Binds<'q, &'q [u8]>
    + for<'q> Binds<'q, DateTime<Utc>>
    + for<'q> Binds<'q, Option<DateTime<Utc>>>
    + for<'q> Binds<'q, Json<&'q [String]>>
    + for<'q> Binds<'q, Json<&'q BTreeMap<String, String>>>
    + Reads<UserRow>
    + Reads<SigningKeyRow>
    + Reads<FriendshipRow>
    + Reads<GroupRow>
    + Reads<MemberRow>
    + Reads<ConversationRow>
    + Reads<SummaryRow>
    + Reads<MessageRow>
    + Reads<AuditRow>
    + Reads<(i64,)>
    + Reads<(String,)>
    + Reads<(String, i64)>
    + Reads<(i64, Option<String>)>
    + Reads<(i64, DateTime<Utc>)>
{
    /// Engine name for reports (`sqlite`, `postgres`).
    const NAME: &'static str;
    /// The statement that opens a transaction which will write. SQLite needs `BEGIN IMMEDIATE`:
    /// a deferred transaction that reads first fails at once (SQLITE_BUSY, no retry) when another
    /// connection wrote in between.
    const BEGIN_WRITE: &'static str;
    /// Rows holding the integers of the JSON array bound as `$1`, for `id IN (…)`: neither
    /// engine binds the other's array type, but both read JSON text.
    const JSON_INTEGERS_1: &'static str;
    /// A count (0 or 1) of sqlx's `_sqlx_migrations` table, which a new database lacks.
    const MIGRATIONS_TABLE_COUNT: &'static str;

    /// Rows a statement changed; sqlx has no engine-neutral accessor.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// The engine can take a `T` as a statement argument.
pub(in crate::store) trait Binds<'q, T>: Database {
    /// Appends `value` to `arguments`.
    fn add(arguments: &mut Self::Arguments<'q>, value: T) -> Result<(), BoxDynError>;
}

impl<'q, DB, T> Binds<'q, T> for DB
where
    DB: Database,
    T: 'q + Encode<'q, DB> + Type<DB>,
{
    fn add(arguments: &mut DB::Arguments<'q>, value: T) -> Result<(), BoxDynError> {
        arguments.add(value)
    }
}

/// The engine can decode an `O` from one of its rows.
pub(in crate::store) trait Reads<O>: Database {
    /// `O` from `row`.
    fn read(row: &Self::Row) -> Result<O, sqlx::Error>;
}

impl<DB, O> Reads<O> for DB
where
    DB: Database,
    O: for<'r> FromRow<'r, DB::Row>,
{
    fn read(row: &DB::Row) -> Result<O, sqlx::Error> {
        O::from_row(row)
    }
}

/// The engine runs statements on its pools and on its connections.
pub(in crate::store) trait Executes: Database {
    /// `pool` as an executor.
    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
    /// `connection` (inside a transaction) as an executor.
    fn on_connection(connection: &mut Self::Connection) -> impl Executor<'_, Database = Self>;
}

impl<DB> Executes for DB
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    fn on_pool(pool: &Pool<DB>) -> impl Executor<'_, Database = DB> {
        pool
    }

    fn on_connection(connection: &mut DB::Connection) -> impl Executor<'_, Database = DB> {
        connection
    }
}
