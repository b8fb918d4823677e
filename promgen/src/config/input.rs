//! A config's bytes before they are YAML: at most [`MAX_CONFIG_BYTES`] of them, read with a
//! cap (a stream such as `/dev/zero` included), and UTF-8, or an error saying where not.

use super::{ConfigError, ConfigErrors, KeyPath, LoadError, Position};
use std::{io::Read, path::Path};

/// The largest config, file or control-API body, that is read: 16 MiB. A hand-written config
/// is a few kilobytes and a generated one with ten thousand series about two megabytes; a
/// larger one is refused with this limit named rather than read (its tree takes several
/// times its size in memory).
pub const MAX_CONFIG_BYTES: usize = 16 << 20;

/// The limit, for messages.
pub(crate) fn limit_text() -> String {
    format!("{} MiB", MAX_CONFIG_BYTES >> 20)
}

/// The file's bytes: at most [`MAX_CONFIG_BYTES`], whatever the file is (a regular file's
/// size is checked first; a stream is read up to one byte past the limit).
pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, LoadError> {
    let name = || path.display().to_string();
    let read_error = |source| LoadError::Read {
        path: name(),
        source,
    };
    let too_large = || LoadError::TooLarge {
        path: name(),
        limit: MAX_CONFIG_BYTES,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let known = file.metadata().map_err(read_error)?.len();
    if known > MAX_CONFIG_BYTES as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(known).unwrap_or(0) + 1);
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `bytes` as text, or an error at the line and column of the first byte that is not UTF-8.
///
/// ```
/// let err = promgen::config::utf8(b"metrics:\n  - name: x\xff\n", "c.yaml").unwrap_err();
/// assert_eq!(err.to_string(), "c.yaml:2:12: not valid UTF-8 (byte 0xff)");
/// ```
///
/// # Errors
/// Bytes that are not UTF-8.
pub fn utf8<'b>(bytes: &'b [u8], file: &str) -> Result<&'b str, ConfigErrors> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        // The prefix is valid: it has lines and characters.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let at = Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        };
        let message = match e.error_len() {
            Some(_) => format!("not valid UTF-8 (byte {:#04x})", bytes[e.valid_up_to()]),
            None => "not valid UTF-8 (the text ends inside a character)".to_owned(),
        };
        ConfigErrors(vec![ConfigError::new(
            file,
            at,
            &KeyPath::default(),
            message,
        )])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_is_located() {
        let err = |bytes: &[u8]| utf8(bytes, "f").unwrap_err().to_string();
        assert_eq!(
            err(b"\xc3"),
            "f:1:1: not valid UTF-8 (the text ends inside a character)"
        );
        assert_eq!(
            err(b"\xc3\xa9\n\nab\xc3\xa9\x80"),
            "f:3:4: not valid UTF-8 (byte 0x80)"
        );
        assert_eq!(utf8(b"ok", "f").unwrap(), "ok");
    }

    #[test]
    fn streams_are_read_with_a_cap() {
        // /dev/zero never ends: only one byte past the limit is read.
        let Err(err) = read_capped(Path::new("/dev/zero")) else {
            panic!("read /dev/zero whole")
        };
        assert_eq!(
            err.to_string(),
            "/dev/zero: the config is larger than 16 MiB"
        );
    }
}
