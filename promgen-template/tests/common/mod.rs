//! What the promtool oracle tests share: whether promtool is there, and YAML quoting for the
//! files they write.

use std::process::Command;

/// Whether `promtool` runs; when it does not, says the test is skipped and why.
pub fn promtool_present() -> bool {
    let present = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("SKIPPED: promtool is not installed (apt-get install prometheus installs it)");
    }
    present
}

/// A YAML double-quoted scalar (JSON escapes are YAML escapes).
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
