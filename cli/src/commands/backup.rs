//! `backup PATH`: the daemon writes a copy of the database.

use std::path::{Path, PathBuf};

use omegachat_contract::admin::WriteBackup;

use super::Context;
use crate::error::CliError;
use crate::output;

pub async fn run(path: &Path, ctx: &Context) -> Result<(), CliError> {
    let request = WriteBackup {
        path: absolute(path)?,
    };
    let reply = ctx.client()?.send(&request).await?;
    ctx.show(&reply, |outcome| {
        format!(
            "backup written to {} ({})\n",
            outcome.path,
            output::bytes(outcome.bytes)
        )
    })
}

/// The daemon has its own working directory, so a relative path would land somewhere else than
/// the operator meant; it is made absolute from ours.
fn absolute(path: &Path) -> Result<String, CliError> {
    let absolute: PathBuf = std::path::absolute(path)
        .map_err(|err| CliError::Usage(format!("cannot resolve {}: {err}", path.display())))?;
    absolute.into_os_string().into_string().map_err(|raw| {
        CliError::Usage(format!(
            "the backup path {} is not valid UTF-8, which the admin protocol cannot carry",
            Path::new(&raw).display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_backup_path_is_taken_from_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            absolute(Path::new("backups/today.db")).unwrap(),
            cwd.join("backups/today.db").to_str().unwrap()
        );
        assert_eq!(absolute(Path::new("/srv/b.db")).unwrap(), "/srv/b.db");
    }
}
