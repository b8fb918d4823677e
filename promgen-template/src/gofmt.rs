//! Go's `fmt` as templates see it: `%v` printing, `Sprint`, `Sprintln` and `Sprintf`
//! with the verbs annotations use, and strconv's float formatting.

use crate::gofloat::{float_bits, sharp_float};
pub(crate) use crate::gofloat::{float_v, format_float};
pub(crate) use crate::strconv::{is_print, quote, quote_with, sharp_u, unquote, unquote_char};
use crate::value::Value;

/// Printf flags of one verb.
#[derive(Default, Clone, Copy)]
pub(crate) struct Flags {
    pub plus: bool,
    pub minus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    pub wid: Option<usize>,
    pub prec: Option<usize>,
    /// `%+v`: struct fields with their names.
    pub plus_v: bool,
    /// `%#v`: Go syntax.
    pub sharp_v: bool,
}

impl Flags {
    fn pad(&self, out: &mut String, s: &str) {
        let Some(w) = self.wid else {
            out.push_str(s);
            return;
        };
        let n = s.chars().count();
        let fill = w.saturating_sub(n);
        let pc = if self.zero { '0' } else { ' ' };
        if self.minus {
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', fill));
        } else {
            out.extend(std::iter::repeat_n(pc, fill));
            out.push_str(s);
        }
    }
}

fn fmt_float(out: &mut String, v: f64, verb: char, f: &Flags) {
    let (verb, prec) = match verb {
        'v' => ('g', f.prec),
        'e' | 'E' | 'f' | 'F' => (verb, Some(f.prec.unwrap_or(6))),
        _ => (verb, f.prec),
    };
    let mut num = if matches!(verb, 'x' | 'X' | 'b') {
        float_bits(v, verb, prec)
    } else {
        format_float(v, verb, prec)
    };
    if f.sharp && v.is_finite() && verb != 'b' {
        num = sharp_float(num, verb, prec);
    }
    let signed = num.starts_with(['-', '+']);
    let mut num = if signed { num } else { format!("+{num}") };
    if f.space && num.starts_with('+') && !f.plus {
        num.replace_range(0..1, " ");
    }
    if num[1..].starts_with(['I', 'N']) {
        if num[1..].starts_with('N') && !f.space && !f.plus {
            num.remove(0);
        }
        Flags { zero: false, ..*f }.pad(out, &num);
        return;
    }
    if f.plus || !num.starts_with('+') {
        if f.zero && f.wid.is_some_and(|w| w > num.len()) && !f.minus {
            out.push_str(&num[..1]);
            out.extend(std::iter::repeat_n('0', f.wid.unwrap_or(0) - num.len()));
            out.push_str(&num[1..]);
            return;
        }
        f.pad(out, &num);
        return;
    }
    f.pad(out, &num[1..]);
}

