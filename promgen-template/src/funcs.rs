//! Function signatures and Go's built-in template functions (`text/template/funcs.go`).

use crate::exec::State;
use crate::gofmt;
use crate::value::{BasicKind, Value};

/// A Go parameter type, as far as argument checking needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `interface{}`
    Any,
    /// `reflect.Value` (the builtins): as `Any`, but nil stays "no value".
    Value,
    Str,
    /// Prometheus's `queryResult`
    Samples,
    /// `*sample`
    SamplePtr,
}

impl Ty {
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Value => "reflect.Value",
            Ty::Str => "string",
            Ty::Samples => "template.queryResult",
            Ty::SamplePtr => "*template.sample",
        }
    }

    pub fn is_any(self) -> bool {
        matches!(self, Ty::Any | Ty::Value)
    }

    /// The zero value a nil becomes in a parameter of this type.
    pub fn zero(self) -> Value {
        match self {
            Ty::Any | Ty::Value => Value::Nil,
            Ty::Str => Value::str(""),
            Ty::Samples => Value::Samples(Default::default()),
            Ty::SamplePtr => Value::Sample(None),
        }
    }
}

/// A function's parameters: fixed ones, then an optional variadic tail.
pub(crate) struct Sig {
    pub fixed: &'static [Ty],
    pub variadic: Option<Ty>,
}

const fn sig(fixed: &'static [Ty], variadic: Option<Ty>) -> Sig {
    Sig { fixed, variadic }
}

use Ty::{Any, SamplePtr, Samples, Str, Value as V};

/// The signature of a function a template can call, or `None` if there is none.
pub(crate) fn signature(name: &str) -> Option<Sig> {
    Some(match name {
        "and" | "or" | "index" | "slice" | "call" | "eq" => sig(&[V], Some(V)),
        "not" | "len" => sig(&[V], None),
        "ne" | "lt" | "le" | "gt" | "ge" => sig(&[V, V], None),
        "print" | "println" | "html" | "js" | "urlquery" | "args" => sig(&[], Some(Any)),
        "printf" => sig(&[Str], Some(Any)),
        "query" | "safeHtml" | "title" | "toUpper" | "toLower" | "graphLink" | "tableLink"
        | "stripPort" | "stripDomain" | "parseDuration" => sig(&[Str], None),
        "first" => sig(&[Samples], None),
        "label" => sig(&[Str, SamplePtr], None),
        "value" | "strvalue" => sig(&[SamplePtr], None),
        "reReplaceAll" => sig(&[Str, Str, Str], None),
        "match" => sig(&[Str, Str], None),
        "sortByLabel" => sig(&[Str, Samples], None),
        "humanize" | "humanize1024" | "humanizeDuration" | "humanizePercentage"
        | "humanizeTimestamp" | "toTime" => sig(&[Any], None),
        "pathPrefix" | "externalURL" => sig(&[], None),
        _ => return None,
    })
}

/// Calls function `name` with checked arguments.
pub(crate) fn call(s: &mut State<'_, '_, '_>, name: &str, a: Vec<Value>) -> Result<Value, String> {
    Ok(match name {
        "not" => Value::Bool(!a[0].truth()),
        "len" => Value::Int(length(&a[0])? as i64),
        "index" => index(&a[0], &a[1..])?,
        "slice" => slice(&a[0], &a[1..])?,
        "call" => {
            return Err(match &a[0] {
                Value::Nil => "call of nil".to_string(),
                v => format!("non-function of type {}", v.type_name()),
            });
        }
        "eq" => Value::Bool(eq(&a[0], &a[1..])?),
        "ne" => Value::Bool(!eq(&a[0], &a[1..])?),
        "lt" => Value::Bool(lt(&a[0], &a[1])?),
        "le" => Value::Bool(le(&a[0], &a[1])?),
        "gt" => Value::Bool(!le(&a[0], &a[1])?),
        "ge" => Value::Bool(!lt(&a[0], &a[1])?),
        "print" => Value::str(&gofmt::sprint(&a)),
        "println" => Value::str(&gofmt::sprintln(&a)),
        "printf" => {
            let Value::Str(f) = &a[0] else {
                unreachable!("checked string")
            };
            Value::str(&gofmt::sprintf(f, &a[1..]))
        }
        "html" => Value::str(&html_escape(&eval_args(&a))),
        "js" => Value::str(&js_escape(&eval_args(&a))),
        "urlquery" => Value::str(&crate::prometheus::query_escape(&eval_args(&a))),
        _ => return crate::prometheus::call(s, name, a),
    })
}

