//! Rich output in the evcxr Jupyter kernel.
//!
//! When the last expression of a cell is a value with an `evcxr_display`
//! method, the kernel calls it instead of printing `{:?}`. The method prints
//! one block per MIME type:
//!
//! ```text
//! EVCXR_BEGIN_CONTENT image/svg+xml
//! <svg ...>...</svg>
//! EVCXR_END_CONTENT
//! ```
//!
//! and Jupyter shows the richest type it understands (nbconvert keeps SVG
//! inline in exported HTML). Outside a kernel, these methods just print those
//! lines. Used by every notebook.
//!
//! Every other value that implements `Debug` gets an `evcxr_display` too,
//! from [`DebugOutput`] (in the prelude), which prints exactly what the
//! kernel's own `{:?}` fallback prints. That is for speed: without it the
//! kernel compiles a cell ending in a number or an array twice, once to find
//! there is no `evcxr_display` and once with the fallback (≈ 0.1 s per cell;
//! see the README's performance section).

use crate::error::Error;
use crate::plot::{Chart, Figure, Grid};

/// Prints one evcxr content block.
///
/// # Examples
/// ```
/// llm_math::display::emit("text/plain", "hello");
/// ```
pub fn emit(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// `evcxr_display` for every `Debug` value: the kernel's plain-text output,
/// byte for byte what its `{:?}` fallback prints, without the second compile
/// the fallback costs. Types with their own `evcxr_display` ([`Chart`],
/// [`Figure`], tables) keep theirs: inherent methods win over trait methods.
///
/// One difference remains: after `:fmt {:#?}` the kernel's fallback would
/// pretty-print, this keeps `{:?}`; write `println!("{x:#?}")` for that.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// // In the kernel, a cell ending in `array![1.0, 2.0]` calls this and prints
/// // EVCXR_BEGIN_CONTENT text/plain / [1.0, 2.0], shape=[2], ... / EVCXR_END_CONTENT
/// array![1.0, 2.0].evcxr_display();
/// ```
pub trait DebugOutput {
    /// Prints the value's `{:?}` as the kernel's text/plain output.
    fn evcxr_display(&self);
}

impl<T: std::fmt::Debug + ?Sized> DebugOutput for T {
    fn evcxr_display(&self) {
        emit("text/plain", &format!("{self:?}"));
    }
}

/// Shows a figure, or says on stderr why it could not be drawn (the kernel
/// shows stderr in red, and the notebook tests treat it as a failure).
fn show(figure: Result<Figure, Error>) {
    match figure {
        Ok(figure) => figure.evcxr_display(),
        Err(e) => eprintln!("Error: {e}"),
    }
}

impl Figure {
    /// Shows the figure inline (called by the kernel).
    pub fn evcxr_display(&self) {
        emit("image/svg+xml", self.svg());
    }
}

impl Chart {
    /// Draws and shows the chart inline (called by the kernel).
    pub fn evcxr_display(&self) {
        show(self.render());
    }
}

impl Grid {
    /// Draws and shows every panel as one figure (called by the kernel).
    pub fn evcxr_display(&self) {
        show(self.render());
    }
}

#[cfg(feature = "tables")]
impl crate::table::Table {
    /// Shows the table as HTML, with a plain-text copy (called by the kernel).
    pub fn evcxr_display(&self) {
        emit("text/html", &self.to_html());
        emit("text/plain", &self.to_string());
    }
}
