//! Segment expressions: filters over who a customer is, for example
//! `plan in ("pro", "enterprise") and region = "EU" and last_nps <= 6`.
//! Parsing is strict and every error points at its line and column;
//! evaluation works on any record that can name its fields' values.

use serde::Serialize;
use std::fmt;

/// A value in an expression or a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

/// A parsed segment expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    And {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Or {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Not {
        expr: Box<Expr>,
    },
    Compare {
        field: String,
        op: Op,
        value: Value,
    },
    In {
        field: String,
        values: Vec<Value>,
    },
    /// `field is empty` / `field is not empty`.
    Empty {
        field: String,
        negated: bool,
    },
}

/// Where and why an expression does not parse (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Op(Op),
}

#[derive(Debug, Clone)]
struct Spanned {
    tok: Tok,
    line: usize,
    column: usize,
}

fn lex(src: &str) -> Result<Vec<Spanned>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut out = Vec::new();
    let err = |line, column, message: String| ParseError { line, column, message };
    while i < chars.len() {
        let c = chars[i];
        let (l, cc) = (line, col);
        let advance = |n: usize, i: &mut usize, col: &mut usize| {
            *i += n;
            *col += n;
        };
        match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
            }
            c if c.is_whitespace() => advance(1, &mut i, &mut col),
            '(' => {
                out.push(Spanned { tok: Tok::LParen, line: l, column: cc });
                advance(1, &mut i, &mut col);
            }
            ')' => {
                out.push(Spanned { tok: Tok::RParen, line: l, column: cc });
                advance(1, &mut i, &mut col);
            }
            ',' => {
                out.push(Spanned { tok: Tok::Comma, line: l, column: cc });
                advance(1, &mut i, &mut col);
            }
            '=' => {
                out.push(Spanned { tok: Tok::Op(Op::Eq), line: l, column: cc });
                advance(1, &mut i, &mut col);
            }
            '!' | '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                let op = match (c, two) {
                    ('!', true) => Op::Ne,
                    ('<', true) => Op::Le,
                    ('>', true) => Op::Ge,
                    ('<', false) => Op::Lt,
                    ('>', false) => Op::Gt,
                    _ => return Err(err(l, cc, "expected != (a lone ! is not an operator)".into())),
                };
                out.push(Spanned { tok: Tok::Op(op), line: l, column: cc });
                advance(if two { 2 } else { 1 }, &mut i, &mut col);
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None | Some('\n') => return Err(err(l, cc, "this text has no closing quote".into())),
                        Some('\\') if chars.get(j + 1).is_some_and(|n| *n == quote || *n == '\\') => {
                            s.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(ch) if *ch == quote => break,
                        Some(ch) => {
                            s.push(*ch);
                            j += 1;
                        }
                    }
                }
                out.push(Spanned { tok: Tok::Str(s), line: l, column: cc });
                let n = j + 1 - i;
                advance(n, &mut i, &mut col);
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n = text.parse::<f64>().map_err(|_| err(l, cc, format!("{text:?} is not a number")))?;
                out.push(Spanned { tok: Tok::Num(n), line: l, column: cc });
                advance(j - i, &mut i, &mut col);
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|d| d.is_alphanumeric() || *d == '_' || *d == '.') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                out.push(Spanned { tok: Tok::Ident(word), line: l, column: cc });
                advance(j - i, &mut i, &mut col);
            }
            other => return Err(err(l, cc, format!("unexpected character {other:?}"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
    end: (usize, usize),
}

fn keyword(t: &Tok, k: &str) -> bool {
    matches!(t, Tok::Ident(w) if w.eq_ignore_ascii_case(k))
}

impl Parser {
    fn peek(&self) -> Option<&Spanned> {
        self.toks.get(self.pos)
    }

    fn here(&self) -> (usize, usize) {
        self.peek().map_or(self.end, |s| (s.line, s.column))
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        let (line, column) = self.here();
        Err(ParseError { line, column, message: message.into() })
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        if self.peek().is_some_and(|s| keyword(&s.tok, k)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.eat_keyword("or") {
            let right = self.and()?;
            left = Expr::Or { left: Box::new(left), right: Box::new(right) };
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        while self.eat_keyword("and") {
            let right = self.not()?;
            left = Expr::And { left: Box::new(left), right: Box::new(right) };
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.eat_keyword("not") {
            return Ok(Expr::Not { expr: Box::new(self.not()?) });
        }
        self.atom()
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        let v = match self.peek().map(|s| s.tok.clone()) {
            Some(Tok::Str(s)) => Value::Text(s),
            Some(Tok::Num(n)) => Value::Number(n),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(Tok::Ident(w)) => return self.fail(format!("expected a value; put text in quotes: \"{w}\"")),
            _ => return self.fail("expected a value (\"text\", a number, true or false)"),
        };
        self.pos += 1;
        Ok(v)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        match self.peek().map(|s| s.tok.clone()) {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if !matches!(self.peek().map(|s| &s.tok), Some(Tok::RParen)) {
                    return self.fail("expected ) to close the (");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Ident(field)) if !["and", "or", "not", "in", "is"].contains(&field.to_lowercase().as_str()) => {
                self.pos += 1;
                let field = field.to_lowercase();
                if self.eat_keyword("in") {
                    if !matches!(self.peek().map(|s| &s.tok), Some(Tok::LParen)) {
                        return self.fail("expected ( after in");
                    }
                    self.pos += 1;
                    let mut values = vec![self.value()?];
                    while matches!(self.peek().map(|s| &s.tok), Some(Tok::Comma)) {
                        self.pos += 1;
                        values.push(self.value()?);
                    }
                    if !matches!(self.peek().map(|s| &s.tok), Some(Tok::RParen)) {
                        return self.fail("expected , or ) in the list");
                    }
                    self.pos += 1;
                    return Ok(Expr::In { field, values });
                }
                if self.eat_keyword("is") {
                    let negated = self.eat_keyword("not");
                    if !self.eat_keyword("empty") {
                        return self.fail("expected empty after is");
                    }
                    return Ok(Expr::Empty { field, negated });
                }
                let op = match self.peek().map(|s| s.tok.clone()) {
                    Some(Tok::Op(op)) => op,
                    Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("contains") => Op::Contains,
                    _ => {
                        return self.fail(format!(
                            "expected an operator after {field} (=, !=, <, <=, >, >=, contains, in, is empty)"
                        ));
                    }
                };
                self.pos += 1;
                let value = self.value()?;
                Ok(Expr::Compare { field, op, value })
            }
            Some(_) => self.fail("expected a field name or ("),
            None => self.fail("the expression ends too early"),
        }
    }
}

/// Parses an expression. Errors give the line and column of the problem.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.chars().count() > 10_000 {
        return Err(ParseError {
            line: 1,
            column: 1,
            message: "the expression is longer than 10,000 characters".into(),
        });
    }
    let toks = lex(src)?;
    let lines: Vec<&str> = src.split('\n').collect();
    let end = (lines.len(), lines.last().map_or(0, |l| l.chars().count()) + 1);
    let mut p = Parser { toks, pos: 0, end };
    if p.peek().is_none() {
        return p.fail("the expression is empty");
    }
    let e = p.or()?;
    if p.peek().is_some() {
        return p.fail("expected and, or, or the end of the expression");
    }
    Ok(e)
}

impl Expr {
    /// Every field the expression reads.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| match e {
            Expr::Compare { field, .. } | Expr::In { field, .. } | Expr::Empty { field, .. } => {
                out.push(field.as_str())
            }
            _ => {}
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And { left, right } | Expr::Or { left, right } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::Not { expr } => expr.walk(f),
            _ => {}
        }
    }

    /// Evaluates against a record; `get` returns a field's value, if any.
    /// A comparison with a missing value is false (and its `not` is true).
    pub fn matches(&self, get: &impl Fn(&str) -> Option<Value>) -> bool {
        match self {
            Expr::And { left, right } => left.matches(get) && right.matches(get),
            Expr::Or { left, right } => left.matches(get) || right.matches(get),
            Expr::Not { expr } => !expr.matches(get),
            Expr::Empty { field, negated } => {
                let empty = match get(field) {
                    None => true,
                    Some(Value::Text(s)) => s.trim().is_empty(),
                    Some(_) => false,
                };
                empty != *negated
            }
            Expr::In { field, values } => get(field).is_some_and(|v| values.iter().any(|x| equal(&v, x))),
            Expr::Compare { field, op, value } => get(field).is_some_and(|v| compare(&v, *op, value)),
        }
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Text(x), Value::Number(y)) | (Value::Number(y), Value::Text(x)) => {
            x.trim().parse::<f64>().ok() == Some(*y)
        }
        _ => false,
    }
}

