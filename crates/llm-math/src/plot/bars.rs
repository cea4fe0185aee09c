//! Bar charts: one bar per category, its value written on it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::clip::Span;
use super::frame::{Area, Categories, Lines, Mesh, axis_range, category_label, decimals, frame};
use super::layers::Bars;
use super::{Chart, PALETTE, plot_err};
use crate::error::Result;

/// Draws a bar chart on `area`.
pub(super) fn draw(area: &Area, chart: &Chart, bars: &Bars) -> Result<()> {
    let Bars { labels, values } = bars;
    let n = values.len();
    let low = values.iter().copied().fold(0.0f64, f64::min);
    let high = values.iter().copied().fold(0.0f64, f64::max);
    let (low, high) = chart.y_range.unwrap_or_else(|| {
        let pad = 0.12 * (high - low).max(f64::EPSILON);
        (if low < 0.0 { low - pad } else { 0.0 }, high + pad)
    });
    let x_format = |v: &f64| category_label(v, labels);
    let mesh = Mesh {
        y_label_area: 55,
        lines: Lines::Horizontal,
        x_ticks: Some(n),
        y_ticks: None,
        x_format: Some(&x_format),
        y_format: None,
    };
    let y = axis_range(chart, "y axis", low, high, false)?;
    // Bars are cut to a fixed y range (a value far outside it would overflow
    // plotters' pixel arithmetic); one wholly outside it is not drawn.
    let span = Span { range: y.clone(), log: false };
    let mut plot = frame(area, chart, Categories(n), y, mesh)?;
    let color = PALETTE[0];
    // A gap of 6 pixels each side of a bar, less where the slots are narrow
    // (many bars), so that no bar's width is ever negative.
    let slot = plot.plotting_area().dim_in_pixel().0 as usize / n;
    let gap = 6.min(slot / 4) as u32;
    plot.draw_series(values.iter().enumerate().filter(|&(_, &v)| v.max(0.0) >= span.range.start && v.min(0.0) <= span.range.end).map(|(i, &v)| {
        let (base, top) = (span.clamp(0.0), span.clamp(v));
        let mut bar = Rectangle::new([(i as f64, base), (i as f64 + 1.0, top)], color.filled());
        bar.set_margin(0, 0, gap, gap);
        bar
    }))
    .map_err(plot_err)?;
    // A bar under a thousandth of the tallest is invisible; "≈0" says so
    // without a row of overlapping numbers like 3.94e-95.
    let tallest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let text = |v: f64| if v != 0.0 && v.abs() < 1e-3 * tallest { "≈0".to_string() } else { format_value(v) };
    plot.draw_series(values.iter().enumerate().map(|(i, &v)| {
        // Above a positive bar, below a negative one; a bar that runs off the
        // axis has its value written inside the plot, at the edge it crosses.
        let anchor = if v > span.range.end || (v < 0.0 && v >= span.range.start) { VPos::Top } else { VPos::Bottom };
        let style = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, anchor));
        Text::new(text(v), (i as f64 + 0.5, span.clamp(v)), style)
    }))
    .map_err(plot_err)?;
    Ok(())
}

/// Short, readable numbers for bar tops: 0.167, 12.5, 3.2e-5.
fn format_value(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.2e}")
    } else {
        decimals(v, 3)
    }
}
