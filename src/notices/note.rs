//! A person's note carried in an email (`requestReconnect`): checked before anything is sent, and
//! shown as quoted text from its author, never as Relink's own words.

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// A checked note: at most [`MAX_NOTE_CHARS`] characters, no control characters but line breaks,
/// no bidirectional overrides, trimmed and not empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note(String);

/// Why a note is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Longer than [`MAX_NOTE_CHARS`].
    #[error("The note is longer than {MAX_NOTE_CHARS} characters; shorten it. Nothing was sent.")]
    TooLong,
    /// A control character other than a line break, or a bidirectional override that could make
    /// the email read differently from what it says.
    #[error(
        "The note contains a control or text-direction character; only plain text and line breaks are allowed. Nothing was sent."
    )]
    ControlCharacter,
}

/// Unicode's explicit bidirectional embeddings, overrides and isolates (the "Trojan Source"
/// characters): they reorder what a reader sees.
fn is_bidi_control(character: char) -> bool {
    matches!(character, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl Note {
    /// Checks `text`; an empty or blank note is no note.
    pub fn parse(text: &str) -> Result<Option<Self>, NoteError> {
        // Counting stops at the first character too many: the check costs the same for any size.
        if text.chars().nth(MAX_NOTE_CHARS).is_some() {
            return Err(NoteError::TooLong);
        }
        if text.chars().any(|character| {
            (character.is_control() && character != '\n') || is_bidi_control(character)
        }) {
            return Err(NoteError::ControlCharacter);
        }
        let text = text.trim();
        Ok((!text.is_empty()).then(|| Self(text.to_owned())))
    }

    /// The note as an email quotes it: who wrote it, then each of its lines behind `> `.
    pub fn quoted(&self, author: &str) -> String {
        let mut quoted = format!("{author} added a note (their words, not Relink's):\n");
        for line in self.0.lines() {
            quoted.push_str("> ");
            quoted.push_str(line);
            quoted.push('\n');
        }
        quoted
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_plain_text_of_at_most_a_thousand_characters() {
        assert_eq!(Note::parse("  "), Ok(None));
        assert_eq!(
            Note::parse(" The launch post is held\nthanks ")
                .map(|note| note.map(|note| note.as_str().to_owned())),
            Ok(Some("The launch post is held\nthanks".to_owned()))
        );
        assert!(Note::parse(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            Note::parse(&"é".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteError::TooLong)
        );
        for bad in [
            "a\rb",
            "tab\there",
            "nul\0",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "rtl\u{202E}gnp.exe",
            "\u{2066}x",
        ] {
            assert_eq!(
                Note::parse(bad),
                Err(NoteError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_quoted_note_names_its_author_and_quotes_every_line() {
        let note = Note::parse("Please hurry\nRelink: your password expired")
            .ok()
            .flatten()
            .expect("note");
        assert_eq!(
            note.quoted("Dev Patel"),
            "Dev Patel added a note (their words, not Relink's):\n> Please hurry\n> Relink: your password expired\n"
        );
    }
}
