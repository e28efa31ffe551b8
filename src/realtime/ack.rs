//! Acknowledgement payloads: `{"ok": true, …}` or `{"ok": false, "error": {"code", "message", "field"?}}`.
//!
//! Service errors are translated by the edges' one exhaustive match ([`ApiError::from`]), so a
//! socket client sees the same codes and messages as a REST client.

use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::SendError;
use socketioxide::extract::AckSender;

use crate::edge::error::ApiError;
use crate::service::ServiceError;

/// Answers success with `fields` (a struct or a JSON object) merged into `{"ok": true}`.
pub fn ok(ack: AckSender, fields: impl Serialize) {
    #[derive(Serialize)]
    struct Answer<T> {
        ok: bool,
        #[serde(flatten)]
        fields: T,
    }
    // A closed socket leaves nobody to tell. Serialising fails only for a handler that answers
    // with something other than a struct or a JSON object: a bug, which must not pass silently.
    if let Err(SendError::Serialize(e)) = ack.send(&Answer { ok: true, fields }) {
        tracing::error!(error = %e, "an acknowledgement could not be serialised, so its client gets none (the handler must answer with a JSON object)");
    }
}

/// Answers failure with an error code and message.
pub fn fail(ack: AckSender, code: &str, message: &str) {
    let _ = ack.send(&json!({ "ok": false, "error": { "code": code, "message": message } }));
}

/// Answers failure with a service error, as the REST API would describe it.
pub fn service_error(ack: AckSender, err: ServiceError) {
    let api = ApiError::from(err);
    let mut error = json!({ "code": api.code, "message": api.message });
    if let Some(field) = api.field {
        error["field"] = Value::from(field);
    }
    let _ = ack.send(&json!({ "ok": false, "error": error }));
}
