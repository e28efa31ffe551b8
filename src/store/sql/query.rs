//! Statements for any [`SqlEngine`], shaped like sqlx's own (`query(…).bind(…).fetch_one(&pool)`).
//!
//! sqlx's `query` asks its caller to prove `T: Encode<DB>` for every bound value and
//! `O: FromRow<DB::Row>` for every row read, which generic code can only do by repeating those
//! bounds on every impl; this wrapper asks the engine instead (`DB: Binds<T>`, `DB: Reads<O>`,
//! implied by `DB: SqlEngine`).

use sqlx::error::BoxDynError;
use sqlx::{Executor, Pool, Transaction};

use super::engine::{Binds, Reads, SqlEngine};

/// Starts a statement; placeholders are `$1`, `$2`, … on every engine.
pub(super) fn query<'q, DB: SqlEngine>(sql: &'q str) -> Query<'q, DB> {
    Query {
        sql,
        arguments: Default::default(),
        bad_argument: None,
    }
}

/// Placeholders for `rows` rows of `columns` values each, numbered on from `$1`:
/// `($1, $2), ($3, $4)` for a multi-row `VALUES`.
pub(super) fn values(rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let numbers: Vec<String> = (1..=columns)
            .map(|c| format!("${}", r * columns + c))
            .collect();
        format!("({})", numbers.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// A statement with its arguments so far.
pub(super) struct Query<'q, DB: SqlEngine> {
    sql: &'q str,
    arguments: DB::Arguments<'q>,
    /// The first argument that could not be encoded, reported when the statement runs (as sqlx
    /// does), so that binding stays chainable.
    bad_argument: Option<BoxDynError>,
}

/// Where a statement runs: on the pool, or inside a transaction.
pub(super) trait Runs<'e, DB: SqlEngine> {
    fn executor(self) -> impl Executor<'e, Database = DB>;
}

impl<'e, DB: SqlEngine> Runs<'e, DB> for &'e Pool<DB> {
    fn executor(self) -> impl Executor<'e, Database = DB> {
        DB::on_pool(self)
    }
}

impl<'e, DB: SqlEngine> Runs<'e, DB> for &'e mut Transaction<'_, DB> {
    fn executor(self) -> impl Executor<'e, Database = DB> {
        DB::on_connection(&mut **self)
    }
}

impl<'q, DB: SqlEngine> Query<'q, DB> {
    /// Binds the next placeholder.
    pub(super) fn bind<T>(mut self, value: T) -> Self
    where
        DB: Binds<'q, T>,
    {
        if self.bad_argument.is_none() {
            self.bad_argument = DB::add(&mut self.arguments, value).err();
        }
        self
    }

    // Each method hands the executor straight to sqlx's boxed future instead of awaiting a
    // future that holds it: the executor's type is opaque, and proving an async store method
    // `Send` through it trips a known rustc limitation (rust-lang/rust#100013).

    /// Runs the statement; how many rows it changed.
    pub(super) async fn execute<'e>(self, on: impl Runs<'e, DB>) -> Result<u64, sqlx::Error>
    where
        'q: 'e,
    {
        let done = Executor::execute(on.executor(), self.prepared()?);
        Ok(DB::rows_affected(&done.await?))
    }

    /// Every row of the answer.
    pub(super) async fn fetch_all<'e, O>(self, on: impl Runs<'e, DB>) -> Result<Vec<O>, sqlx::Error>
    where
        'q: 'e,
        DB: Reads<O>,
    {
        let rows = Executor::fetch_all(on.executor(), self.prepared()?);
        rows.await?.iter().map(DB::read).collect()
    }

    /// The one row of the answer; `RowNotFound` without one.
    pub(super) async fn fetch_one<'e, O>(self, on: impl Runs<'e, DB>) -> Result<O, sqlx::Error>
    where
        'q: 'e,
        DB: Reads<O>,
    {
        let row = Executor::fetch_one(on.executor(), self.prepared()?);
        DB::read(&row.await?)
    }

    /// The first row of the answer, if any.
    pub(super) async fn fetch_optional<'e, O>(
        self,
        on: impl Runs<'e, DB>,
    ) -> Result<Option<O>, sqlx::Error>
    where
        'q: 'e,
        DB: Reads<O>,
    {
        let row = Executor::fetch_optional(on.executor(), self.prepared()?);
        row.await?.as_ref().map(DB::read).transpose()
    }

    fn prepared(self) -> Result<sqlx::query::Query<'q, DB, DB::Arguments<'q>>, sqlx::Error> {
        match self.bad_argument {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok(sqlx::query_with(self.sql, self.arguments)),
        }
    }
}