/// Go's `evalArgs` for html/js/urlquery: a lone string as is, else `fmt.Sprint`.
fn eval_args(a: &[Value]) -> String {
    if let [Value::Str(s)] = a {
        return s.to_string();
    }
    gofmt::sprint(a)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

fn length(v: &Value) -> Result<usize, String> {
    Ok(match v {
        Value::Str(s) | Value::Html(s) => s.len(),
        Value::StrMap(m) => m.len(),
        Value::AnyMap(m) => m.len(),
        Value::Samples(l) => l.borrow().len(),
        Value::Nil => return Err("len of nil pointer".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    })
}

fn index_arg(i: &Value, cap: usize) -> Result<usize, String> {
    match i {
        Value::Int(x) if *x < 0 || *x as u64 > cap as u64 => {
            Err(format!("index out of range: {x}"))
        }
        Value::Int(x) => Ok(*x as usize),
        Value::Nil => Err("cannot index slice/array with nil".into()),
        other => Err(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        )),
    }
}

fn index(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let mut item = item.clone();
    for i in idx {
        let cur = item;
        item = match &cur {
            Value::Nil => return Err("index of untyped nil".into()),
            Value::StrMap(_) | Value::AnyMap(_) if !matches!(i, Value::Str(_)) => {
                return Err(match i {
                    Value::Nil => "value is nil; should be of type string".to_string(),
                    o => format!("value has type {}; should be string", o.type_name()),
                });
            }
            Value::StrMap(m) => {
                let Value::Str(k) = i else { unreachable!() };
                Value::str(m.get(&**k).map_or("", String::as_str))
            }
            Value::AnyMap(m) => {
                let Value::Str(k) = i else { unreachable!() };
                m.get(&**k).cloned().unwrap_or(Value::Nil)
            }
            Value::Samples(l) => {
                let l = l.borrow();
                let x = index_arg(i, l.len())?;
                match l.get(x) {
                    Some(s) => Value::Sample(Some(s.clone())),
                    // indexArg lets x == len through; reflect then panics.
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Str(s) | Value::Html(s) => {
                let x = index_arg(i, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(i64::from(*b)),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let len = match item {
        Value::Nil => return Err("slice of untyped nil".into()),
        Value::Str(s) | Value::Html(s) => s.len(),
        Value::Samples(l) => l.borrow().len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let is_str = matches!(item, Value::Str(_) | Value::Html(_));
    if idx.len() > 3 || (is_str && idx.len() > 2) {
        return Err(if is_str {
            "cannot 3-index slice a string".to_string()
        } else {
            format!("too many slice indexes: {}", idx.len())
        });
    }
    let mut ix = [0usize, len, len];
    for (n, i) in idx.iter().enumerate() {
        ix[n] = index_arg(i, len)?;
    }
    if idx.len() < 2 {
        ix[1] = len;
    }
    if ix[0] > ix[1] {
        return Err(format!("invalid slice index: {} > {}", ix[0], ix[1]));
    }
    if idx.len() == 3 && ix[1] > ix[2] {
        return Err(format!("invalid slice index: {} > {}", ix[1], ix[2]));
    }
    Ok(match item {
        Value::Str(s) | Value::Html(s) => match s.get(ix[0]..ix[1]) {
            Some(sub) => Value::str(sub),
            None => Value::str(&String::from_utf8_lossy(&s.as_bytes()[ix[0]..ix[1]])),
        },
        Value::Samples(l) => Value::Samples(std::rc::Rc::new(std::cell::RefCell::new(
            l.borrow()[ix[0]..ix[1]].to_vec(),
        ))),
        _ => unreachable!("checked above"),
    })
}

fn comparable(v: &Value) -> bool {
    !matches!(
        v,
        Value::StrMap(_) | Value::AnyMap(_) | Value::Samples(_) | Value::Data(_)
    )
}

fn non_comparable(v: &Value) -> String {
    format!(
        "non-comparable type {}: {}",
        gofmt::sprint(std::slice::from_ref(v)),
        v.type_name()
    )
}

/// Go 1.19's `eq`: true if `a` equals any of `rest`; kinds must match (nil aside),
/// and values of other kinds must be comparable.
fn eq(a: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = a.kind();
    for b in rest {
        let k2 = b.kind();
        if k1 != k2 {
            if !matches!(a, Value::Nil) && !matches!(b, Value::Nil) {
                return Err("incompatible types for comparison".into());
            }
            continue;
        }
        let truth = match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Str(x) | Value::Html(x), Value::Str(y) | Value::Html(y)) => x == y,
            (Value::Nil, Value::Nil) => true,
            (Value::Nil, _) | (_, Value::Nil) => false,
            (a, _) if !comparable(a) => return Err(non_comparable(a)),
            (_, b) if !comparable(b) => return Err(non_comparable(b)),
            (Value::Sample(x), Value::Sample(y)) => match (x, y) {
                (Some(x), Some(y)) => std::rc::Rc::ptr_eq(x, y),
                (None, None) => true,
                _ => false,
            },
            // Distinct *time.Time pointers are never equal.
            _ => false,
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (a.kind(), b.kind());
    if k1 == BasicKind::Invalid || k2 == BasicKind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err("incompatible types for comparison".into());
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x) | Value::Html(x), Value::Str(y) | Value::Html(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

/// The methods of `*time.Time` a template may call.
pub(crate) fn time_method(name: &str) -> Option<Sig> {
    Some(match name {
        "Format" => sig(&[Str], None),
        "Unix" | "UnixMilli" | "UnixMicro" | "UnixNano" | "Year" | "YearDay" | "Day" | "Hour"
        | "Minute" | "Second" | "Nanosecond" | "UTC" | "String" | "IsZero" => sig(&[], None),
        _ => return None,
    })
}

/// Calls a `time.Time` method on `ns` (nanoseconds since the epoch, UTC).
pub(crate) fn call_time_method(ns: i64, name: &str, a: &[Value]) -> Result<Value, String> {
    let c = crate::value::civil(ns);
    Ok(match name {
        "Format" => {
            let Value::Str(layout) = &a[0] else {
                unreachable!("checked string")
            };
            Value::str(&crate::gotime::format(ns, layout))
        }
        "Unix" => Value::Int(ns.div_euclid(1_000_000_000)),
        "UnixMilli" => Value::Int(ns.div_euclid(1_000_000)),
        "UnixMicro" => Value::Int(ns.div_euclid(1_000)),
        "UnixNano" => Value::Int(ns),
        "Year" => Value::Int(c.year),
        "YearDay" => Value::Int(i64::from(c.yday)),
        "Day" => Value::Int(i64::from(c.day)),
        "Hour" => Value::Int(i64::from(c.hour)),
        "Minute" => Value::Int(i64::from(c.minute)),
        "Second" => Value::Int(i64::from(c.second)),
        "Nanosecond" => Value::Int(i64::from(c.nanos)),
        "UTC" => Value::Time(ns),
        "String" => Value::str(&Value::Time(ns).to_string()),
        "IsZero" => Value::Bool(false),
        _ => return Err(format!("no method {name}")),
    })
}
