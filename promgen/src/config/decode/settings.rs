//! The `scraper:` and `remoteWriter:` blocks.

use super::Decoder;
use crate::config::{
    RemoteWriterConfig, ScraperConfig, Secret,
    error::KeyPath,
    yaml::{Kind, Node, Position},
};
use crate::remote_write::options::RESERVED_HEADERS;

impl Decoder<'_> {
    pub(super) fn scraper(&mut self, node: &Node, path: &KeyPath) -> Option<Option<ScraperConfig>> {
        let f = self.map(
            node,
            path,
            &["scrapeInterval", "startTime", "scrapesCount", "endTime"],
        )?;
        let defaults = ScraperConfig::default();
        let interval_ms = self.optional(&f, path, "scrapeInterval", Self::duration);
        let interval_ms = match interval_ms {
            Some(Some(0)) => self.error(
                f.get("scrapeInterval")?,
                &path.key("scrapeInterval"),
                "must be longer than 0s",
            ),
            other => other.map(|i| i.unwrap_or(defaults.interval_ms)),
        };
        let start = self
            .optional(&f, path, "startTime", Self::time)
            .map(|s| s.unwrap_or(defaults.start));
        let count = self
            .optional(&f, path, "scrapesCount", Self::u64)
            .map(Option::unwrap_or_default);
        let end = self.optional(&f, path, "endTime", Self::time);
        if let (Some(c), Some(Some(_))) = (count, &end)
            && c > 0
        {
            self.error_at(
                f.node.at,
                path,
                "give `scrapesCount` or `endTime`, not both",
            );
            return None;
        }
        let config = ScraperConfig {
            interval_ms: interval_ms?,
            start: start?,
            count: count?,
            end: end?,
        };
        if let Err(e) = config.scraper(self.now_ms) {
            return self.error(node, path, e.to_string());
        }
        Some(Some(config))
    }

    #[allow(clippy::type_complexity)]
    pub(super) fn remote_writer(
        &mut self,
        node: &Node,
        path: &KeyPath,
    ) -> Option<(
        RemoteWriterConfig,
        Option<(Option<ScraperConfig>, Position)>,
    )> {
        let f = self.map(
            node,
            path,
            &[
                "host",
                "scraper",
                "url",
                "protocol",
                "headers",
                "basicAuth",
                "bearerToken",
                "bearerTokenFile",
                "tls",
                "timeout",
                "maxSamplesPerSend",
                "concurrency",
                "retryFor",
            ],
        )?;
        let nested = f
            .get("scraper")
            .map(|n| (self.scraper(n, &path.key("scraper")).flatten(), n.at));
        let host = self.optional(&f, path, "host", Self::string);
        let url = self.optional(&f, path, "url", Self::url);
        let protocol = self.optional(&f, path, "protocol", |d, n, p| {
            let text = d.scalar(n, p, "v1 or v2")?;
            match text.parse::<crate::remote_write::Protocol>() {
                Ok(p) => Some(p),
                Err(e) => d.error(n, p, e.to_string()),
            }
        });
        let headers = self.optional(&f, path, "headers", Self::headers);
        let basic_auth = self.optional(&f, path, "basicAuth", Self::basic_auth);
        let token = self.optional(&f, path, "bearerToken", Self::string);
        let token_file = self.optional(&f, path, "bearerTokenFile", Self::string);
        let tls = self.optional(&f, path, "tls", Self::tls);
        let timeout = self.optional(&f, path, "timeout", Self::positive_duration);
        let batch = self.optional(&f, path, "maxSamplesPerSend", Self::positive);
        let concurrency = self.optional(&f, path, "concurrency", |d, n, p| {
            match d.positive(n, p)? {
                c if c <= 256 => Some(c),
                _ => d.error(n, p, "must be at most 256"),
            }
        });
        let retry_for = self.optional(&f, path, "retryFor", Self::positive_duration);
        let (token, token_file) = (token?, token_file?);
        if token.is_some() && token_file.is_some() {
            self.error_at(
                f.node.at,
                path,
                "give `bearerToken` or `bearerTokenFile`, not both",
            );
            return None;
        }
        let (tls_ca, insecure) = tls?.unwrap_or_default();
        let config = RemoteWriterConfig {
            host: host?,
            url: url?,
            protocol: protocol?,
            headers: headers?.unwrap_or_default(),
            basic_auth: basic_auth?,
            bearer_token: token.map(Secret::Value).or(token_file.map(Secret::File)),
            ca_file: tls_ca,
            insecure_skip_verify: insecure,
            timeout_ms: timeout?,
            max_samples_per_send: batch?,
            concurrency: concurrency?,
            retry_for_ms: retry_for?,
        };
        Some((config, nested))
    }

    fn url(&mut self, node: &Node, path: &KeyPath) -> Option<String> {
        let text = self.scalar(node, path, "a URL")?;
        let rest = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"));
        match rest {
            Some(host) if !host.is_empty() && !host.starts_with('/') => Some(text.to_owned()),
            _ => self.error(
                node,
                path,
                format!("expected an http:// or https:// URL with a host, found {text:?}"),
            ),
        }
    }

    fn positive_duration(&mut self, node: &Node, path: &KeyPath) -> Option<i64> {
        match self.duration(node, path)? {
            ms if ms > 0 => Some(ms),
            _ => self.error(node, path, "must be longer than 0s"),
        }
    }

    fn headers(&mut self, node: &Node, path: &KeyPath) -> Option<Vec<(String, String)>> {
        let Kind::Map(entries) = &node.kind else {
            return self.error(
                node,
                path,
                format!(
                    "expected a mapping of header names to values, found {}",
                    node.describe()
                ),
            );
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (key, value) in entries {
            let (Some(k), Some(v)) = (
                self.string(key, path),
                self.string(value, &path.key("value")),
            ) else {
                ok = false;
                continue;
            };
            let p = path.key(&k);
            let token = !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                self.error_at(key.at, &p, format!("{k:?} is not a valid HTTP header name"));
                ok = false;
            } else if RESERVED_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                self.error_at(
                    key.at,
                    &p,
                    "set by the remote write protocol; it cannot be overridden",
                );
                ok = false;
            } else if v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                self.error_at(value.at, &p, "a header value cannot hold line breaks");
                ok = false;
            } else {
                out.push((k, v));
            }
        }
        ok.then_some(out)
    }

    fn basic_auth(&mut self, node: &Node, path: &KeyPath) -> Option<(String, Secret)> {
        let f = self.map(node, path, &["username", "password", "passwordFile"])?;
        let user = self.field(&f, path, "username", Self::string);
        let password = self.optional(&f, path, "password", Self::string)?;
        let file = self.optional(&f, path, "passwordFile", Self::string)?;
        let secret = match (password, file) {
            (Some(p), None) => Secret::Value(p),
            (None, Some(file)) => Secret::File(file),
            _ => {
                return self.error(
                    node,
                    path,
                    "give `password` or `passwordFile` (one of them)",
                );
            }
        };
        Some((user?, secret))
    }

    fn tls(&mut self, node: &Node, path: &KeyPath) -> Option<(Option<String>, bool)> {
        let f = self.map(node, path, &["caFile", "insecureSkipVerify"])?;
        let ca = self.optional(&f, path, "caFile", Self::string)?;
        let insecure = self.optional(&f, path, "insecureSkipVerify", |d, n, p| {
            match d.scalar(n, p, "true or false")? {
                "true" => Some(true),
                "false" => Some(false),
                other => d.error(n, p, format!("expected true or false, found {other:?}")),
            }
        })?;
        Some((ca, insecure.unwrap_or(false)))
    }
}
