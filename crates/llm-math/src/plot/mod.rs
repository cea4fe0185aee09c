//! Figures: line, scatter, arrows, bars, heatmaps and histograms, drawn with
//! `plotters` as SVG, shown inline in the notebook, savable to `.svg` files.
//!
//! First used in `notebooks/01-linear-algebra.ipynb`; every notebook draws
//! with it.
//!
//! A [`Chart`] is one panel, built up layer by layer and drawn when it is
//! displayed (as the last value of a cell), rendered ([`Chart::render`]) or
//! saved ([`Chart::save`]). The kernel keeps one output per MIME type per
//! cell, so several panels that belong together go into one figure with
//! [`grid`](fn@grid). Mistakes in the data (lengths that differ, a heatmap whose labels
//! do not match) are reported when the chart is drawn, as an [`Error`] that
//! names the layer; a layer added to a chart of another kind (a line on a
//! bar chart) is refused at that call and reported the same way, as
//! [`Error::ChartMisuse`].
//!
//! The files follow the steps: `chart` builds and checks a chart (its kind
//! decides which layers it takes), `layers` holds each layer's data and
//! checks, `xy`, `bars` and `heatmap` draw each kind inside the frame that
//! `frame` sets up (`clip` cuts what they draw to the axes' ranges), `grid`
//! puts charts side by side, and `svg` makes the document.

mod bars;
mod chart;
mod clip;
mod frame;
mod grid;
mod heatmap;
mod layers;
mod svg;
#[cfg(test)]
mod tests;
mod xy;

use plotters::style::RGBColor;

pub use chart::Chart;
pub use grid::{Grid, grid};
pub use layers::histogram_counts;
pub use svg::Figure;

#[cfg(doc)]
use crate::error::Error;

/// Size in pixels of a chart drawn on its own.
pub const CHART_SIZE: (u32, u32) = (640, 420);
/// Size in pixels of one panel in a [`grid`](fn@grid).
pub const PANEL_SIZE: (u32, u32) = (420, 320);

/// Ten distinguishable colours (the "tab10" palette), used in layer order.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A plotters error as this crate's [`Error::Plot`].
fn plot_err(e: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::Plot(e.to_string())
}

/// Where `v` sits from `lo` (0) to `hi` (1), for a colour scale; `None` if
/// `hi` is not above `lo`. Values from −1e308 to 1e308 span more than an f64
/// holds: then it is computed on halves.
fn fraction(v: f64, lo: f64, hi: f64) -> Option<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let span = hi - lo;
    let f = if span.is_finite() { (v - lo) / span } else { (0.5 * v - 0.5 * lo) / (0.5 * hi - 0.5 * lo) };
    Some(f.clamp(0.0, 1.0))
}
