//! `promgen-cli` run as a user runs it, with config files in fresh temporary directories.

use std::{
    path::PathBuf,
    process::{Command, Output},
};

/// `promgen-cli <args>` in the crate's directory, to its end.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgen-cli"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run promgen-cli")
}

/// A config file in a fresh temporary directory, removed on drop.
pub struct TempConfig(PathBuf);

impl TempConfig {
    /// `text` in `<tmp>/promgen-cli-<pid>-<name>/<name>`.
    pub fn new(name: &str, text: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("promgen-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}
