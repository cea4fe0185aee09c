//! Tables: a polars `DataFrame` shown as an HTML table in the notebook, with a
//! plain-text copy for terminals and text exports.
//!
//! Behind the `tables` cargo feature, because polars is by far the heaviest
//! dependency: a notebook that shows tables loads the crate with
//! `:dep llm-math = { path = "../crates/llm-math", features = ["tables"] }`;
//! the others do not compile polars at all. First used by
//! `notebooks/03-probability-information.ipynb`.

use std::fmt;

use polars::prelude::{AnyValue, DataFrame};

/// A `DataFrame` that displays as an HTML table.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::polars::prelude::*;
/// let df = df!("token" => ["the", "cat"], "p" => [0.75, 0.25]).unwrap();
/// let html = Table::new(df).to_html();
/// assert!(html.contains("<th>token</th>") && html.contains("<td>0.7500</td>"));
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    df: DataFrame,
}

impl Table {
    /// Wraps a DataFrame for display.
    pub fn new(df: DataFrame) -> Self {
        Table { df }
    }

    /// The wrapped DataFrame.
    pub fn data_frame(&self) -> &DataFrame {
        &self.df
    }

    /// The table as an HTML `<table>`: a header row of column names, one row
    /// per record; floats with 4 decimals, text escaped.
    pub fn to_html(&self) -> String {
        let columns = self.df.columns();
        let mut html = String::from("<table class=\"llm-math\">\n<thead><tr>");
        for column in columns {
            html.push_str(&format!("<th>{}</th>", escape(column.name())));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in 0..self.df.height() {
            html.push_str("<tr>");
            for column in columns {
                let cell = column.get(row).map(|v| format_cell(&v)).unwrap_or_default();
                html.push_str(&format!("<td>{}</td>", escape(&cell)));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n</table>");
        html
    }
}

impl From<DataFrame> for Table {
    fn from(df: DataFrame) -> Self {
        Table::new(df)
    }
}

impl fmt::Display for Table {
    /// Plain text, as polars prints a DataFrame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.df)
    }
}

fn format_cell(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(x) => format!("{x:.4}"),
        AnyValue::Float32(x) => format!("{x:.4}"),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn html_has_one_row_per_record_and_escapes_text() {
        let df = df!("word" => ["<b>", "a&b", "c"], "count" => [1i64, 2, 3]).unwrap();
        let html = Table::new(df).to_html();
        assert_eq!(html.matches("<tr>").count(), 4); // header + 3 rows
        assert!(html.contains("<td>&lt;b&gt;</td>") && html.contains("<td>a&amp;b</td>"));
        assert!(html.contains("<td>3</td>"));
    }

    #[test]
    fn text_fallback_is_the_polars_rendering() {
        let df = df!("x" => [1.5f64]).unwrap();
        let table = Table::new(df.clone());
        assert_eq!(table.to_string(), df.to_string());
        assert!(table.to_string().contains("1.5"));
    }
}
