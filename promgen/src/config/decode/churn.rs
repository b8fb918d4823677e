//! A series entry's `churn:` ([`crate::churn`]): how often, how much and how its label
//! sets are replaced.

use super::{Decoder, Fields};
use crate::churn::{Churn, ChurnMode, DEFAULT_CHURN_LABEL};
use crate::config::{error::KeyPath, yaml::Node};
use crate::{exposition::Family, labels::is_valid_label_name};

const CHURN_KEYS: [&str; 6] = ["every", "fraction", "mode", "factor", "for", "label"];
const MODES: [&str; 4] = ["step", "gradual", "rotate", "spike"];

impl Decoder<'_> {
    /// The entry's `churn:`, when it has one. Configs only: the control API adds one
    /// series, and a churn replaces series of an entry.
    pub(super) fn churn(
        &mut self,
        f: &Fields<'_>,
        path: &KeyPath,
        family: Family<'_>,
    ) -> Option<Option<Churn>> {
        let Some(node) = f.get("churn") else {
            return Some(None);
        };
        let path = path.key("churn");
        if !self.templates {
            return self.error(
                node,
                &path,
                "`churn` is for configs: the control API adds one series at a time (remove it and post each series, or put the entry in a config)",
            );
        }
        let c = self.map(node, &path, &CHURN_KEYS)?;
        let every = self.field(&c, &path, "every", Self::duration);
        let mode_text = self.optional(&c, &path, "mode", |d, n, p| {
            let text = d.scalar(n, p, "a churn mode")?;
            if MODES.contains(&text) {
                Some(text.to_owned())
            } else {
                d.error(
                    n,
                    p,
                    format!(
                        "unknown churn mode {text:?} (expected one of: {})",
                        MODES.join(", ")
                    ),
                )
            }
        })?;
        let mode_text = mode_text.unwrap_or_else(|| "step".to_owned());
        let allowed: &[&str] = match mode_text.as_str() {
            "step" | "gradual" => &["fraction"],
            "spike" => &["factor", "for"],
            _ => &[],
        };
        for key in ["fraction", "factor", "for"] {
            if let (Some(n), false) = (c.get(key), allowed.contains(&key)) {
                self.error_at(
                    n.at,
                    &path.key(key),
                    format!(
                        "`{key}` is not for mode {mode_text} (it takes: {})",
                        keys_or_none(allowed)
                    ),
                );
            }
        }
        let fraction = if allowed.contains(&"fraction") {
            self.field(&c, &path, "fraction", Self::fraction)
        } else {
            Some(1.0)
        };
        let (factor, for_ms) = if mode_text == "spike" {
            let factor = self.optional(&c, &path, "factor", |d, n, p| match d.u64(n, p)? {
                k @ 2..=1_000 => u32::try_from(k).ok(),
                k => d.error(
                    n,
                    p,
                    format!("a spike's factor is 2 to 1000 (times the lasting series), not {k}"),
                ),
            });
            let for_ms = self.field(&c, &path, "for", Self::duration);
            (factor.map(|k| k.unwrap_or(2)), for_ms)
        } else {
            (Some(2), Some(0))
        };
        let label = self.optional(&c, &path, "label", |d, n, p| {
            let text = d.string(n, p)?;
            if !is_valid_label_name(&text) || text.starts_with("__") {
                return d.error(n, p, format!("invalid label name {text:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"));
            }
            match family.check_label(&text) {
                Ok(()) => Some(text),
                Err(reserved) => d.error(n, p, reserved.to_string()),
            }
        })?;
        let (every, fraction, factor, for_ms) = (every?, fraction?, factor?, for_ms?);
        let mode = match mode_text.as_str() {
            "step" => ChurnMode::Step { fraction },
            "gradual" => ChurnMode::Gradual { fraction },
            "rotate" => ChurnMode::Rotate,
            _ => ChurnMode::Spike { factor, for_ms },
        };
        match Churn::new(every, mode) {
            Ok(churn) => Some(Some(
                churn.on_label(label.unwrap_or_else(|| DEFAULT_CHURN_LABEL.to_owned())),
            )),
            Err(e) => self.error(node, &path, e.to_string()),
        }
    }

    fn fraction(&mut self, node: &Node, path: &KeyPath) -> Option<f64> {
        match self.f64(node, path)? {
            f if f > 0.0 && f <= 1.0 => Some(f),
            f => self.error(
                node,
                path,
                format!("the fraction is of the entry's series, each period: above 0 and at most 1, not {f}"),
            ),
        }
    }
}

fn keys_or_none(keys: &[&str]) -> String {
    if keys.is_empty() {
        "nothing more".to_owned()
    } else {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