fn compare(a: &Value, op: Op, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Number(y)) => x.trim().parse::<f64>().ok().and_then(|x| x.partial_cmp(y)),
        // Text compares as text: ISO dates ("2026-03-01") order correctly.
        (Value::Text(x), Value::Text(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        Op::Eq => equal(a, b),
        Op::Ne => !equal(a, b),
        Op::Contains => match (a, b) {
            (Value::Text(x), Value::Text(y)) => x.to_lowercase().contains(&y.to_lowercase()),
            _ => false,
        },
        Op::Lt => ord == Some(Ordering::Less),
        Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ord == Some(Ordering::Greater),
        Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn record(pairs: &[(&str, Value)]) -> impl Fn(&str) -> Option<Value> + use<> {
        let m: HashMap<String, Value> = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        move |k: &str| m.get(k).cloned()
    }

    #[test]
    fn the_example_from_the_brief_parses_and_matches() {
        let e = parse(r#"plan in ("pro", "enterprise") and region = "EU" and last_nps <= 6"#).unwrap();
        assert_eq!(e.fields(), vec!["last_nps", "plan", "region"]);
        let unhappy_pro = record(&[
            ("plan", Value::Text("Pro".into())),
            ("region", Value::Text("EU".into())),
            ("last_nps", Value::Number(4.0)),
        ]);
        assert!(e.matches(&unhappy_pro), "text equality ignores case");
        let happy = record(&[
            ("plan", Value::Text("pro".into())),
            ("region", Value::Text("EU".into())),
            ("last_nps", Value::Number(9.0)),
        ]);
        assert!(!e.matches(&happy));
        let no_score = record(&[("plan", Value::Text("pro".into())), ("region", Value::Text("EU".into()))]);
        assert!(!e.matches(&no_score), "a missing value never satisfies a comparison");
    }

    #[test]
    fn precedence_is_not_then_and_then_or_and_parentheses_override() {
        let r = record(&[("a", Value::Number(1.0)), ("b", Value::Number(2.0))]);
        assert!(parse("a = 1 or a = 5 and b = 9").unwrap().matches(&r));
        assert!(!parse("(a = 1 or a = 5) and b = 9").unwrap().matches(&r));
        assert!(parse("not a = 5 and b >= 2").unwrap().matches(&r));
        assert!(parse("NOT (a > 1) AND b != 3").unwrap().matches(&r), "keywords ignore case");
    }

    #[test]
    fn dates_compare_as_iso_text_and_contains_and_empty_work() {
        let r = record(&[
            ("signup_date", Value::Text("2025-06-30".into())),
            ("account_manager", Value::Text("".into())),
            ("name", Value::Text("Harbor Analytics".into())),
            ("churned", Value::Bool(false)),
        ]);
        assert!(parse(r#"signup_date < "2026-01-01" and signup_date >= "2025-01-01""#).unwrap().matches(&r));
        assert!(parse("account_manager is empty and seats is empty").unwrap().matches(&r));
        assert!(parse(r#"name contains "harbor" and churned = false"#).unwrap().matches(&r));
        assert!(parse("name is not empty").unwrap().matches(&r));
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let e = parse("plan = \"pro\" and\nregion = EU").unwrap_err();
        assert_eq!((e.line, e.column), (2, 10));
        assert!(e.message.contains("quotes"), "{e}");
        let e = parse("plan in (\"a\", \"b\"").unwrap_err();
        assert_eq!((e.line, e.column), (1, 18));
        let e = parse("plan = \"pro").unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (1, 8, "this text has no closing quote"));
        let e = parse("plan ~ 3").unwrap_err();
        assert_eq!((e.line, e.column), (1, 6));
        let e = parse("(plan = 1").unwrap_err();
        assert!(e.message.contains(")"));
        assert_eq!(parse("   ").unwrap_err().message, "the expression is empty");
        let e = parse("plan = 1 region = 2").unwrap_err();
        assert_eq!((e.line, e.column), (1, 10));
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        // A cheap fuzz over awkward inputs: every one parses or errors, never panics.
        let bits =
            ["(", ")", "a", "=", "\"x", "'y'", "1.2.3", "-", "in", "is", "not", "and", ",", "\n", "!", "<=", "é"];
        for a in bits {
            for b in bits {
                for c in bits {
                    let _ = parse(&format!("{a} {b}{c}"));
                }
            }
        }
    }
}
