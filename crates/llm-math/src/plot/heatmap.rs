//! Heatmaps: a matrix as coloured cells, each with its value written in it.

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{Area, Categories, Lines, Mesh, category_label, frame};
use super::layers::Heatmap;
use super::{Chart, fraction, plot_err};
use crate::error::Result;

/// Draws a heatmap on `area`; row 0 at the top, as a matrix is written.
pub(super) fn draw(area: &Area, chart: &Chart, heatmap: &Heatmap) -> Result<()> {
    let Heatmap { values, row_labels, col_labels } = heatmap;
    let (rows, cols) = values.dim();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // The y axis counts up from the bottom, so its labels are the rows reversed.
    let flipped: Vec<String> = row_labels.iter().rev().cloned().collect();
    let x_format = |v: &f64| category_label(v, col_labels);
    let y_format = |v: &f64| category_label(v, &flipped);
    let mesh = Mesh {
        y_label_area: 70,
        lines: Lines::None,
        x_ticks: Some(cols),
        y_ticks: Some(rows),
        x_format: Some(&x_format),
        y_format: Some(&y_format),
    };
    let mut plot = frame(area, chart, Categories(cols), Categories(rows), mesh)?;
    // From 0 at the smallest value to 1 at the largest (all the same: 0.5).
    let shade = |v: f64| fraction(v, min, max).unwrap_or(0.5);
    plot.draw_series(values.indexed_iter().map(|((i, j), &v)| {
        let (x, y) = (j as f64, (rows - 1 - i) as f64);
        let color = ViridisRGB::get_color(shade(v));
        Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled())
    }))
    .map_err(plot_err)?;
    plot.draw_series(values.indexed_iter().map(|((i, j), &v)| {
        // Light text on the dark half of viridis, dark text on the light half.
        let ink = if shade(v) < 0.6 { WHITE } else { BLACK };
        let style = ("sans-serif", 14).into_font().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
        Text::new(format!("{v:.2}"), (j as f64 + 0.5, (rows - 1 - i) as f64 + 0.5), style)
    }))
    .map_err(plot_err)?;
    Ok(())
}
