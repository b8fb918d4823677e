//! Go's `text/template` with Prometheus's template functions, expanding alerting rule
//! annotations and labels exactly as Prometheus 2.42 (built with Go 1.19) does.
//!
//! ```
//! use std::collections::BTreeMap;
//! use promgen_template::{expand_alert_template, AlertData, NoQueries};
//!
//! let data = AlertData {
//!     labels: BTreeMap::from([("instance".to_string(), "db-1:9100".to_string())]),
//!     value: 0.8125,
//!     ..AlertData::default()
//! };
//! let text = "{{ $labels.instance | stripPort }} is at {{ $value | humanizePercentage }}";
//! assert_eq!(
//!     expand_alert_template("DiskFull", text, &data, &mut NoQueries),
//!     "db-1 is at 81.25%"
//! );
//! ```
//!
//! # Fidelity
//!
//! The language is Go 1.19's `text/template` (the Go that builds Prometheus 2.42 and its
//! promtool): actions, trim markers, comments, pipelines, variables, `if`/`else if`,
//! `range` (maps in key order, `break`, `continue`, `else`), `with`, `define`,
//! `template`, `block`, and the built-in functions, with `missingkey=zero`. Values print
//! as Go's `fmt` prints them, and `printf` follows Go's verbs, flags, widths, precisions,
//! `*` and `[n]` indexes, and `%!verb(type=value)` errors. The functions are those of
//! Prometheus 2.42's `template/template.go` for text templates (`tmpl` exists only in its
//! HTML mode, so alert templates cannot call it). Tests check all of this against the
//! real promtool: hundreds of templates as annotations and labels, parse errors through
//! `promtool check rules`, and generated printf and function calls.
//!
//! Known differences, all at the edges:
//! - Strings are UTF-8: where Go cuts a rune (`slice` cuts bytes; `"\xff"` is a byte), we
//!   write U+FFFD.
//! - Printing a query result (`[]*sample`) shows Go's pointers; we show a fixed address.
//! - `unicode.IsPrint` (for `%q`, `%#U`, `js`) and case mapping are approximations of
//!   Go's tables: unassigned code points count as printable here.
//! - Patterns compile with the `regex` crate (RE2 semantics like Go's; `\d`, `\w`, `\s`
//!   and `\b` are made ASCII as in Go); uncommon pattern errors are worded differently.
//! - Limits Go does not have: templates over [`MAX_TEMPLATE_BYTES`], nesting deeper than
//!   64 (parse) or 200 levels (execution, counting calls, controls and pipelines),
//!   `{{template}}` calls deeper than 64 (Go: 100000), a budget of a million steps, and
//!   16 MiB of output. Each is a clear error.
//! - `call` always fails (templates have no function values); imaginary constants parse
//!   but do not execute; `*time.Time` has the methods `Format`, `Unix*`, `Year`,
//!   `YearDay`, `Day`, `Hour`, `Minute`, `Second`, `Nanosecond`, `UTC`, `String`, `IsZero`.
#![warn(missing_docs)]

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

mod ast;
mod exec;
mod funcs;
mod gofloat;
mod gofmt;
mod gotime;
mod lex;
mod parse;
mod prometheus;
mod strconv;
mod value;

#[cfg(test)]
mod tests;

/// Largest template text accepted, so that hostile input stays cheap.
///
/// ```
/// let big = "x".repeat(promgen_template::MAX_TEMPLATE_BYTES + 1);
/// assert!(promgen_template::Template::parse(&big).is_err());
/// ```
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// A failed parse or execution. The message is Go's, word for word where we know it
/// (`template: NAME:LINE: …` or `template: NAME:LINE:COL: executing "NAME" at <…>: …`);
/// the fields say where in the template text it happened.
///
/// ```
/// use promgen_template::{Template, TemplateError};
///
/// let err = Template::parse("ok\n{{ .Labels.x").unwrap_err();
/// assert_eq!(err.to_string(), "template: template:2: unclosed action");
/// assert!(matches!(err, TemplateError::Parse { line: 2, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The text is not a valid template (or is over [`MAX_TEMPLATE_BYTES`]).
    #[error("{message}")]
    Parse {
        /// Go's message.
        message: String,
        /// Byte offset in the text.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in bytes.
        column: usize,
    },
    /// Execution failed: a function's error, a type mismatch, or a limit.
    #[error("{message}")]
    Exec {
        /// Go's message.
        message: String,
        /// Byte offset in the text of the node executing.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in bytes.
        column: usize,
    },
}

