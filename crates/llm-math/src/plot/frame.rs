//! The frame every chart kind is drawn in: title, margins, label areas, axes
//! and grid lines; and how tick labels are written.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{Chart, plot_err};
use crate::display::Readable;
use crate::error::{Error, Result};

/// Where a chart is drawn: a whole figure or one panel of a grid.
pub(super) type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// A chart's plotting area with its coordinates, inside the frame.
pub(super) type Framed<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// Which grid lines the frame draws.
pub(super) enum Lines {
    /// At the ticks of both axes.
    Both,
    /// Across the plot at the y ticks only.
    Horizontal,
    None,
}

/// What a chart kind wants of its frame. `XV` and `YV` are the axes' value
/// types; a tick count or format left at `None` is plotters' default.
pub(super) struct Mesh<'f, XV, YV> {
    /// Width in pixels of the area left of the plot, for y tick labels.
    pub y_label_area: u32,
    pub lines: Lines,
    pub x_ticks: Option<usize>,
    pub y_ticks: Option<usize>,
    pub x_format: Option<&'f dyn Fn(&XV) -> String>,
    pub y_format: Option<&'f dyn Fn(&YV) -> String>,
}

/// Draws the frame of `chart` on `area` (caption, label areas, mesh and axis
/// labels) for the axes `x` and `y`, and returns the plotting area inside it.
pub(super) fn frame<'a, 'b, X, Y>(
    area: &'a Area<'b>,
    chart: &Chart,
    x: X,
    y: Y,
    mesh: Mesh<'_, X::Value, Y::Value>,
) -> Result<Framed<'a, 'b, X::CoordDescType, Y::CoordDescType>>
where
    X: AsRangedCoord,
    Y: AsRangedCoord,
    X::CoordDescType: ValueFormatter<X::Value>,
    Y::CoordDescType: ValueFormatter<Y::Value>,
{
    let mut framed = ChartBuilder::on(area)
        .caption(&chart.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(mesh.y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(plot_err)?;
    let mut style = framed.configure_mesh();
    style.x_desc(&chart.x_label).y_desc(&chart.y_label);
    match mesh.lines {
        Lines::Both => style.light_line_style(LIGHT_LINES),
        Lines::Horizontal => style.disable_x_mesh().light_line_style(LIGHT_LINES),
        Lines::None => style.disable_mesh(),
    };
    if let Some(n) = mesh.x_ticks {
        style.x_labels(n);
    }
    if let Some(n) = mesh.y_ticks {
        style.y_labels(n);
    }
    if let Some(format) = mesh.x_format {
        style.x_label_formatter(format);
    }
    if let Some(format) = mesh.y_format {
        style.y_label_formatter(format);
    }
    style.draw().map_err(plot_err)?;
    Ok(framed)
}

/// The range `lo..hi` of one axis, checked before plotters sees it: both ends
/// finite, `lo < hi`, a width that is itself finite (plotters' tick search
/// never ends on an infinite span), and on a logarithmic axis a lower end of
/// at least the smallest normal f64 (a subnormal one never ends either) and
/// an upper end at most f64::MAX times the lower (plotters counts the decades
/// as `hi / lo`, and counting an infinity of them never ends).
pub(super) fn axis_range(chart: &Chart, axis: &'static str, lo: f64, hi: f64, log: bool) -> Result<std::ops::Range<f64>> {
    let bad = |why: String| Err(Error::invalid(axis, &chart.title, why));
    if !(lo.is_finite() && hi.is_finite()) {
        return bad(format!(
            "the axis would run from {} to {}: every value drawn and every fixed range must be finite numbers",
            lo.readable(),
            hi.readable()
        ));
    }
    if lo >= hi {
        return bad(format!("the axis would run from {} to {}: its start must be below its end", lo.readable(), hi.readable()));
    }
    if !(hi - lo).is_finite() {
        return bad(format!(
            "the axis would run from {} to {}, a span too wide for an f64 (a diverged loss?); \
             clip the values, or use a logarithmic axis for positive ones",
            lo.readable(),
            hi.readable()
        ));
    }
    if log && lo < f64::MIN_POSITIVE {
        return bad(format!(
            "a logarithmic axis cannot start at {}: values below {} (the smallest normal f64) cannot be drawn; \
             start the data higher",
            lo.readable(),
            f64::MIN_POSITIVE.readable()
        ));
    }
    if log && !(hi / lo).is_finite() {
        return bad(format!(
            "a logarithmic axis from {} to {} spans more decades than an f64 holds (the ratio of its ends is beyond {}); \
             narrow the range",
            lo.readable(),
            hi.readable(),
            f64::MAX.readable()
        ));
    }
    Ok(lo..hi)
}

/// The colour of the finer grid lines.
const LIGHT_LINES: RGBColor = RGBColor(235, 235, 235);

/// `n` equal slots, one per category: category `i` runs from `i` to `i + 1`
/// on an axis from 0 to `n`, its tick and label at `i + 0.5`.
///
/// Not plotters' segmented integer axis: for one category that is the range
/// `0..0`, which plotters maps to a single pixel, so a lone bar came out with
/// a negative width and a one-row or one-column heatmap with none.
pub(super) struct Categories(pub usize);

impl Ranged for Categories {
    /// Never used: every chart with categories gives its own label format.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range()).map(value, limit)
    }

    /// The middle of every slot; no finer grid lines.
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { (0..self.0).map(|i| i as f64 + 0.5).collect() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.0 as f64
    }
}

/// The label of the category whose tick is at `v` (the middle of its slot).
pub(super) fn category_label(v: &f64, labels: &[String]) -> String {
    if *v >= 0.0 { labels.get(v.floor() as usize).cloned().unwrap_or_default() } else { String::new() }
}

/// Axis ticks: plain decimals for everyday magnitudes, `1e-5` style for tiny
/// or huge ones (log axes), never a float's rounding noise like 9.999999e-6.
pub(super) fn format_tick(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        let s = format!("{v:.2e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else {
        decimals(v, 4)
    }
}

/// `v` with at most `places` decimals, trailing zeros dropped: 0.25, 12, -1.5.
pub(super) fn decimals(v: f64, places: usize) -> String {
    let s = format!("{v:.places$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
