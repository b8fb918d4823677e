//! The values a Prometheus alert template handles, each standing for the Go type
//! Prometheus would hold there.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::{AlertData, Sample};

/// A template value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// No value (Go's invalid `reflect.Value`) or a nil interface.
    Nil,
    Bool(bool),
    /// Go `int`: integer constants and `len`.
    Int(i64),
    /// Go `float64`: `$value`, float constants, `value`, `parseDuration`.
    Float(f64),
    Str(Rc<str>),
    /// `html/template.HTML`, from `safeHtml`.
    Html(Rc<str>),
    /// `map[string]string`: `$labels`, `$externalLabels`, a sample's labels.
    StrMap(Rc<BTreeMap<String, String>>),
    /// `map[string]interface{}`, from `args`.
    AnyMap(Rc<BTreeMap<String, Value>>),
    /// Prometheus's `queryResult` (`[]*sample`), from `query`; shared and mutable like the Go slice: `sortByLabel` sorts it in place.
    Samples(Rc<std::cell::RefCell<Vec<Rc<Sample>>>>),
    /// `*sample`; `None` is a nil pointer.
    Sample(Option<Rc<Sample>>),
    /// `*time.Time` in UTC, as nanoseconds since the epoch (from `toTime`).
    Time(i64),
    /// The `AlertTemplateData` struct, the template's dot.
    Data(Rc<AlertData>),
}

/// The Go type name of `AlertTemplateData`'s anonymous struct.
pub(crate) const DATA_TYPE: &str = "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }";

/// Go's basic kinds, which the comparison functions dispatch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BasicKind {
    Bool,
    Int,
    Float,
    String,
    Invalid,
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    /// The Go type's name, as `%T` and error messages write it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Html(_) => "template.HTML",
            Value::StrMap(_) => "map[string]string",
            Value::AnyMap(_) => "map[string]interface {}",
            Value::Samples(_) => "template.queryResult",
            Value::Sample(_) => "*template.sample",
            Value::Time(_) => "*time.Time",
            Value::Data(_) => DATA_TYPE,
        }
        .to_string()
    }

    pub fn kind(&self) -> BasicKind {
        match self {
            Value::Bool(_) => BasicKind::Bool,
            Value::Int(_) => BasicKind::Int,
            Value::Float(_) => BasicKind::Float,
            Value::Str(_) | Value::Html(_) => BasicKind::String,
            _ => BasicKind::Invalid,
        }
    }

    /// Go's `isTrue`: `None` when truth is undefined for the type (never, for ours).
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Html(s) => !s.is_empty(),
            Value::StrMap(m) => !m.is_empty(),
            Value::AnyMap(m) => !m.is_empty(),
            Value::Samples(v) => !v.borrow().is_empty(),
            Value::Sample(s) => s.is_some(),
            Value::Time(_) | Value::Data(_) => true,
        }
    }

    /// What an action prints: `fmt.Fprint` of Go's `printableValue` (pointers followed).
    pub fn printable(&self) -> String {
        match self {
            Value::Nil => "<no value>".into(),
            Value::Sample(Some(s)) => {
                let mut out = String::from("{");
                crate::gofmt::print_arg(
                    &mut out,
                    &Value::StrMap(Rc::new(s.labels.clone())),
                    'v',
                    &Default::default(),
                    1,
                );
                out.push(' ');
                out.push_str(&crate::gofmt::float_v(s.value));
                out.push('}');
                out
            }
            other => crate::gofmt::sprint(std::slice::from_ref(other)),
        }
    }
}

/// Civil UTC fields of a nanosecond timestamp.
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    pub weekday: u32,
    pub yday: u32,
}

pub(crate) fn civil(ns: i64) -> Civil {
    // floatToTime keeps times within int64 nanoseconds (years 1677 to 2262), inside jiff's range.
    let z = jiff::Timestamp::from_nanosecond(i128::from(ns))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC);
    Civil {
        year: i64::from(z.year()),
        month: z.month() as u32,
        day: z.day() as u32,
        hour: z.hour() as u32,
        minute: z.minute() as u32,
        second: z.second() as u32,
        nanos: z.subsec_nanosecond() as u32,
        weekday: u32::from(z.weekday().to_sunday_zero_offset() as u8),
        yday: z.day_of_year() as u32,
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Go's time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST".
            Value::Time(ns) => f.write_str(&crate::gotime::format(
                *ns,
                "2006-01-02 15:04:05.999999999 -0700 MST",
            )),
            other => f.write_str(&other.printable()),
        }
    }
}
