//! `health` and `status`: how the daemon and its backends are doing.

use omegachat_contract::admin::{GetHealth, GetStatus, HealthReport, HealthStatus, StatusReport};

use super::Context;
use crate::error::{CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::output::{self, Table};

/// `GET /v1/health`; the exit status is the verdict, so monitoring can use it as is.
pub async fn health(ctx: &Context) -> Result<u8, CliError> {
    let reply = ctx
        .client()?
        .send(&GetHealth)
        .await
        // A daemon that cannot even report its health counts as down, not as a refused request.
        .map_err(|err| match err {
            CliError::Daemon { .. } | CliError::Protocol(_) => CliError::Down(Box::new(err)),
            other => other,
        })?;
    ctx.show(&reply, render_health)?;
    Ok(exit_code(reply.body.status))
}

fn exit_code(status: HealthStatus) -> u8 {
    match status {
        HealthStatus::Healthy => EXIT_OK,
        HealthStatus::Degraded => EXIT_FAILED,
        HealthStatus::Down => EXIT_USAGE,
    }
}

fn render_health(report: &HealthReport) -> String {
    let mut out = output::fields(&[
        ("status", report.status.as_str().to_owned()),
        ("version", report.version.clone()),
        ("serving", output::yes_no(report.serving)),
        ("pending migrations", report.pending_migrations.to_string()),
    ]);
    // The DETAIL column only when a backend has one (the messages cluster's nodes).
    let details = report.backends.iter().any(|b| b.detail.is_some());
    let mut columns = vec!["ROLE", "ENGINE", "REACHABLE", "LATENCY", "ERROR"];
    if details {
        columns.insert(4, "DETAIL");
    }
    let mut table = Table::new(&columns);
    for backend in &report.backends {
        let mut row = vec![
            backend.role.clone(),
            backend.engine.clone(),
            output::yes_no(backend.reachable),
            backend
                .latency_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2} ms")),
            output::or_dash(backend.error.as_deref()),
        ];
        if details {
            row.insert(4, output::or_dash(backend.detail.as_deref()));
        }
        table.row(row);
    }
    if !table.is_empty() {
        out.push('\n');
        out.push_str(&table.render());
    }
    if !report.serving && report.pending_migrations > 0 {
        out.push_str("\nThe public API waits for the schema: run `omegactl migrate up`.\n");
    }
    out
}

/// `GET /v1/status`.
pub async fn status(ctx: &Context) -> Result<(), CliError> {
    let reply = ctx.client()?.send(&GetStatus).await?;
    ctx.show(&reply, render_status)
}

