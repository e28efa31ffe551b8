//! `migrate status` and `migrate up`: the schema of each storage engine.

use omegachat_contract::admin::{ApplyMigrations, ListMigrations, MigrationReport};

use super::{Context, plural};
use crate::args::MigrateCommand;
use crate::error::CliError;
use crate::output::Table;

pub async fn run(cmd: MigrateCommand, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.client()?;
    let reply = match cmd {
        MigrateCommand::Status => client.send(&ListMigrations).await?,
        MigrateCommand::Up => client.send(&ApplyMigrations).await?,
    };
    ctx.show(&reply, render)
}

fn render(report: &MigrationReport) -> String {
    let mut table = Table::new(&["ENGINE", "VERSION", "APPLIED", "DESCRIPTION"]);
    let mut pending = 0;
    for engine in &report.engines {
        for migration in &engine.applied {
            table.row(vec![
                engine.engine.clone(),
                migration.version.to_string(),
                migration.applied_at.clone().unwrap_or_else(|| "yes".into()),
                migration.description.clone(),
            ]);
        }
        for migration in &engine.pending {
            table.row(vec![
                engine.engine.clone(),
                migration.version.to_string(),
                "pending".into(),
                migration.description.clone(),
            ]);
        }
        pending += engine.pending.len();
    }
    let mut out = table.render();
    out.push('\n');
    if pending == 0 {
        out.push_str("The schema is current.\n");
    } else {
        out.push_str(&format!(
            "{} pending: apply with `omegactl migrate up`.\n",
            plural(pending as u64, "migration", "migrations")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::{EngineMigrations, MigrationInfo};

    #[test]
    fn applied_and_pending_migrations_share_one_table() {
        let report = MigrationReport {
            engines: vec![EngineMigrations {
                engine: "postgres".into(),
                applied: vec![MigrationInfo {
                    version: 1,
                    description: "accounts".into(),
                    applied_at: Some("2026-01-02T03:04:05Z".into()),
                }],
                pending: vec![MigrationInfo {
                    version: 2,
                    description: "groups".into(),
                    applied_at: None,
                }],
            }],
        };
        assert_eq!(
            render(&report),
            "ENGINE    VERSION  APPLIED               DESCRIPTION\n\
             postgres  1        2026-01-02T03:04:05Z  accounts\n\
             postgres  2        pending               groups\n\
             \n\
             1 migration pending: apply with `omegactl migrate up`.\n"
        );
    }
}