/// 1-based line and byte column of `pos` in `text`.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => pos - nl,
        None => pos + 1,
    };
    (line, col)
}

impl TemplateError {
    fn parse(text: &str, offset: usize, message: String) -> Self {
        let (line, column) = line_col(text, offset);
        TemplateError::Parse {
            message,
            offset,
            line,
            column,
        }
    }

    pub(crate) fn exec(text: &str, offset: usize, message: String) -> Self {
        let (line, column) = line_col(text, offset);
        TemplateError::Exec {
            message,
            offset,
            line,
            column,
        }
    }
}

/// One sample of a query's result: its labels and value.
///
/// ```
/// use std::collections::BTreeMap;
/// let s = promgen_template::Sample {
///     labels: BTreeMap::from([("job".to_string(), "api".to_string())]),
///     value: 3.0,
/// };
/// assert_eq!(s.labels["job"], "api");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels (with `__name__` when the query keeps it).
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// Runs the PromQL of the `query` template function, at the evaluation time the caller knows.
///
/// To match Prometheus's rule manager (`rules.EngineQueryFunc`), an instant query's
/// vector is returned as it is, a scalar as one sample without labels, and any other
/// result type is the error `rule result is not a vector or scalar`. Samples keep
/// `__name__` where the query result has it.
///
/// ```
/// use promgen_template::{Queries, Sample};
///
/// struct Three;
/// impl Queries for Three {
///     fn query(&mut self, _expr: &str) -> Result<Vec<Sample>, String> {
///         Ok(vec![Sample { labels: Default::default(), value: 3.0 }])
///     }
/// }
/// let t = promgen_template::Template::parse(r#"{{ query "vector(3)" | first | value }}"#).unwrap();
/// assert_eq!(t.execute(&Default::default(), &mut Three).unwrap(), "3");
/// ```
pub trait Queries {
    /// Evaluates `expr` as an instant query; the error text becomes the template's error.
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String>;
}

/// A [`Queries`] that refuses every query.
///
/// ```
/// use promgen_template::{Queries, NoQueries};
/// assert!(NoQueries.query("up").unwrap_err().contains("no query engine"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoQueries;

impl Queries for NoQueries {
    fn query(&mut self, expr: &str) -> Result<Vec<Sample>, String> {
        Err(format!("no query engine to run {expr:?}"))
    }
}

/// The data an alert template sees: Prometheus's `AlertTemplateData`.
///
/// ```
/// let d = promgen_template::AlertData { value: 2.5, ..Default::default() };
/// assert_eq!(d.value, 2.5);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertData {
    /// `.Labels` / `$labels`: the labels of the series the alert expression returned.
    pub labels: BTreeMap<String, String>,
    /// `.Value` / `$value`.
    pub value: f64,
    /// `.ExternalLabels` / `$externalLabels`.
    pub external_labels: BTreeMap<String, String>,
    /// `.ExternalURL` / `$externalURL`: the rule group's external URL string.
    pub external_url: String,
    /// The rule manager's external URL, which the `externalURL` and `pathPrefix`
    /// *functions* read. `None`, as in promtool (which gives the manager none), makes
    /// those functions fail as Go's nil pointer dereference does.
    pub manager_url: Option<String>,
}

/// A parsed template, with the templates it `define`s.
///
/// ```
/// use promgen_template::{Template, NoQueries};
/// let t = Template::parse("{{ range $k, $v := .Labels }}{{ $k }}={{ $v }} {{ end }}").unwrap();
/// let mut data = promgen_template::AlertData::default();
/// data.labels.insert("b".into(), "2".into());
/// data.labels.insert("a".into(), "1".into());
/// assert_eq!(t.execute(&data, &mut NoQueries).unwrap(), "a=1 b=2 ");
/// ```
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    text: String,
    trees: HashMap<String, Vec<ast::Node>>,
}