fn render_status(report: &StatusReport) -> String {
    let mut out = output::fields(&[
        ("version", report.version.clone()),
        ("uptime", output::duration(report.uptime_secs)),
        ("engine", report.engine.clone()),
        ("connections", report.sockets.to_string()),
        ("users online", report.users_online.to_string()),
        ("rooms", report.rooms.to_string()),
        ("messages/s", format!("{:.2}", report.messages_per_sec)),
        (
            "messages since start",
            report.messages_since_start.to_string(),
        ),
    ]);
    if report.nodes.is_empty() {
        return out;
    }
    let mut table = Table::new(&[
        "NODE",
        "HOST",
        "ADDRESS",
        "VERSION",
        "UPTIME",
        "CONNECTIONS",
        "USERS",
        "MSG/S",
    ]);
    for node in &report.nodes {
        let marker = if node.this_node { " *" } else { "" };
        table.row(vec![
            format!("{}{marker}", node.id),
            node.host.clone(),
            node.address.clone(),
            node.version.clone(),
            output::duration(node.uptime_secs),
            node.sockets.to_string(),
            node.users_online.to_string(),
            format!("{:.2}", node.messages_per_sec),
        ]);
    }
    let totals = &report.totals;
    table.row(vec![
        format!("total: {} node(s)", totals.nodes),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        totals.sockets.to_string(),
        totals
            .users_online
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        format!("{:.2}", totals.messages_per_sec),
    ]);
    out.push('\n');
    out.push_str(&table.render());
    out.push_str("(* the node that answered; USERS in the total counts each user once)\n");
    if let Some(error) = &report.nodes_error {
        out.push_str(&format!(
            "Only this node is listed: {error}. Other nodes may be running; check Redis (redis.url).\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::BackendHealth;

    fn report(status: HealthStatus) -> HealthReport {
        HealthReport {
            status,
            version: "0.1.0".into(),
            backends: vec![
                BackendHealth {
                    role: "database".into(),
                    engine: "postgres".into(),
                    reachable: true,
                    latency_ms: Some(0.4321),
                    error: None,
                    detail: None,
                },
                BackendHealth {
                    role: "fanout".into(),
                    engine: "redis".into(),
                    reachable: false,
                    latency_ms: None,
                    error: Some("connection refused".into()),
                    detail: None,
                },
            ],
            pending_migrations: 2,
            serving: false,
        }
    }

    #[test]
    fn health_shows_each_backend_with_its_latency() {
        let text = render_health(&report(HealthStatus::Degraded));
        assert_eq!(
            text,
            "status:             degraded\n\
             version:            0.1.0\n\
             serving:            no\n\
             pending migrations: 2\n\
             \n\
             ROLE      ENGINE    REACHABLE  LATENCY  ERROR\n\
             database  postgres  yes        0.43 ms  -\n\
             fanout    redis     no         -        connection refused\n\
             \n\
             The public API waits for the schema: run `omegactl migrate up`.\n"
        );
    }

    #[test]
    fn the_messages_cluster_shows_its_connected_nodes() {
        let mut health = report(HealthStatus::Healthy);
        health.serving = true;
        health.pending_migrations = 0;
        health.backends.truncate(1);
        health.backends.push(BackendHealth {
            role: "messages".into(),
            engine: "scylla".into(),
            reachable: true,
            latency_ms: Some(1.5),
            error: None,
            detail: Some("2/3 nodes connected".into()),
        });
        let text = render_health(&health);
        assert!(
            text.ends_with(
                "ROLE      ENGINE    REACHABLE  LATENCY  DETAIL               ERROR\n\
                 database  postgres  yes        0.43 ms  -                    -\n\
                 messages  scylla    yes        1.50 ms  2/3 nodes connected  -\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_verdict_is_the_exit_status() {
        assert_eq!(exit_code(HealthStatus::Healthy), 0);
        assert_eq!(exit_code(HealthStatus::Degraded), 1);
        assert_eq!(exit_code(HealthStatus::Down), 2);
    }

    #[test]
    fn status_reads_as_key_value_pairs() {
        let text = render_status(&StatusReport {
            version: "0.1.0".into(),
            uptime_secs: 90_061,
            engine: "sqlite".into(),
            sockets: 12,
            users_online: 7,
            rooms: 30,
            messages_per_sec: 1.5,
            messages_since_start: 1234,
            nodes: Vec::new(),
            totals: Default::default(),
            nodes_error: None,
        });
        assert!(text.contains("uptime:               1d 1h\n"), "{text}");
        assert!(text.contains("messages/s:           1.50\n"), "{text}");
    }

    #[test]
    fn status_lists_every_node_and_the_totals() {
        use omegachat_contract::admin::{ChatTotals, NodeStatus};
        let node = |id: &str, this_node, sockets, users| NodeStatus {
            id: id.into(),
            host: "chat1".into(),
            address: "127.0.0.1:8080".into(),
            version: "0.1.0".into(),
            uptime_secs: 3_700,
            sockets,
            users_online: users,
            messages_per_sec: 2.0,
            this_node,
        };
        let text = render_status(&StatusReport {
            version: "0.1.0".into(),
            uptime_secs: 3_700,
            engine: "postgres".into(),
            sockets: 3,
            users_online: 2,
            rooms: 4,
            messages_per_sec: 2.0,
            messages_since_start: 10,
            nodes: vec![node("a1", true, 3, 2), node("b2", false, 5, 4)],
            totals: ChatTotals {
                nodes: 2,
                sockets: 8,
                users_online: Some(5),
                messages_per_sec: 4.0,
            },
            nodes_error: Some("no answer from Redis within 1000 ms".into()),
        });
        let table = text.split_once("\n\n").expect("a table after the fields").1;
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("NODE"), "{text}");
        assert!(lines[1].starts_with("a1 *"), "{text}");
        assert!(lines[2].starts_with("b2 "), "{text}");
        let total: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(
            total,
            ["total:", "2", "node(s)", "8", "5", "4.00"],
            "{text}"
        );
        assert!(
            text.contains("Only this node is listed: no answer from Redis within 1000 ms."),
            "{text}"
        );
    }
}
