//! The confirmation prompt before anything is written.

use std::io::{BufRead, Write};

use super::ApplyError;

/// The question, asked on a terminal.
pub const QUESTION: &str = "Apply these changes? [y/N] ";

/// Asks [`QUESTION`] on `output` and reads one line from `input`: only `y`
/// or `yes` (any case) agrees; anything else, or end of input, declines.
pub fn ask(output: impl Write, input: impl BufRead) -> std::io::Result<bool> {
    ask_with(QUESTION, output, input)
}

/// [`ask`] with another question (`zeeg doctor --write` asks its own).
pub fn ask_with(
    question: &str,
    mut output: impl Write,
    mut input: impl BufRead,
) -> std::io::Result<bool> {
    output.write_all(question.as_bytes())?;
    output.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

/// What became of a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Yes,
    No,
    /// There is no terminal to ask on.
    NoTerminal,
}

/// Whether apply may go on after asking [`QUESTION`] (the command asks,
/// through its printer).
pub fn approved(reply: std::io::Result<Reply>) -> Result<(), ApplyError> {
    match reply {
        Ok(Reply::Yes) => Ok(()),
        Ok(Reply::No) => Err(ApplyError::Declined),
        Ok(Reply::NoTerminal) => Err(ApplyError::NoTerminal),
        Err(source) => Err(ApplyError::Prompt { source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> bool {
        let mut shown = Vec::new();
        let agreed = ask(&mut shown, text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(shown).unwrap(), QUESTION);
        agreed
    }

    #[test]
    fn only_yes_agrees() {
        assert!(answer("y\n"));
        assert!(answer(" YES \n"));
        assert!(!answer("\n"));
        assert!(!answer("n\n"));
        assert!(!answer("yep\n"));
        assert!(!answer(""));
    }
}
