//! `audit`: who did what over the admin socket.

use omegachat_contract::admin::{AuditLog, ReadAudit};

use super::Context;
use crate::error::CliError;
use crate::output::{self, Table};

pub async fn run(limit: Option<u32>, ctx: &Context) -> Result<(), CliError> {
    let reply = ctx.client()?.send(&ReadAudit { limit }).await?;
    ctx.show(&reply, render)
}

fn render(log: &AuditLog) -> String {
    if log.entries.is_empty() {
        return "no admin actions recorded\n".to_owned();
    }
    let mut table = Table::new(&["AT", "UID", "USER", "ACTION", "STATUS", "OUTCOME"]);
    for entry in &log.entries {
        table.row(vec![
            entry.at.clone(),
            entry.uid.to_string(),
            output::or_dash(entry.user.as_deref()),
            entry.action.clone(),
            entry.status.to_string(),
            entry.outcome.clone(),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::AuditEntry;

    #[test]
    fn entries_show_who_did_what() {
        let log = AuditLog {
            entries: vec![AuditEntry {
                at: "2026-01-01T00:00:00Z".into(),
                uid: 0,
                user: Some("root".into()),
                action: "DELETE /v1/users/alice".into(),
                status: 200,
                outcome: "ok".into(),
            }],
        };
        assert_eq!(
            render(&log),
            "AT                    UID  USER  ACTION                  STATUS  OUTCOME\n\
             2026-01-01T00:00:00Z  0    root  DELETE /v1/users/alice  200     ok\n"
        );
    }
}
