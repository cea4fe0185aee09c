//! x–y charts: lines, scatter, arrows, contour maps and histograms on shared
//! axes (linear or logarithmic). What a layer needs beyond its data
//! (histogram counts, arrow tips, the axis ranges) is computed once, in
//! [`Prepared::new`]; each layer kind then has one draw function, all of
//! the same shape.

use std::ops::Range;

use plotters::chart::SeriesAnno;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use super::clip::{Span, View};
use super::frame::{Area, Framed, Lines, Mesh, axis_range, format_tick, frame};
use super::layers::{Arrows, Contour, Points, XyLayer, between};
use super::{Chart, PALETTE, fraction, histogram_counts, plot_err};
use crate::error::{Error, Result};

/// An x–y chart's layers, checked, with what drawing them needs.
pub(super) struct Prepared<'c> {
    layers: Vec<Ready<'c>>,
    /// The axis ranges that fit the data (before [`Chart::equal_aspect`]
    /// widens one of them to the panel's shape).
    x: Range<f64>,
    y: Range<f64>,
}

/// One layer with its derived data.
enum Ready<'c> {
    Line(&'c Points),
    Scatter(&'c Points),
    Arrows(ArrowSet<'c>),
    Contour(&'c Contour),
    Histogram(Bins<'c>),
}

/// Arrows with their start and tip points.
struct ArrowSet<'c> {
    arrows: &'c Arrows,
    /// `(start, tip)` per row of the vectors.
    segments: Vec<((f64, f64), (f64, f64))>,
}

/// A histogram's bins: `counts.len() + 1` edges.
struct Bins<'c> {
    label: &'c str,
    edges: Vec<f64>,
    counts: Vec<usize>,
}

impl<'c> Prepared<'c> {
    /// Checks every layer (then the log axes) and derives what drawing needs.
    pub(super) fn new(chart: &Chart, layers: &'c [XyLayer]) -> Result<Self> {
        if chart.equal_aspect && (chart.log_x || chart.log_y) {
            return Err(Error::invalid(
                "equal_aspect",
                &chart.title,
                "cannot be combined with log_x or log_y: on a logarithmic axis a length is a ratio, not a number of units; \
                 drop one of the two",
            ));
        }
        for layer in layers {
            layer.check().map_err(|why| Error::invalid(layer.name(), &chart.title, why))?;
        }
        let layers: Vec<Ready> = layers.iter().map(Ready::new).collect();
        let (xs, ys) = data_points(&layers);
        for (on, axis, values) in [(chart.log_x, "log_x", &xs), (chart.log_y, "log_y", &ys)] {
            if let Some(v) = values.iter().find(|&&v| v <= 0.0).filter(|_| on) {
                return Err(Error::invalid(axis, &chart.title, format!("a logarithmic axis needs values > 0, found {v}")));
            }
        }
        // A 5 % margin around the data (a factor of 1.2 on a logarithmic axis; none around a contour map).
        let has_contour = layers.iter().any(|l| matches!(l, Ready::Contour(_)));
        let fit = |axis: &'static str, v: &[f64], fixed: Option<(f64, f64)>, log: bool| match fixed {
            Some((a, b)) => axis_range(chart, axis, a, b, log),
            None => {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = if has_contour {
                    (lo, hi)
                } else if log {
                    (lo / 1.2, hi * 1.2)
                } else {
                    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5_f64.max(lo.abs() * 0.1) };
                    (lo - pad, hi + pad)
                };
                axis_range(chart, axis, lo, hi, log)
            }
        };
        let x = fit("x axis", &xs, chart.x_range, chart.log_x)?;
        let y = fit("y axis", &ys, chart.y_range, chart.log_y)?;
        Ok(Prepared { layers, x, y })
    }
}

impl<'c> Ready<'c> {
    fn new(layer: &'c XyLayer) -> Self {
        match layer {
            XyLayer::Line(points) => Ready::Line(points),
            XyLayer::Scatter(points) => Ready::Scatter(points),
            XyLayer::Arrows(arrows) => {
                let segments = (0..arrows.vectors.nrows())
                    .map(|k| {
                        let start = arrows.starts.as_ref().map_or((0.0, 0.0), |s| (s[[k, 0]], s[[k, 1]]));
                        (start, (start.0 + arrows.vectors[[k, 0]], start.1 + arrows.vectors[[k, 1]]))
                    })
                    .collect();
                Ready::Arrows(ArrowSet { arrows, segments })
            }
            XyLayer::Contour(contour) => Ready::Contour(contour),
            XyLayer::Histogram(histogram) => {
                let (edges, counts) = histogram_counts(&histogram.values, histogram.bins);
                Ready::Histogram(Bins { label: &histogram.label, edges, counts })
            }
        }
    }
}