impl Template {
    /// Parses `text` under the name `template`.
    ///
    /// ```
    /// assert!(promgen_template::Template::parse("{{ nope }}").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::parse_named("template", text)
    }

    /// Parses `text` under `name`, the name Go's messages quote.
    ///
    /// ```
    /// let e = promgen_template::Template::parse_named("t", "{{ $x }}").unwrap_err();
    /// assert_eq!(e.to_string(), r#"template: t:1: undefined variable "$x""#);
    /// ```
    pub fn parse_named(name: &str, text: &str) -> Result<Template, TemplateError> {
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::parse(
                "",
                0,
                format!(
                    "template: {name}: template of {} bytes is over the limit of {MAX_TEMPLATE_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        let trees = parse::parse(name, text, &exec::is_func).map_err(|e| {
            let (line, _) = line_col(text, e.pos);
            TemplateError::parse(text, e.pos, format!("template: {name}:{line}: {}", e.msg))
        })?;
        Ok(Template {
            name: name.to_string(),
            text: text.to_string(),
            trees,
        })
    }

    /// Executes the template with `data` as its dot, as Prometheus does
    /// (`missingkey=zero`: a missing label is empty).
    ///
    /// ```
    /// use promgen_template::{Template, AlertData, NoQueries};
    /// let t = Template::parse("[{{ .Labels.missing }}] {{ printf \"%.2f\" .Value }}").unwrap();
    /// let data = AlertData { value: 1.0 / 3.0, ..Default::default() };
    /// assert_eq!(t.execute(&data, &mut NoQueries).unwrap(), "[] 0.33");
    /// ```
    pub fn execute(
        &self,
        data: &AlertData,
        queries: &mut dyn Queries,
    ) -> Result<String, TemplateError> {
        let mut env = exec::Env {
            queries,
            url: data.manager_url.clone(),
        };
        exec::execute(self, value::Value::Data(Rc::new(data.clone())), &mut env)
    }
}

/// The variables Prometheus's rule manager declares before every alert template.
///
/// ```
/// use promgen_template::{Template, ALERT_TEMPLATE_DEFS, AlertData, NoQueries};
/// let t = Template::parse(&format!("{ALERT_TEMPLATE_DEFS}{{{{ $value }}}}")).unwrap();
/// let data = AlertData { value: 1e6, ..Default::default() };
/// assert_eq!(t.execute(&data, &mut NoQueries).unwrap(), "1e+06");
/// ```
pub const ALERT_TEMPLATE_DEFS: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// What Prometheus's rule manager does with an annotation or label of alert
/// `alert_name`: [`ALERT_TEMPLATE_DEFS`] prepended, named `__alert_NAME`, and any error
/// written into the result as `<error expanding template: …>`.
///
/// ```
/// use promgen_template::{expand_alert_template, AlertData, NoQueries};
/// let data = AlertData { value: 12.0, ..Default::default() };
/// assert_eq!(expand_alert_template("High", "{{ if gt $value 10.0 }}high{{ end }}", &data, &mut NoQueries), "high");
/// // $value is a float64: comparing it with the int 10 is Go's error.
/// assert_eq!(
///     expand_alert_template("High", "{{ if gt $value 10 }}high{{ end }}", &data, &mut NoQueries),
///     "<error expanding template: error executing template __alert_High: template: __alert_High:1:118: \
///      executing \"__alert_High\" at <gt $value 10>: error calling gt: incompatible types for comparison>"
/// );
/// ```
pub fn expand_alert_template(
    alert_name: &str,
    text: &str,
    data: &AlertData,
    queries: &mut dyn Queries,
) -> String {
    let name = format!("__alert_{alert_name}");
    let full = format!("{ALERT_TEMPLATE_DEFS}{text}");
    match Template::parse_named(&name, &full) {
        Err(e) => format!("<error expanding template: error parsing template {name}: {e}>"),
        Ok(t) => match t.execute(data, queries) {
            Ok(s) => s,
            Err(e) => format!("<error expanding template: error executing template {name}: {e}>"),
        },
    }
}