fn fmt_integer(out: &mut String, v: i64, base: u32, verb: char, f: &Flags) {
    let neg = v < 0;
    let u = v.unsigned_abs();
    let mut prec = 0usize;
    if let Some(p) = f.prec {
        prec = p;
        if p == 0 && u == 0 {
            Flags { zero: false, ..*f }.pad(out, "");
            return;
        }
    } else if f.zero && !f.minus && f.wid.is_some() {
        prec = f.wid.unwrap_or(0);
        if neg || f.plus || f.space {
            prec = prec.saturating_sub(1);
        }
    }
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if verb == 'X' => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    if digits.len() < prec {
        digits = "0".repeat(prec - digits.len()) + &digits;
    }
    if f.sharp {
        match base {
            2 => digits.insert_str(0, "0b"),
            8 if !digits.starts_with('0') => digits.insert(0, '0'),
            16 => digits.insert_str(0, if verb == 'X' { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if verb == 'O' {
        digits.insert_str(0, "0o");
    }
    if neg {
        digits.insert(0, '-');
    } else if f.plus {
        digits.insert(0, '+');
    } else if f.space {
        digits.insert(0, ' ');
    }
    Flags { zero: false, ..*f }.pad(out, &digits);
}

fn truncate(s: &str, f: &Flags) -> String {
    match f.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn fmt_hex_str(out: &mut String, s: &str, verb: char, f: &Flags) {
    // The precision counts bytes here, not runes.
    let n = f.prec.map_or(s.len(), |p| p.min(s.len()));
    let mut buf = String::new();
    for (i, &b) in s.as_bytes()[..n].iter().enumerate() {
        if f.space && i > 0 {
            buf.push(' ');
        }
        if f.sharp && (f.space || i == 0) {
            buf.push_str(if verb == 'X' { "0X" } else { "0x" });
        }
        if verb == 'X' {
            buf.push_str(&format!("{b:02X}"));
        } else {
            buf.push_str(&format!("{b:02x}"));
        }
    }
    f.pad(out, &buf);
}

fn bad_verb(out: &mut String, v: &Value, verb: char, f: &Flags) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if let Value::Nil = v {
        out.push_str("<nil>");
    } else {
        out.push_str(&v.type_name());
        out.push('=');
        print_arg(out, v, 'v', f, 0);
    }
    out.push(')');
}

/// Formats one operand with one verb, as Go's `pp.printArg`/`printValue`.
pub(crate) fn print_arg(out: &mut String, v: &Value, verb: char, f: &Flags, depth: usize) {
    if verb == 'T' {
        f.pad(out, &v.type_name());
        return;
    }
    // Go syntax changes how strings and composites print; numbers keep their flags.
    if verb == 'v' && f.sharp_v && !matches!(v, Value::Int(_) | Value::Float(_)) {
        go_syntax(out, v, f, depth);
        return;
    }
    match v {
        Value::Nil => {
            if verb == 'v' {
                f.pad(out, "<nil>");
            } else {
                bad_verb(out, v, verb, f);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => f.pad(out, if *b { "true" } else { "false" }),
            _ => bad_verb(out, v, verb, f),
        },
        Value::Int(i) => match verb {
            'v' | 'd' => fmt_integer(out, *i, 10, verb, f),
            'b' => fmt_integer(out, *i, 2, verb, f),
            'o' | 'O' => fmt_integer(out, *i, 8, verb, f),
            'x' | 'X' => fmt_integer(out, *i, 16, verb, f),
            'c' => f.pad(out, &char_of(*i).to_string()),
            'q' => f.pad(out, &quote_with(&char_of(*i).to_string(), '\'', f.plus)),
            'U' => {
                // At least four hex digits, more if the precision asks; zero padding is off.
                let digits = f.prec.map_or(4, |p| p.max(4));
                let mut s = format!("U+{:0digits$X}", *i as u64);
                if f.sharp
                    && let Some(c) = u32::try_from(*i).ok().and_then(char::from_u32)
                    && is_print(c)
                {
                    s.push_str(&format!(" '{c}'"));
                }
                Flags { zero: false, ..*f }.pad(out, &s);
            }
            _ => bad_verb(out, v, verb, f),
        },
        Value::Float(x) => match verb {
            'v' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' => fmt_float(out, *x, verb, f),
            'x' | 'X' | 'b' => fmt_float(out, *x, verb, f),
            _ => bad_verb(out, v, verb, f),
        },
        Value::Str(s) | Value::Html(s) => match verb {
            'v' | 's' => f.pad(out, &truncate(s, f)),
            'q' => {
                let t = truncate(s, f);
                if f.sharp
                    && !t.contains(['`', '\r', '\n'])
                    && t.chars().all(|c| c == '\t' || is_print(c))
                {
                    f.pad(out, &format!("`{t}`"));
                } else {
                    f.pad(out, &quote_with(&t, '"', f.plus));
                }
            }
            'x' | 'X' => fmt_hex_str(out, s, verb, f),
            _ => bad_verb(out, v, verb, f),
        },
        Value::Time(_) => match verb {
            'v' | 's' | 'q' | 'x' | 'X' => {
                print_arg(out, &Value::Str(v.to_string().into()), verb, f, depth)
            }
            _ => bad_verb(out, v, verb, f),
        },
        Value::StrMap(m) => {
            out.push_str("map[");
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_arg(out, &Value::Str(k.as_str().into()), verb, f, depth + 1);
                out.push(':');
                print_arg(out, &Value::Str(val.as_str().into()), verb, f, depth + 1);
            }
            out.push(']');
        }
        Value::AnyMap(m) => {
            out.push_str("map[");
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_arg(out, &Value::Str(k.as_str().into()), verb, f, depth + 1);
                out.push(':');
                print_arg(out, val, verb, f, depth + 1);
            }
            out.push(']');
        }
        Value::Sample(s) => match s {
            None => f.pad(out, "<nil>"),
            Some(_) if depth > 0 => f.pad(out, "0xc000010000"),
            Some(s) => {
                out.push_str(if f.plus_v { "&{Labels:" } else { "&{" });
                print_arg(
                    out,
                    &Value::StrMap(std::rc::Rc::new(s.labels.clone())),
                    verb,
                    f,
                    depth + 1,
                );
                out.push_str(if f.plus_v { " Value:" } else { " " });
                print_arg(out, &Value::Float(s.value), verb, f, depth + 1);
                out.push('}');
            }
        },
        Value::Samples(list) => {
            // Go prints the elements' addresses, which no test can expect.
            out.push('[');
            for i in 0..list.borrow().len() {
                if i > 0 {
                    out.push(' ');
                }
                f.pad(out, "0xc000010000");
            }
            out.push(']');
        }
        Value::Data(d) => {
            let names = ["Labels:", "ExternalLabels:", "ExternalURL:", "Value:"];
            let fields = [
                Value::StrMap(std::rc::Rc::new(d.labels.clone())),
                Value::StrMap(std::rc::Rc::new(d.external_labels.clone())),
                Value::Str(d.external_url.as_str().into()),
                Value::Float(d.value),
            ];
            out.push('{');
            for (i, (name, field)) in names.iter().zip(&fields).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if f.plus_v {
                    out.push_str(name);
                }
                print_arg(out, field, verb, f, depth + 1);
            }
            out.push('}');
        }
    }
}

/// `%#v`: the value in Go syntax. Width and precision apply to each string and
/// number inside, as Go's printValue recursion applies them.
fn go_syntax(out: &mut String, v: &Value, f: &Flags, depth: usize) {
    let strmap = |out: &mut String, m: &std::collections::BTreeMap<String, String>| {
        out.push_str("map[string]string{");
        for (i, (k, val)) in m.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            go_syntax(out, &Value::str(k), f, depth + 1);
            out.push(':');
            go_syntax(out, &Value::str(val), f, depth + 1);
        }
        out.push('}');
    };
    match v {
        Value::Nil if depth > 0 => out.push_str("interface {}(nil)"),
        Value::Nil => f.pad(out, "<nil>"),
        Value::Bool(b) => f.pad(out, if *b { "true" } else { "false" }),
        Value::Int(_) | Value::Float(_) => print_arg(
            out,
            v,
            'v',
            &Flags {
                sharp_v: false,
                ..*f
            },
            depth,
        ),
        Value::Str(s) | Value::Html(s) => f.pad(out, &quote(&truncate(s, f))),
        Value::StrMap(m) => strmap(out, m),
        Value::AnyMap(m) => {
            out.push_str("map[string]interface {}{");
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                go_syntax(out, &Value::str(k), f, depth + 1);
                out.push(':');
                go_syntax(out, val, f, depth + 1);
            }
            out.push('}');
        }
        Value::Sample(None) => out.push_str("(*template.sample)(nil)"),
        Value::Sample(Some(_)) if depth > 0 => out.push_str("(*template.sample)(0xc000010000)"),
        Value::Sample(Some(s)) => {
            out.push_str("&template.sample{Labels:");
            strmap(out, &s.labels);
            out.push_str(", Value:");
            go_syntax(out, &Value::Float(s.value), f, depth + 1);
            out.push('}');
        }
        Value::Samples(l) => {
            let items = vec!["(*template.sample)(0xc000010000)"; l.borrow().len()];
            out.push_str(&format!("template.queryResult{{{}}}", items.join(", ")));
        }
        Value::Time(ns) => {
            let c = crate::value::civil(*ns);
            f.pad(
                out,
                &format!(
                    "time.Date({}, time.{}, {}, {}, {}, {}, {}, time.UTC)",
                    c.year,
                    crate::gotime::MONTHS[c.month as usize - 1],
                    c.day,
                    c.hour,
                    c.minute,
                    c.second,
                    c.nanos
                ),
            );
        }
        Value::Data(d) => {
            out.push_str(crate::value::DATA_TYPE);
            out.push_str("{Labels:");
            strmap(out, &d.labels);
            out.push_str(", ExternalLabels:");
            strmap(out, &d.external_labels);
            out.push_str(", ExternalURL:");
            go_syntax(out, &Value::str(&d.external_url), f, depth + 1);
            out.push_str(", Value:");
            go_syntax(out, &Value::Float(d.value), f, depth + 1);
            out.push('}');
        }
    }
}