/// Every x and every y that the layers put on the axes.
fn data_points(layers: &[Ready]) -> (Vec<f64>, Vec<f64>) {
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for layer in layers {
        match layer {
            Ready::Line(points) | Ready::Scatter(points) => {
                xs.extend(&points.xs);
                ys.extend(&points.ys);
            }
            Ready::Arrows(ArrowSet { segments, .. }) => {
                xs.extend(segments.iter().map(|(start, _)| start.0).chain(segments.iter().map(|(_, tip)| tip.0)));
                ys.extend(segments.iter().map(|(start, _)| start.1).chain(segments.iter().map(|(_, tip)| tip.1)));
            }
            Ready::Contour(contour) => {
                xs.extend([contour.xs.0, contour.xs.1]);
                ys.extend([contour.ys.0, contour.ys.1]);
            }
            Ready::Histogram(bins) => {
                xs.extend(&bins.edges);
                ys.extend(bins.counts.iter().map(|&c| c as f64).chain([0.0]));
            }
        }
    }
    (xs, ys)
}

/// Draws an x–y chart on `area`.
pub(super) fn draw(area: &Area, chart: &Chart, prepared: &Prepared) -> Result<()> {
    let (mut xr, mut yr) = (prepared.x.clone(), prepared.y.clone());
    if chart.equal_aspect {
        // Widen the shorter range so one unit has the same length in pixels on both axes.
        let (w, h) = area.dim_in_pixel();
        let (pw, ph) = (w.saturating_sub(70).max(1) as f64, h.saturating_sub(80).max(1) as f64);
        let per_px = ((xr.end - xr.start) / pw).max((yr.end - yr.start) / ph);
        xr = widen_to(xr, per_px * pw);
        yr = widen_to(yr, per_px * ph);
        // Widening a very wide range to the panel's shape can take it beyond f64.
        xr = axis_range(chart, "x axis", xr.start, xr.end, chart.log_x)?;
        yr = axis_range(chart, "y axis", yr.start, yr.end, chart.log_y)?;
    }
    // Only what falls inside the axes is drawn (see `clip`).
    let view = View { x: Span { range: xr.clone(), log: chart.log_x }, y: Span { range: yr.clone(), log: chart.log_y } };
    // On a linear axis a tick within a billionth of the span from 0 is 0:
    // plotters computes ticks by adding steps, which leaves noise like -2.2e-16.
    let zero_within = |range: &Range<f64>, log: bool| if log { 0.0 } else { 1e-9 * (range.end - range.start).abs() };
    let zeros = (zero_within(&xr, chart.log_x), zero_within(&yr, chart.log_y));
    match (chart.log_x, chart.log_y) {
        (false, false) => draw_on(area, chart, prepared, &view, xr, yr, zeros),
        (true, false) => draw_on(area, chart, prepared, &view, xr.log_scale(), yr, zeros),
        (false, true) => draw_on(area, chart, prepared, &view, xr, yr.log_scale(), zeros),
        (true, true) => draw_on(area, chart, prepared, &view, xr.log_scale(), yr.log_scale(), zeros),
    }
}

/// The x–y drawing, for linear or logarithmic axes alike; `view` is the
/// axes' ranges, to which every layer is cut.
fn draw_on<X, Y>(area: &Area, chart: &Chart, prepared: &Prepared, view: &View, x: X, y: Y, (x_zero, y_zero): (f64, f64)) -> Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_format = |v: &f64| format_tick(if v.abs() < x_zero { 0.0 } else { *v });
    let y_format = |v: &f64| format_tick(if v.abs() < y_zero { 0.0 } else { *v });
    let mesh = Mesh {
        y_label_area: 55,
        lines: Lines::Both,
        x_ticks: None,
        y_ticks: None,
        x_format: Some(&x_format),
        y_format: Some(&y_format),
    };
    let mut plot = frame(area, chart, x, y, mesh)?;
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    // Contour maps go underneath everything else.
    for (i, layer) in prepared.layers.iter().enumerate() {
        if let Ready::Contour(contour) = layer {
            draw_contour(&mut plot, view, contour, color(i))?;
        }
    }
    let mut has_legend = false;
    for (i, layer) in prepared.layers.iter().enumerate() {
        let color = color(i);
        has_legend |= match layer {
            Ready::Line(points) => draw_line(&mut plot, view, points, color)?,
            Ready::Scatter(points) => draw_scatter(&mut plot, view, points, color)?,
            Ready::Arrows(arrows) => draw_arrows(&mut plot, view, arrows, color)?,
            Ready::Histogram(bins) => draw_histogram(&mut plot, view, bins, color)?,
            Ready::Contour(_) => false,
        };
    }
    if has_legend {
        plot.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(plot_err)?;
    }
    Ok(())
}

// One function per layer kind: draws the part of the layer inside `view` in
// its colour and returns whether it added a legend entry.

/// A linear or logarithmic axis of numbers.
trait Axis: Ranged<ValueType = f64> {}
impl<T: Ranged<ValueType = f64>> Axis for T {}

fn draw_line<X: Axis, Y: Axis>(plot: &mut Framed<X, Y>, view: &View, points: &Points, color: RGBColor) -> Result<bool> {
    let pieces = view.polyline(points.xs.iter().copied().zip(points.ys.iter().copied()));
    let style = color.stroke_width(2);
    let series = plot.draw_series(pieces.into_iter().map(|piece| PathElement::new(piece, style))).map_err(plot_err)?;
    Ok(legend(series, &points.label, color))
}

