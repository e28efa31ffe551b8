//! Questions to the operator: confirmations and new passwords.
//!
//! A prompt appears only when stdin and stderr are both terminals; anywhere else (cron, a pipe,
//! CI) a command that would need one fails at once with what to pass instead, rather than block
//! or read a password from a stream that was meant for something else.

use std::io::{IsTerminal, Read};

use dialoguer::{Confirm, Password};

use crate::error::CliError;

/// Whether omegactl may ask the operator anything.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// How a destructive command gets its go-ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// `--yes` was given.
    Given,
    /// Ask on the terminal.
    Ask,
}

/// Decides, before anything is sent, how `action` ("delete user alice") will be confirmed; fails
/// when it cannot be (no `--yes` and no terminal).
pub fn consent(yes: bool, action: &str) -> Result<Consent, CliError> {
    consent_for(yes, interactive(), action)
}

fn consent_for(yes: bool, interactive: bool, action: &str) -> Result<Consent, CliError> {
    match (yes, interactive) {
        (true, _) => Ok(Consent::Given),
        (false, true) => Ok(Consent::Ask),
        (false, false) => Err(CliError::Usage(format!(
            "refusing to {action} without confirmation: stdin is not a terminal; pass --yes to confirm"
        ))),
    }
}

/// Asks `question` (default no) unless consent was given; `Err(Declined)` on no.
pub fn confirm(consent: Consent, question: &str) -> Result<(), CliError> {
    if consent == Consent::Given {
        return Ok(());
    }
    let yes = Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|err| CliError::Io(format!("cannot read the answer: {err}")))?;
    if yes { Ok(()) } else { Err(CliError::Declined) }
}

/// Where a new password comes from, decided before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordInput {
    Stdin,
    Prompt,
}

impl PasswordInput {
    /// `--password-stdin`, or a prompt when there is a terminal to prompt on.
    pub fn choose(password_stdin: bool) -> Result<Self, CliError> {
        Self::choose_for(password_stdin, interactive())
    }

    fn choose_for(password_stdin: bool, interactive: bool) -> Result<Self, CliError> {
        match (password_stdin, interactive) {
            (true, _) => Ok(PasswordInput::Stdin),
            (false, true) => Ok(PasswordInput::Prompt),
            (false, false) => Err(CliError::Usage(
                "cannot prompt for a password: stdin is not a terminal; pipe it in with --password-stdin".into(),
            )),
        }
    }

    /// Reads the password: one line from stdin, or typed twice (hidden) on the terminal.
    pub fn read(self, username: &str) -> Result<String, CliError> {
        match self {
            PasswordInput::Stdin => {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|err| {
                    CliError::Io(format!("cannot read the password from stdin: {err}"))
                })?;
                password_from_stdin(&text)
            }
            PasswordInput::Prompt => Password::new()
                .with_prompt(format!("New password for {username}"))
                .with_confirmation("Repeat it", "The passwords differ; try again.")
                .interact()
                .map_err(|err| CliError::Io(format!("cannot read the password: {err}"))),
        }
    }
}

/// The first line of stdin, without its line ending; `echo secret |` and a file both work.
fn password_from_stdin(text: &str) -> Result<String, CliError> {
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(CliError::Usage(
            "--password-stdin: stdin held no password (expected it on the first line)".into(),
        ));
    }
    Ok(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_skips_the_question_even_without_a_terminal() {
        assert_eq!(
            consent_for(true, false, "delete user x").unwrap(),
            Consent::Given
        );
        assert_eq!(
            consent_for(false, true, "delete user x").unwrap(),
            Consent::Ask
        );
    }

    #[test]
    fn without_a_terminal_or_yes_the_command_fails_with_the_hint() {
        let err = consent_for(false, false, "delete user x").unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        assert!(err.to_string().contains("pass --yes"), "{err}");
        assert!(err.to_string().contains("delete user x"), "{err}");
    }

    #[test]
    fn a_password_needs_a_terminal_or_password_stdin() {
        assert_eq!(
            PasswordInput::choose_for(true, false).unwrap(),
            PasswordInput::Stdin
        );
        assert_eq!(
            PasswordInput::choose_for(false, true).unwrap(),
            PasswordInput::Prompt
        );
        let err = PasswordInput::choose_for(false, false).unwrap_err();
        assert!(err.to_string().contains("--password-stdin"), "{err}");
    }

    #[test]
    fn a_piped_password_loses_its_line_ending_only() {
        assert_eq!(password_from_stdin("s3cret pass\n").unwrap(), "s3cret pass");
        assert_eq!(password_from_stdin("s3cret\r\n").unwrap(), "s3cret");
        assert_eq!(password_from_stdin("s3cret").unwrap(), "s3cret");
        assert!(password_from_stdin("\n").is_err());
        assert!(password_from_stdin("").is_err());
    }
}