fn char_of(i: i64) -> char {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn is_go_string(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Html(_))
}

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !is_go_string(a) && !is_go_string(&args[i - 1]) {
            out.push(' ');
        }
        print_arg(&mut out, a, 'v', &Flags::default(), 0);
    }
    out
}

/// Go's `fmt.Sprintln`: spaces always, and a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_arg(&mut out, a, 'v', &Flags::default(), 0);
    }
    out.push('\n');
    out
}

/// Parses a `[n]` argument index at `i`: `(index, new i, well formed)`.
fn arg_number(f: &[char], i: usize) -> Option<(Option<usize>, usize)> {
    if f.get(i) != Some(&'[') {
        return None;
    }
    for j in i + 1..f.len() {
        if f[j] == ']' {
            let n: Option<usize> = f[i + 1..j].iter().collect::<String>().parse().ok();
            return Some((n.filter(|&n| n >= 1).map(|n| n - 1), j + 1));
        }
    }
    Some((None, f.len()))
}

/// Go's `fmt.Sprintf`, with flags, widths, precisions, `*` and `[n]` indexes.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let f: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut argi = 0;
    let mut reordered = false;
    let mut i = 0;
    while i < f.len() {
        if f[i] != '%' {
            out.push(f[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut fl = Flags::default();
        let mut good = true;
        while i < f.len() {
            match f[i] {
                '+' => fl.plus = true,
                '-' => {
                    fl.minus = true;
                    fl.zero = false;
                }
                '#' => fl.sharp = true,
                ' ' => fl.space = true,
                '0' => fl.zero = !fl.minus,
                _ => break,
            }
            i += 1;
        }
        // An explicit argument index, then a width (`*` takes it from the arguments).
        let mut index = |i: &mut usize, argi: &mut usize, good: &mut bool| -> bool {
            match arg_number(&f, *i) {
                None => false,
                Some((n, next)) => {
                    reordered = true;
                    *i = next;
                    match n {
                        Some(n) if n < args.len() => *argi = n,
                        _ => *good = false,
                    }
                    true
                }
            }
        };
        let mut after_index = index(&mut i, &mut argi, &mut good);
        let star = |i: &mut usize, argi: &mut usize| -> Option<i64> {
            *i += 1;
            let v = args.get(*argi);
            *argi += 1;
            match v {
                Some(Value::Int(n)) if n.unsigned_abs() <= 1_000_000 => Some(*n),
                _ => None,
            }
        };
        let digits = |i: &mut usize| -> Option<usize> {
            let mut n: Option<usize> = None;
            while let Some(d) = f.get(*i).and_then(|c| c.to_digit(10)) {
                n = Some((n.unwrap_or(0) * 10 + d as usize).min(1_000_000));
                *i += 1;
            }
            n
        };
        if f.get(i) == Some(&'*') {
            match star(&mut i, &mut argi) {
                None => out.push_str("%!(BADWIDTH)"),
                Some(w) => {
                    fl.wid = Some(w.unsigned_abs() as usize);
                    if w < 0 {
                        fl.minus = true;
                        fl.zero = false;
                    }
                }
            }
            after_index = false;
        } else {
            fl.wid = digits(&mut i);
            if after_index && fl.wid.is_some() {
                good = false;
            }
        }
        if f.get(i) == Some(&'.') {
            i += 1;
            if after_index {
                good = false;
            }
            after_index = index(&mut i, &mut argi, &mut good);
            if f.get(i) == Some(&'*') {
                match star(&mut i, &mut argi) {
                    Some(p) if p >= 0 => fl.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                fl.prec = Some(digits(&mut i).unwrap_or(0));
            }
        }
        if !after_index {
            index(&mut i, &mut argi, &mut good);
        }
        let Some(&verb) = f.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        if verb == 'v' {
            // %+v and %#v are struct-field and Go-syntax forms, not sign or prefix flags.
            fl.plus_v = fl.plus;
            fl.sharp_v = fl.sharp;
            fl.plus = false;
            fl.sharp = false;
        }
        match args.get(argi) {
            None => out.push_str(&format!("%!{verb}(MISSING)")),
            Some(a) => {
                argi += 1;
                print_arg(&mut out, a, verb, &fl, 0);
            }
        }
    }
    if !reordered && argi < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[argi..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if let Value::Nil = a {
                out.push_str("<nil>");
            } else {
                out.push_str(&a.type_name());
                out.push('=');
                print_arg(&mut out, a, 'v', &Flags::default(), 0);
            }
        }
        out.push(')');
    }
    out
}