fn draw_scatter<X: Axis, Y: Axis>(plot: &mut Framed<X, Y>, view: &View, points: &Points, color: RGBColor) -> Result<bool> {
    let xy = points.xs.iter().copied().zip(points.ys.iter().copied()).filter(|&p| view.contains(p));
    let series = plot.draw_series(xy.map(|p| Circle::new(p, 3, color.mix(0.8).filled()))).map_err(plot_err)?;
    Ok(legend(series, &points.label, color))
}

fn draw_histogram<X: Axis, Y: Axis>(plot: &mut Framed<X, Y>, view: &View, bins: &Bins, color: RGBColor) -> Result<bool> {
    let Bins { label, edges, counts } = bins;
    let bars = counts
        .iter()
        .enumerate()
        .filter_map(|(b, &c)| view.rectangle((edges[b], 0.0), (edges[b + 1], c as f64)))
        .map(|(a, b)| Rectangle::new([a, b], color.mix(0.6).filled()));
    let series = plot.draw_series(bars).map_err(plot_err)?;
    Ok(legend(series, label, color))
}

fn draw_arrows<X: Axis, Y: Axis>(plot: &mut Framed<X, Y>, view: &View, set: &ArrowSet, color: RGBColor) -> Result<bool> {
    for (k, &(start, tip)) in set.segments.iter().enumerate() {
        // The shaft's visible part; the head and the name only if the tip is in view.
        let Some((start, end)) = view.segment(start, tip) else { continue };
        plot.draw_series(LineSeries::new([start, end], color.stroke_width(2))).map_err(plot_err)?;
        if !view.contains(tip) {
            continue;
        }
        // The head is built in pixels, so it keeps its shape whatever the axis scales.
        let (x0, y0) = plot.backend_coord(&start);
        let (x1, y1) = plot.backend_coord(&tip);
        let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
        let len = dx.hypot(dy).max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let corner = |side: f64| ((-12.0 * ux - 5.0 * side * uy) as i32, (-12.0 * uy + 5.0 * side * ux) as i32);
        let head = EmptyElement::at(tip) + Polygon::new(vec![(0, 0), corner(1.0), corner(-1.0)], color.filled());
        plot.draw_series(std::iter::once(head)).map_err(plot_err)?;
        if let Some(name) = set.arrows.names.get(k) {
            let offset = ((8.0 * ux) as i32 + 4, (8.0 * uy) as i32 - 6);
            let text = EmptyElement::at(tip) + Text::new(name.clone(), offset, ("sans-serif", 14).into_font().color(&color));
            plot.draw_series(std::iter::once(text)).map_err(plot_err)?;
        }
    }
    // An invisible point carries the legend entry for the whole set of arrows.
    let series = plot.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>()).map_err(plot_err)?;
    Ok(legend(series, &set.arrows.label, color))
}

/// Bands coloured by height (viridis: dark is low, yellow is high, whatever
/// `_color`), drawn before and under the other layers; no legend entry.
fn draw_contour<X: Axis, Y: Axis>(plot: &mut Framed<X, Y>, view: &View, contour: &Contour, _color: RGBColor) -> Result<bool> {
    let Contour { xs, ys, values, levels } = contour;
    let (rows, cols) = values.dim();
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let band = |v: f64| fraction(v, lo, hi).map_or(0, |f| ((f * *levels as f64) as usize).min(levels - 1));
    let x_edge = |c: usize| between(xs.0, xs.1, c as f64, cols as f64);
    let y_edge = |r: usize| between(ys.0, ys.1, r as f64, rows as f64);
    // One rectangle per run of cells in the same band along a row, not one
    // per cell: a smooth map has long runs, and the SVG shrinks with them.
    let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new(); // (row, first column, last column, band)
    for r in 0..rows {
        for c in 0..cols {
            let k = band(values[[r, c]]);
            match runs.last_mut() {
                Some((row, _, last, run_band)) if *row == r && *run_band == k => *last = c,
                _ => runs.push((r, c, c, k)),
            }
        }
    }
    plot.draw_series(runs.into_iter().filter_map(|(r, first, last, k)| {
        let color = ViridisRGB::get_color(k as f64 / (levels - 1) as f64).mix(0.55);
        let (a, b) = view.rectangle((x_edge(first), y_edge(r)), (x_edge(last + 1), y_edge(r + 1)))?;
        Some(Rectangle::new([a, b], color.filled()))
    }))
    .map_err(plot_err)?;
    Ok(false)
}

/// Adds a legend entry when the layer has a label; returns whether it did.
fn legend(series: &mut SeriesAnno<'_, SVGBackend<'_>>, label: &str, color: RGBColor) -> bool {
    if label.is_empty() {
        return false;
    }
    series
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
    true
}

/// `r` widened (or narrowed) to `width` about its middle.
fn widen_to(r: Range<f64>, width: f64) -> Range<f64> {
    let mid = 0.5 * (r.start + r.end);
    (mid - 0.5 * width)..(mid + 0.5 * width)
}
