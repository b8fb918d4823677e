//! Go's strconv float formatting (`FormatFloat` with e, f, g, x and b) and the `#` flag.

/// Decimal digits of `|v|` as strconv holds them: value = 0.d₁d₂… × 10^dp, trailing zeros
/// trimmed; zero has no digits. `sig` = significant digits, or shortest round-trip.
fn digits(v: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    let v = v.abs();
    if v == 0.0 {
        return (Vec::new(), 0);
    }
    // Rust and Go both round exactly, ties to even, and find the same shortest digits.
    let s = match sig {
        Some(n) => format!("{:.*e}", n.max(1) - 1, v),
        None => format!("{v:e}"),
    };
    let (mant, exp) = s.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let mut d: Vec<u8> = mant.bytes().filter(|b| b.is_ascii_digit()).collect();
    while d.len() > 1 && d[d.len() - 1] == b'0' {
        d.pop();
    }
    (d, exp + 1)
}

fn fmt_e(d: &[u8], dp: i32, prec: usize, e: char) -> String {
    let mut out = String::new();
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push(e);
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
    out
}

fn fmt_f(d: &[u8], dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(d.get(i).map_or('0', |&c| c as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i32 {
            let j = dp + i - 1;
            out.push(if j >= 0 {
                d.get(j as usize).map_or('0', |&c| c as char)
            } else {
                '0'
            });
        }
    }
    out
}

/// Go's `strconv.FormatFloat(v, verb, prec, 64)` for verbs e, E, f, F, g, G
/// (`prec` None = -1, shortest).
pub(crate) fn format_float(v: f64, verb: char, prec: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let body = match verb {
        'e' | 'E' => {
            let (d, dp) = digits(v, prec.map(|p| p + 1));
            let p = prec.unwrap_or(d.len().max(1) - 1);
            fmt_e(&d, dp, p, verb)
        }
        'f' | 'F' => match prec {
            Some(p) => format!("{:.*}", p, v.abs()),
            None => {
                let (d, dp) = digits(v, None);
                fmt_f(&d, dp, (d.len() as i32 - dp).max(0) as usize)
            }
        },
        _ => {
            let e = if verb == 'G' { 'E' } else { 'e' };
            let shortest = prec.is_none();
            let p = prec.map(|p| p.max(1));
            let (d, dp) = digits(v, p);
            let mut prec = p.unwrap_or(d.len());
            let mut eprec = prec as i32;
            if eprec > d.len() as i32 && d.len() as i32 >= dp {
                eprec = d.len() as i32;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > d.len() {
                    prec = d.len();
                }
                fmt_e(&d, dp, prec.max(1) - 1, e)
            } else {
                if prec as i32 > dp {
                    prec = d.len();
                }
                fmt_f(&d, dp, (prec as i32 - dp).max(0) as usize)
            }
        }
    };
    format!("{sign}{body}")
}

/// `%v` of a float64, as `fmt.Sprint` writes it.
pub(crate) fn float_v(v: f64) -> String {
    format_float(v, 'g', None)
}

/// `%x`, `%X` and `%b` of a float64: `0x1.8p+01` (shortest, or `prec` hex digits,
/// rounded half to even) and `6755399441055744p-51`.
pub(crate) fn float_bits(v: f64, verb: char, prec: Option<usize>) -> String {
    if !v.is_finite() {
        return format_float(v, 'g', None);
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (mant, exp) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, biased - 1075)
    };
    if verb == 'b' {
        return format!(
            "{sign}{mant}p{}{}",
            if exp >= 0 { "+" } else { "-" },
            exp.abs()
        );
    }
    let (mut m, mut e) = if mant == 0 {
        (0u64, 0i64)
    } else {
        // Normalise to 1.xxx × 2^e with 52 fraction bits.
        let shift = mant.leading_zeros() as i64 - 11;
        (mant << shift, exp + 52 - shift)
    };
    let mut digits = 13;
    if let Some(p) = prec
        && p < 13
    {
        // Round the 52 fraction bits to 4p, ties to even; a carry bumps the exponent.
        let drop = 52 - 4 * p as u32;
        let half = 1u64 << (drop - 1);
        let rem = m & ((1u64 << drop) - 1);
        m >>= drop;
        if rem > half || (rem == half && m & 1 == 1) {
            m += 1;
        }
        if m >> (4 * p as u32) >= 2 {
            m >>= 1;
            e += 1;
        }
        m <<= drop;
        digits = p;
    }
    let mut hex = format!("{:013x}", m & ((1 << 52) - 1));
    hex.truncate(digits);
    match prec {
        None => {
            while hex.ends_with('0') {
                hex.pop();
            }
        }
        Some(p) => {
            while hex.len() < p {
                hex.push('0');
            }
        }
    }
    let lead = if m == 0 { '0' } else { '1' };
    let dot = if hex.is_empty() {
        String::new()
    } else {
        format!(".{hex}")
    };
    let s = format!(
        "{sign}0x{lead}{dot}p{}{:02}",
        if e >= 0 { "+" } else { "-" },
        e.abs()
    );
    if verb == 'X' { s.to_uppercase() } else { s }
}

/// The `#` flag on floats: always a decimal point, and for %g and %x the trailing
/// zeros kept (Go counts the `x` of `0x` as a digit, so we do too).
pub(crate) fn sharp_float(num: String, verb: char, prec: Option<usize>) -> String {
    let hex = matches!(verb, 'x' | 'X');
    let mut digits: i64 = match verb {
        // Go lists 'x' here but not 'X'.
        'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let split = if hex {
        num.find(['p', 'P'])
    } else {
        num.find(['e', 'E'])
    };
    let (body, tail) = match split {
        Some(i) => (&num[..i], &num[i..]),
        None => (num.as_str(), ""),
    };
    let mut body = body.to_string();
    let unsigned = body.trim_start_matches(['-', '+']);
    let mut saw_nonzero = false;
    for c in unsigned.chars() {
        if c == '.' {
            continue;
        }
        if c != '0' {
            saw_nonzero = true;
        }
        if saw_nonzero {
            digits -= 1;
        }
    }
    if !unsigned.contains('.') {
        if unsigned == "0" {
            digits -= 1;
        }
        body.push('.');
    }
    while digits > 0 {
        body.push('0');
        digits -= 1;
    }
    body + tail
}
