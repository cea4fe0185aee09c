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
//! [`grid`]. Mistakes in the data (lengths that differ, a heatmap whose labels
//! do not match) are reported when the chart is drawn, as an [`Error`] that
//! names the layer.

use std::ops::Range;

use ndarray::{Array2, AsArray, Ix1, Ix2};
use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, SegmentValue, ValueFormatter};
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// Size in pixels of a chart drawn on its own.
pub const CHART_SIZE: (u32, u32) = (640, 420);
/// Size in pixels of one panel in a [`grid`].
pub const PANEL_SIZE: (u32, u32) = (420, 320);
/// Cells per side of the grid on which [`Chart::contour`] samples its function.
const CONTOUR_CELLS: usize = 60;

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

/// A rendered figure: an SVG document. Shown inline when it is the value of a
/// notebook cell.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let fig: Figure = Chart::new("f").line("", &[0.0, 1.0], &[0.0, 1.0]).render()?;
/// assert!(fig.svg().trim_end().ends_with("</svg>"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    svg: String,
}

impl Figure {
    /// The SVG source.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let fig = Chart::new("empty").line("y = x", &[0.0, 1.0], &[0.0, 1.0]).render()?;
    /// assert!(fig.svg().starts_with("<svg"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// Writes the SVG to `path` (conventionally ending in `.svg`).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let path = std::env::temp_dir().join("llm-math-doc-figure.svg");
    /// Chart::new("saved").scatter("points", &[1.0, 2.0], &[3.0, 4.0]).render()?.save(&path)?;
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("saved"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg)
            .map_err(|e| Error::Io { path: path.display().to_string(), message: e.to_string() })
    }
}

/// One thing drawn in a chart.
#[derive(Debug, Clone, PartialEq)]
enum Layer {
    Line { label: String, xs: Vec<f64>, ys: Vec<f64> },
    Scatter { label: String, xs: Vec<f64>, ys: Vec<f64> },
    Arrows { label: String, starts: Option<Array2<f64>>, vectors: Array2<f64>, names: Vec<String> },
    Contour { xs: (f64, f64), ys: (f64, f64), values: Array2<f64>, levels: usize },
    Bars { labels: Vec<String>, values: Vec<f64> },
    Heatmap { values: Array2<f64>, row_labels: Vec<String>, col_labels: Vec<String> },
    Histogram { label: String, values: Vec<f64>, bins: usize },
}

impl Layer {
    fn name(&self) -> &'static str {
        match self {
            Layer::Line { .. } => "line",
            Layer::Scatter { .. } => "scatter",
            Layer::Arrows { .. } => "arrows",
            Layer::Contour { .. } => "contour",
            Layer::Bars { .. } => "bars",
            Layer::Heatmap { .. } => "heatmap",
            Layer::Histogram { .. } => "histogram",
        }
    }
}

/// One panel of a figure: a title, axis labels and layers drawn on shared
/// axes.
///
/// A chart is either an x–y chart (any mix of [`line`](Chart::line),
/// [`function`](Chart::function), [`scatter`](Chart::scatter),
/// [`arrows`](Chart::arrows), [`histogram`](Chart::histogram)) or a
/// [`bars`](Chart::bars) chart or a [`heatmap`](Chart::heatmap).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let xs: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
/// let ys: Vec<f64> = xs.iter().map(|x| x * x).collect();
/// let chart = Chart::new("f(x) = x²").x_label("x").y_label("f(x)").line("x²", &xs, &ys);
/// assert!(chart.render()?.svg().contains("f(x) = x²"));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    title: String,
    x_label: String,
    y_label: String,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    equal_aspect: bool,
    log_x: bool,
    log_y: bool,
    size: (u32, u32),
    layers: Vec<Layer>,
}

impl Chart {
    /// An empty chart with a title.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let chart = Chart::new("Loss").line("train", &[0.0, 1.0, 2.0], &[1.0, 0.5, 0.3]);
    /// assert!(chart.render()?.svg().contains("Loss"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        Chart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            x_range: None,
            y_range: None,
            equal_aspect: false,
            log_x: false,
            log_y: false,
            size: CHART_SIZE,
            layers: Vec::new(),
        }
    }

    /// Label under the x axis.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let svg = Chart::new("t").x_label("epoch").line("", &[0.0, 1.0], &[1.0, 0.0]).render()?;
    /// assert!(svg.svg().contains("epoch"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Label beside the y axis.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let svg = Chart::new("t").y_label("loss").line("", &[0.0, 1.0], &[1.0, 0.0]).render()?;
    /// assert!(svg.svg().contains("loss"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Fixes the x axis to `min..max` instead of fitting the data.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// Chart::new("zoom").x_range(-1.0, 1.0).function("x³", -2.0, 2.0, |x| x * x * x).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn x_range(mut self, min: f64, max: f64) -> Self {
        self.x_range = Some((min, max));
        self
    }

    /// Fixes the y axis to `min..max` instead of fitting the data.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// Chart::new("probabilities").y_range(0.0, 1.0).line("p", &[0.0, 1.0], &[0.2, 0.9]).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn y_range(mut self, min: f64, max: f64) -> Self {
        self.y_range = Some((min, max));
        self
    }

    /// One unit on x is as long as one unit on y, so angles and lengths look
    /// right (use it for vectors and rotations).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// Chart::new("square axes").equal_aspect().arrows("v", &array![[4.0, 1.0]], &["v"]).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn equal_aspect(mut self) -> Self {
        self.equal_aspect = true;
        self
    }

    /// A logarithmic x axis (every x value must be > 0).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let h = [1e-8, 1e-6, 1e-4, 1e-2];
    /// Chart::new("error vs step").log_x().log_y().line("error", &h, &[1e-7, 1e-9, 1e-8, 1e-4]).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// A logarithmic y axis (every y value must be > 0).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// Chart::new("loss").log_y().line("loss", &[0.0, 1.0, 2.0], &[1.0, 0.1, 0.01]).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Size in pixels when drawn on its own (default [`CHART_SIZE`]).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let fig = Chart::new("small").size(300, 200).line("", &[0.0, 1.0], &[0.0, 1.0]).render()?;
    /// assert!(fig.svg().contains("width=\"300\""));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// A line through the points `(xs[i], ys[i])`, named `label` in the legend
    /// (an empty label leaves it out of the legend).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let xs = [0.0, 1.0, 2.0, 3.0];
    /// Chart::new("two lines").line("x", &xs, &xs).line("x²", &xs, &[0.0, 1.0, 4.0, 9.0]).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn line<'a, 'b>(mut self, label: impl Into<String>, xs: impl AsArray<'a, f64, Ix1>, ys: impl AsArray<'b, f64, Ix1>) -> Self {
        self.layers.push(Layer::Line { label: label.into(), xs: xs.into().to_vec(), ys: ys.into().to_vec() });
        self
    }

    /// The curve `y = f(x)` sampled at 200 points on `[from, to]`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let chart = Chart::new("sine").function("sin x", -3.0, 3.0, f64::sin);
    /// chart.render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn function(self, label: impl Into<String>, from: f64, to: f64, f: impl Fn(f64) -> f64) -> Self {
        const SAMPLES: usize = 200;
        let xs: Vec<f64> = (0..SAMPLES).map(|i| from + (to - from) * i as f64 / (SAMPLES - 1) as f64).collect();
        let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
        self.line(label, &xs, &ys)
    }

    /// Dots at the points `(xs[i], ys[i])`.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let fig = Chart::new("dots").scatter("data", &[1.0, 2.0, 3.0], &[2.0, 4.0, 5.0]).render()?;
    /// assert_eq!(fig.svg().matches("<circle").count(), 3);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn scatter<'a, 'b>(mut self, label: impl Into<String>, xs: impl AsArray<'a, f64, Ix1>, ys: impl AsArray<'b, f64, Ix1>) -> Self {
        self.layers.push(Layer::Scatter { label: label.into(), xs: xs.into().to_vec(), ys: ys.into().to_vec() });
        self
    }

    /// 2-D vectors drawn as arrows from the origin, one per row of
    /// `vectors: (n, 2)`. `names` (empty, or one per row) are written at the
    /// tips.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let words = ndarray::array![[2.0, 3.0], [1.0, 2.0]];
    /// let chart = Chart::new("embeddings").equal_aspect().arrows("words", &words, &["king", "queen"]);
    /// assert!(chart.render()?.svg().contains("queen"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn arrows<'a>(mut self, label: impl Into<String>, vectors: impl AsArray<'a, f64, Ix2>, names: &[&str]) -> Self {
        self.layers.push(Layer::Arrows {
            label: label.into(),
            starts: None,
            vectors: vectors.into().to_owned(),
            names: names.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// Arrows that start anywhere: row `i` of `vectors: (n, 2)` is drawn from
    /// the point in row `i` of `starts: (n, 2)` (a "quiver" plot, e.g.
    /// gradients on a contour map).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let starts = ndarray::array![[0.0, 0.0], [1.0, 1.0]];
    /// let steps = ndarray::array![[0.5, 0.0], [0.0, -0.5]];
    /// let fig = Chart::new("quiver").arrows_from("steps", &starts, &steps).render()?;
    /// assert_eq!(fig.svg().matches("<polygon").count(), 2);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn arrows_from<'a, 'b>(mut self, label: impl Into<String>, starts: impl AsArray<'a, f64, Ix2>, vectors: impl AsArray<'b, f64, Ix2>) -> Self {
        self.layers.push(Layer::Arrows {
            label: label.into(),
            starts: Some(starts.into().to_owned()),
            vectors: vectors.into().to_owned(),
            names: Vec::new(),
        });
        self
    }

    /// A filled contour map of `f(x, y)` over `[x_min, x_max] × [y_min, y_max]`:
    /// the plane is coloured in `levels` bands of equal height (viridis: dark
    /// is low, yellow is high). Other x–y layers (arrows, paths) draw on top.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let bowl = Chart::new("x² + y²").equal_aspect().contour(|x, y| x * x + y * y, (-2.0, 2.0), (-2.0, 2.0), 10);
    /// bowl.render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn contour(mut self, f: impl Fn(f64, f64) -> f64, (x_min, x_max): (f64, f64), (y_min, y_max): (f64, f64), levels: usize) -> Self {
        // Values at the centres of a CONTOUR_CELLS × CONTOUR_CELLS grid; row 0 is the bottom.
        let n = CONTOUR_CELLS;
        let values = Array2::from_shape_fn((n, n), |(row, col)| {
            let x = x_min + (x_max - x_min) * (col as f64 + 0.5) / n as f64;
            let y = y_min + (y_max - y_min) * (row as f64 + 0.5) / n as f64;
            f(x, y)
        });
        self.layers.push(Layer::Contour { xs: (x_min, x_max), ys: (y_min, y_max), values, levels });
        self
    }

    /// A bar per value, with its category label under it and its value on top.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let chart = Chart::new("die").bars(&["1", "2", "3", "4", "5", "6"], &[1.0 / 6.0; 6]);
    /// chart.render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn bars<'a>(mut self, labels: &[&str], values: impl AsArray<'a, f64, Ix1>) -> Self {
        self.layers.push(Layer::Bars {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            values: values.into().to_vec(),
        });
        self
    }

    /// A matrix drawn as coloured cells (viridis: dark is low, yellow is high)
    /// with each value written in its cell; row 0 is at the top. Labels: one
    /// per row and one per column.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let w = ndarray::array![[0.7, 0.3], [0.1, 0.9]];
    /// let chart = Chart::new("weights").heatmap(&w, &["the", "cat"], &["the", "cat"]);
    /// assert!(chart.render()?.svg().contains("0.90"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn heatmap<'a>(mut self, values: impl AsArray<'a, f64, Ix2>, row_labels: &[&str], col_labels: &[&str]) -> Self {
        self.layers.push(Layer::Heatmap {
            values: values.into().to_owned(),
            row_labels: row_labels.iter().map(|s| s.to_string()).collect(),
            col_labels: col_labels.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// A histogram of `values` in `bins` equal-width bins (counts on y).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let x = randn_vec(&mut seeded_rng(0), 500);
    /// Chart::new("N(0, 1)").histogram("samples", &x, 20).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn histogram<'a>(mut self, label: impl Into<String>, values: impl AsArray<'a, f64, Ix1>, bins: usize) -> Self {
        self.layers.push(Layer::Histogram { label: label.into(), values: values.into().to_vec(), bins });
        self
    }

    /// Draws the chart on its own as a [`Figure`].
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let err = Chart::new("oops").line("", &[1.0, 2.0], &[1.0]).render().unwrap_err();
    /// assert!(err.to_string().contains("xs has 2 values but ys has 1"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the layer whose data is inconsistent
    /// (lengths that differ, non-finite values, wrong label counts, an empty
    /// chart, bars or a heatmap mixed with other layers); [`Error::Plot`] if
    /// drawing fails.
    pub fn render(&self) -> Result<Figure> {
        self.validate()?;
        render_svg(self.size, |root| self.draw(root))
    }

    /// Renders the chart and writes it to `path` as SVG.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let path = std::env::temp_dir().join("llm-math-doc-chart.svg");
    /// Chart::new("saved").line("", &[0.0, 1.0], &[1.0, 0.0]).save(&path)?;
    /// assert!(path.exists());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Chart::render`] and [`Figure::save`].
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.render()?.save(path)
    }

    fn validate(&self) -> Result<()> {
        if self.size.0 < 100 || self.size.1 < 100 {
            return Err(Error::invalid("size", format!("{:?}", self.size), "a chart needs at least 100×100 pixels"));
        }
        if self.layers.is_empty() {
            return Err(Error::invalid("chart", &self.title, "has nothing to draw: add a layer such as .line(...)"));
        }
        let special = self.layers.iter().filter(|l| matches!(l, Layer::Bars { .. } | Layer::Heatmap { .. })).count();
        if special > 0 && self.layers.len() > 1 {
            return Err(Error::invalid("chart", &self.title, "a bars or heatmap layer must be the chart's only layer"));
        }
        for layer in &self.layers {
            let bad = |why: String| Err(Error::invalid(layer.name(), &self.title, why));
            match layer {
                Layer::Line { xs, ys, .. } | Layer::Scatter { xs, ys, .. } => {
                    if xs.len() != ys.len() {
                        return bad(format!("xs has {} values but ys has {}", xs.len(), ys.len()));
                    }
                    if xs.is_empty() {
                        return bad("there are no points".into());
                    }
                }
                Layer::Arrows { starts, vectors, names, .. } => {
                    if vectors.ncols() != 2 || vectors.nrows() == 0 {
                        return bad(format!("vectors must have shape (n, 2) with n ≥ 1, got {:?}", vectors.shape()));
                    }
                    if let Some(starts) = starts
                        && starts.shape() != vectors.shape()
                    {
                        return bad(format!("starts has shape {:?} but vectors has shape {:?}", starts.shape(), vectors.shape()));
                    }
                    if !names.is_empty() && names.len() != vectors.nrows() {
                        return bad(format!("{} names for {} vectors", names.len(), vectors.nrows()));
                    }
                }
                Layer::Bars { labels, values } => {
                    if labels.len() != values.len() || values.is_empty() {
                        return bad(format!("{} labels for {} values (need one each, at least one)", labels.len(), values.len()));
                    }
                }
                Layer::Heatmap { values, row_labels, col_labels } => {
                    if values.is_empty() {
                        return bad("the matrix is empty".into());
                    }
                    if row_labels.len() != values.nrows() || col_labels.len() != values.ncols() {
                        return bad(format!(
                            "matrix is {:?} but there are {} row labels and {} column labels",
                            values.shape(),
                            row_labels.len(),
                            col_labels.len()
                        ));
                    }
                }
                Layer::Contour { xs, ys, levels, .. } => {
                    if !(xs.0 < xs.1 && ys.0 < ys.1) {
                        return bad(format!("need x_min < x_max and y_min < y_max, got {xs:?} and {ys:?}"));
                    }
                    if *levels < 2 {
                        return bad(format!("need at least 2 levels, got {levels}"));
                    }
                }
                Layer::Histogram { values, bins, .. } => {
                    if *bins == 0 || values.is_empty() {
                        return bad(format!("need at least one bin and one value (bins = {bins}, values = {})", values.len()));
                    }
                }
            }
            if let Some(v) = layer_values(layer).find(|v| !v.is_finite()) {
                return bad(format!("contains a non-finite value ({v})"));
            }
        }
        let (xs, ys) = self.data_points();
        for (on, axis, values) in [(self.log_x, "log_x", &xs), (self.log_y, "log_y", &ys)] {
            if let Some(v) = values.iter().find(|&&v| v <= 0.0).filter(|_| on) {
                return Err(Error::invalid(axis, &self.title, format!("a logarithmic axis needs values > 0, found {v}")));
            }
        }
        Ok(())
    }

    /// Draws onto an area (the whole figure or one grid panel).
    fn draw(&self, area: &DrawingArea<SVGBackend, Shift>) -> Result<()> {
        match &self.layers[0] {
            Layer::Bars { labels, values } => self.draw_bars(area, labels, values),
            Layer::Heatmap { values, row_labels, col_labels } => self.draw_heatmap(area, values, row_labels, col_labels),
            _ => self.draw_xy(area),
        }
    }

    fn draw_xy(&self, area: &DrawingArea<SVGBackend, Shift>) -> Result<()> {
        let (mut xr, mut yr) = self.data_ranges();
        if self.equal_aspect {
            // Widen the shorter range so one unit has the same length in pixels on both axes.
            let (w, h) = area.dim_in_pixel();
            let (pw, ph) = (w.saturating_sub(70).max(1) as f64, h.saturating_sub(80).max(1) as f64);
            let per_px = ((xr.end - xr.start) / pw).max((yr.end - yr.start) / ph);
            xr = widen_to(xr, per_px * pw);
            yr = widen_to(yr, per_px * ph);
        }
        match (self.log_x, self.log_y) {
            (false, false) => self.draw_xy_on(area, xr, yr),
            (true, false) => self.draw_xy_on(area, xr.log_scale(), yr),
            (false, true) => self.draw_xy_on(area, xr, yr.log_scale()),
            (true, true) => self.draw_xy_on(area, xr.log_scale(), yr.log_scale()),
        }
    }

    /// The x–y drawing, for linear or logarithmic axes alike.
    fn draw_xy_on<X, Y>(&self, area: &DrawingArea<SVGBackend, Shift>, x_spec: X, y_spec: Y) -> Result<()>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x_spec, y_spec)
            .map_err(plot_err)?;
        // On a linear axis a tick within a billionth of the span from 0 is 0:
        // plotters computes ticks by adding steps, which leaves noise like -2.2e-16.
        let zero_within = |range: Range<f64>, log: bool| if log { 0.0 } else { 1e-9 * (range.end - range.start).abs() };
        let (x_zero, y_zero) = (zero_within(chart.x_range(), self.log_x), zero_within(chart.y_range(), self.log_y));
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| format_tick(if v.abs() < x_zero { 0.0 } else { *v }))
            .y_label_formatter(&|v| format_tick(if v.abs() < y_zero { 0.0 } else { *v }))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(plot_err)?;
        // Contour maps go underneath everything else.
        for layer in &self.layers {
            if let Layer::Contour { xs, ys, values, levels } = layer {
                let (rows, cols) = values.dim();
                let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
                let band = |v: f64| if hi > lo { (((v - lo) / (hi - lo) * *levels as f64) as usize).min(levels - 1) } else { 0 };
                let (dx, dy) = ((xs.1 - xs.0) / cols as f64, (ys.1 - ys.0) / rows as f64);
                chart
                    .draw_series(values.indexed_iter().map(|((r, c), &v)| {
                        let color = ViridisRGB::get_color(band(v) as f64 / (levels - 1) as f64).mix(0.55);
                        let (x0, y0) = (xs.0 + c as f64 * dx, ys.0 + r as f64 * dy);
                        Rectangle::new([(x0, y0), (x0 + dx, y0 + dy)], color.filled())
                    }))
                    .map_err(plot_err)?;
            }
        }
        let mut has_legend = false;
        for (i, layer) in self.layers.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let label = match layer {
                Layer::Line { label, xs, ys } => {
                    let points = xs.iter().copied().zip(ys.iter().copied());
                    let series = chart.draw_series(LineSeries::new(points, color.stroke_width(2))).map_err(plot_err)?;
                    legend(series, label, color)
                }
                Layer::Scatter { label, xs, ys } => {
                    let points = xs.iter().copied().zip(ys.iter().copied());
                    let series = chart
                        .draw_series(points.map(|p| Circle::new(p, 3, color.mix(0.8).filled())))
                        .map_err(plot_err)?;
                    legend(series, label, color)
                }
                Layer::Histogram { label, values, bins } => {
                    let (edges, counts) = histogram_counts(values, *bins);
                    let bars = counts.iter().enumerate().map(|(b, &c)| {
                        Rectangle::new([(edges[b], 0.0), (edges[b + 1], c as f64)], color.mix(0.6).filled())
                    });
                    let series = chart.draw_series(bars).map_err(plot_err)?;
                    legend(series, label, color)
                }
                Layer::Arrows { label, starts, vectors, names } => {
                    for (k, row) in vectors.rows().into_iter().enumerate() {
                        let start = starts.as_ref().map_or((0.0, 0.0), |s| (s[[k, 0]], s[[k, 1]]));
                        let tip = (start.0 + row[0], start.1 + row[1]);
                        chart.draw_series(LineSeries::new([start, tip], color.stroke_width(2))).map_err(plot_err)?;
                        // The head is built in pixels, so it keeps its shape whatever the axis scales.
                        let (x0, y0) = chart.backend_coord(&start);
                        let (x1, y1) = chart.backend_coord(&tip);
                        let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
                        let len = dx.hypot(dy).max(1e-9);
                        let (ux, uy) = (dx / len, dy / len);
                        let corner = |side: f64| ((-12.0 * ux - 5.0 * side * uy) as i32, (-12.0 * uy + 5.0 * side * ux) as i32);
                        let head = EmptyElement::at(tip) + Polygon::new(vec![(0, 0), corner(1.0), corner(-1.0)], color.filled());
                        chart.draw_series(std::iter::once(head)).map_err(plot_err)?;
                        if let Some(name) = names.get(k) {
                            let text = EmptyElement::at(tip)
                                + Text::new(name.clone(), ((8.0 * ux) as i32 + 4, (8.0 * uy) as i32 - 6), ("sans-serif", 14).into_font().color(&color));
                            chart.draw_series(std::iter::once(text)).map_err(plot_err)?;
                        }
                    }
                    // An invisible point carries the legend entry for the whole set of arrows.
                    let series = chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>()).map_err(plot_err)?;
                    legend(series, label, color)
                }
                Layer::Contour { .. } => false,
                Layer::Bars { .. } | Layer::Heatmap { .. } => unreachable!("validate() keeps these alone on a chart"),
            };
            has_legend |= label;
        }
        if has_legend {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(plot_err)?;
        }
        Ok(())
    }

    fn draw_bars(&self, area: &DrawingArea<SVGBackend, Shift>, labels: &[String], values: &[f64]) -> Result<()> {
        let n = values.len();
        let low = values.iter().copied().fold(0.0f64, f64::min);
        let high = values.iter().copied().fold(0.0f64, f64::max);
        let (low, high) = self.y_range.unwrap_or_else(|| {
            let pad = 0.12 * (high - low).max(f64::EPSILON);
            (if low < 0.0 { low - pad } else { 0.0 }, high + pad)
        });
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(categories(n), low..high)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| segment_label(v, labels))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(plot_err)?;
        let color = PALETTE[0];
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v)], color.filled());
                bar.set_margin(0, 0, 6, 6);
                bar
            }))
            .map_err(plot_err)?;
        // A bar under a thousandth of the tallest is invisible; "≈0" says so
        // without a row of overlapping numbers like 3.94e-95.
        let tallest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let text = |v: f64| if v != 0.0 && v.abs() < 1e-3 * tallest { "≈0".to_string() } else { format_value(v) };
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                // Above a positive bar, below a negative one.
                let anchor = if v < 0.0 { VPos::Top } else { VPos::Bottom };
                let style = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, anchor));
                Text::new(text(v), (SegmentValue::CenterOf(i), v), style)
            }))
            .map_err(plot_err)?;
        Ok(())
    }

    fn draw_heatmap(
        &self,
        area: &DrawingArea<SVGBackend, Shift>,
        values: &Array2<f64>,
        row_labels: &[String],
        col_labels: &[String],
    ) -> Result<()> {
        let (rows, cols) = values.dim();
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Row 0 is drawn at the top, as a matrix is written.
        let flipped: Vec<String> = row_labels.iter().rev().cloned().collect();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(categories(cols), categories(rows))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(cols)
            .y_labels(rows)
            .x_label_formatter(&|v| segment_label(v, col_labels))
            .y_label_formatter(&|v| segment_label(v, &flipped))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(plot_err)?;
        let shade = |v: f64| if max > min { (v - min) / (max - min) } else { 0.5 };
        chart
            .draw_series(values.indexed_iter().map(|((i, j), &v)| {
                let y = rows - 1 - i;
                let color = ViridisRGB::get_color(shade(v));
                Rectangle::new([(SegmentValue::Exact(j), SegmentValue::Exact(y)), (SegmentValue::Exact(j + 1), SegmentValue::Exact(y + 1))], color.filled())
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(values.indexed_iter().map(|((i, j), &v)| {
                // Light text on the dark half of viridis, dark text on the light half.
                let ink = if shade(v) < 0.6 { WHITE } else { BLACK };
                let style = ("sans-serif", 14).into_font().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                Text::new(format!("{v:.2}"), (SegmentValue::CenterOf(j), SegmentValue::CenterOf(rows - 1 - i)), style)
            }))
            .map_err(plot_err)?;
        Ok(())
    }

    /// Every x and every y that the x–y layers put on the axes.
    fn data_points(&self) -> (Vec<f64>, Vec<f64>) {
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Line { xs: lx, ys: ly, .. } | Layer::Scatter { xs: lx, ys: ly, .. } => {
                    xs.extend(lx);
                    ys.extend(ly);
                }
                Layer::Arrows { starts, vectors, .. } => {
                    let origin = Array2::zeros(vectors.raw_dim());
                    let starts = starts.as_ref().unwrap_or(&origin);
                    let tips = starts + vectors; // (n, 2)
                    xs.extend(starts.column(0).iter().chain(tips.column(0).iter()));
                    ys.extend(starts.column(1).iter().chain(tips.column(1).iter()));
                }
                Layer::Contour { xs: cx, ys: cy, .. } => {
                    xs.extend([cx.0, cx.1]);
                    ys.extend([cy.0, cy.1]);
                }
                Layer::Histogram { values, bins, .. } => {
                    let (edges, counts) = histogram_counts(values, *bins);
                    xs.extend(edges);
                    ys.extend(counts.iter().map(|&c| c as f64).chain([0.0]));
                }
                Layer::Bars { .. } | Layer::Heatmap { .. } => {}
            }
        }
        (xs, ys)
    }

    /// The x and y ranges that fit every x–y layer, with a 5 % margin (a
    /// factor of 1.2 on a logarithmic axis; none around a contour map).
    fn data_ranges(&self) -> (Range<f64>, Range<f64>) {
        let (xs, ys) = self.data_points();
        let has_contour = self.layers.iter().any(|l| matches!(l, Layer::Contour { .. }));
        let fit = |v: &[f64], fixed: Option<(f64, f64)>, log: bool| match fixed {
            Some((a, b)) => a..b,
            None => {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if has_contour {
                    lo..hi
                } else if log {
                    (lo / 1.2)..(hi * 1.2)
                } else {
                    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5_f64.max(lo.abs() * 0.1) };
                    (lo - pad)..(hi + pad)
                }
            }
        };
        (fit(&xs, self.x_range, self.log_x), fit(&ys, self.y_range, self.log_y))
    }
}

/// Several charts drawn as one figure, `cols` panels per row. Made by
/// [`grid`].
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    title: Option<String>,
    cols: usize,
    charts: Vec<Chart>,
}

/// Puts charts side by side in one figure, `cols` per row (the kernel shows
/// one figure per cell, so related panels belong in one grid).
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let panels = [1.0, 2.0, 3.0].map(|k| Chart::new(format!("y = {k}x")).function("", 0.0, 1.0, move |x| k * x));
/// let fig = grid(3, panels).title("three slopes").render()?;
/// assert!(fig.svg().contains("y = 3x") && fig.svg().contains("three slopes"));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn grid(cols: usize, charts: impl IntoIterator<Item = Chart>) -> Grid {
    Grid { title: None, cols, charts: charts.into_iter().collect() }
}

impl Grid {
    /// A title above all panels.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let g = grid(2, [Chart::new("a").line("", &[0.0, 1.0], &[0.0, 1.0])]).title("overall");
    /// assert!(g.render()?.svg().contains("overall"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Draws every panel into one [`Figure`].
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let err = grid(0, [Chart::new("a")]).render().unwrap_err();
    /// assert!(matches!(err, Error::InvalidArgument { name: "cols", .. }));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `cols` is 0 or there are no charts; any
    /// error of a panel's [`Chart::render`].
    pub fn render(&self) -> Result<Figure> {
        if self.cols == 0 {
            return Err(Error::invalid("cols", 0, "a grid needs at least one column"));
        }
        if self.charts.is_empty() {
            return Err(Error::invalid("charts", 0, "a grid needs at least one chart"));
        }
        for chart in &self.charts {
            chart.validate()?;
        }
        let cols = self.cols.min(self.charts.len());
        let rows = self.charts.len().div_ceil(cols);
        let title_height = if self.title.is_some() { 40 } else { 0 };
        let size = (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32 + title_height);
        render_svg(size, |root| {
            let body = match &self.title {
                Some(t) => root.titled(t, ("sans-serif", 24)).map_err(plot_err)?,
                None => root.clone(),
            };
            for (chart, panel) in self.charts.iter().zip(body.split_evenly((rows, cols))) {
                chart.draw(&panel)?;
            }
            Ok(())
        })
    }

    /// Renders the grid and writes it to `path` as SVG.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let path = std::env::temp_dir().join("llm-math-doc-grid.svg");
    /// grid(1, [Chart::new("a").line("", &[0.0, 1.0], &[0.0, 1.0])]).save(&path)?;
    /// assert!(path.exists());
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Grid::render`] and [`Figure::save`].
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.render()?.save(path)
    }
}

/// Equal-width histogram bins: returns `bins + 1` edges and `bins` counts.
///
/// ```text
/// width = (max − min) / bins,  value v goes to bin ⌊(v − min) / width⌋ (the last bin is closed)
/// ```
///
/// # Examples
/// ```
/// use llm_math::plot::histogram_counts;
/// let (edges, counts) = histogram_counts(&[0.0, 0.1, 0.9, 1.0], 2);
/// assert_eq!(edges, vec![0.0, 0.5, 1.0]);
/// assert_eq!(counts, vec![2, 2]);
/// ```
pub fn histogram_counts(values: &[f64], bins: usize) -> (Vec<f64>, Vec<usize>) {
    let bins = bins.max(1);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = if max > min { (min, max) } else { (min - 0.5, min + 0.5) };
    let width = (max - min) / bins as f64;
    let edges = (0..=bins).map(|b| min + width * b as f64).collect();
    let mut counts = vec![0; bins];
    for &v in values {
        counts[(((v - min) / width) as usize).min(bins - 1)] += 1;
    }
    (edges, counts)
}

fn layer_values(layer: &Layer) -> Box<dyn Iterator<Item = f64> + '_> {
    match layer {
        Layer::Line { xs, ys, .. } | Layer::Scatter { xs, ys, .. } => Box::new(xs.iter().chain(ys).copied()),
        Layer::Arrows { starts, vectors, .. } => Box::new(vectors.iter().chain(starts.iter().flatten()).copied()),
        Layer::Bars { values, .. } | Layer::Histogram { values, .. } => Box::new(values.iter().copied()),
        Layer::Heatmap { values, .. } | Layer::Contour { values, .. } => Box::new(values.iter().copied()),
    }
}

/// Adds a legend entry when the layer has a label; returns whether it did.
fn legend<DB: DrawingBackend>(series: &mut SeriesAnno<'_, DB>, label: &str, color: RGBColor) -> bool {
    if label.is_empty() {
        return false;
    }
    series
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
    true
}

/// `n` equal slots, one per category. (A plotters integer range `0..k`
/// includes `k`, so `0..n - 1` gives exactly `n` segments.)
fn categories(n: usize) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize> {
    (0..n - 1).into_segmented()
}

fn segment_label(v: &SegmentValue<usize>, labels: &[String]) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Short, readable numbers for bar tops: 0.167, 12.5, 3.2e-5.
fn format_value(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Axis ticks: plain decimals for everyday magnitudes, `1e-5` style for tiny
/// or huge ones (log axes), never a float's rounding noise like 9.999999e-6.
fn format_tick(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        let s = format!("{v:.2e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn widen_to(r: Range<f64>, width: f64) -> Range<f64> {
    let mid = 0.5 * (r.start + r.end);
    (mid - 0.5 * width)..(mid + 0.5 * width)
}

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

fn render_svg(size: (u32, u32), draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>) -> Result<Figure> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    Ok(Figure { svg })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Whether the SVG writes `text` as one text element.
    fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!("\n{text}\n</text>"))
    }

    /// Counts the elements of a kind in an SVG document.
    fn count(svg: &str, tag: &str) -> usize {
        svg.matches(&format!("<{tag}")).count()
    }

    #[test]
    fn line_chart_has_title_labels_legend_and_a_polyline() {
        let svg = Chart::new("T").x_label("xx").y_label("yy").line("series-a", &[0.0, 1.0, 2.0], &[0.0, 1.0, 4.0]).render().unwrap().svg;
        for text in ["T", "xx", "yy", "series-a"] {
            assert!(has_text(&svg, text), "missing {text}");
        }
        assert!(count(&svg, "polyline") >= 1);
    }

    #[test]
    fn scatter_draws_one_circle_per_point() {
        let svg = Chart::new("s").scatter("", &[1.0, 2.0, 3.0], &[1.0, 4.0, 9.0]).render().unwrap().svg;
        assert_eq!(count(&svg, "circle"), 3);
    }

    #[test]
    fn arrows_draw_a_head_and_a_name_per_vector() {
        let svg = Chart::new("a").equal_aspect().arrows("v", &array![[2.0, 3.0], [1.0, 2.0]], &["king", "queen"]).render().unwrap().svg;
        assert_eq!(count(&svg, "polygon"), 2);
        assert!(has_text(&svg, "king") && has_text(&svg, "queen"));
    }

    #[test]
    fn bars_write_labels_and_values() {
        let svg = Chart::new("b").bars(&["apple", "the"], &[0.25, 0.75]).render().unwrap().svg;
        for text in ["apple", "the", "0.25", "0.75"] {
            assert!(has_text(&svg, text), "missing {text}");
        }
    }

    #[test]
    fn heatmap_has_a_cell_and_a_value_per_entry() {
        let svg = Chart::new("h").heatmap(&array![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], &["r0", "r1"], &["a", "b", "c"]).render().unwrap().svg;
        for v in ["0.10", "0.20", "0.30", "0.40", "0.50", "0.60", "r0", "r1", "a", "b", "c"] {
            assert!(has_text(&svg, v), "missing {v}");
        }
    }

    #[test]
    fn one_bar_and_a_one_cell_heatmap_draw() {
        let svg = Chart::new("b").bars(&["only"], &[2.0]).render().unwrap().svg;
        assert!(has_text(&svg, "only") && has_text(&svg, "2"));
        let svg = Chart::new("h").heatmap(&array![[0.5]], &["r"], &["c"]).render().unwrap().svg;
        assert!(has_text(&svg, "0.50"));
    }

    #[test]
    fn bars_far_below_the_tallest_are_labelled_about_zero() {
        let svg = Chart::new("b").bars(&["a", "b", "c"], &[1.0, 3.9e-95, 0.02]).render().unwrap().svg;
        assert!(svg.contains("≈0") && !svg.contains("e-95"));
        assert!(svg.lines().any(|l| l.trim() == "0.02"), "a small but visible bar keeps its number");
    }

    #[test]
    fn a_tick_at_zero_shows_as_zero_not_rounding_noise() {
        // From -1 to 1 plotters steps through 0 by adding 0.2s and lands on -2.2e-16.
        let svg = Chart::new("t").line("", &[-1.0, 1.0], &[-1.0, 1.0]).render().unwrap().svg;
        assert!(!svg.contains("e-16") && !svg.contains("e-17"), "noise tick in {svg}");
        assert!(svg.lines().any(|l| l.trim() == "0"), "no tick labelled 0");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(format_tick(9.999999999999999e-6), "1e-5");
        assert_eq!(format_tick(2.5e-7), "2.5e-7");
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(-1.0), "-1");
        assert_eq!(format_tick(0.0), "0");
    }

    #[test]
    fn log_axes_reject_values_they_cannot_show() {
        let svg = Chart::new("log").log_x().log_y().line("e", &[1e-6, 1e-3, 1.0], &[1e-6, 1e-3, 1.0]).render().unwrap().svg;
        assert!(count(&svg, "polyline") >= 1);
        // A logarithmic axis cannot show 0.
        let chart = Chart::new("x").log_x().line("", &[0.0, 1.0], &[1.0, 2.0]);
        let e = chart.render().unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "log_x", .. }), "{e}");
    }

    #[test]
    fn contour_bands_and_quiver_arrows_draw_together() {
        let starts = array![[0.5, 0.5], [-0.5, 0.0]];
        let grads = array![[1.0, 1.0], [-1.0, 0.0]];
        let svg = Chart::new("c").contour(|x, y| x * x + y * y, (-1.0, 1.0), (-1.0, 1.0), 8).arrows_from("∇f", &starts, &grads).render().unwrap().svg;
        assert!(count(&svg, "rect") >= CONTOUR_CELLS * CONTOUR_CELLS);
        assert_eq!(count(&svg, "polygon"), 2);
        let bad = Chart::new("c").contour(|x, y| x / y, (-1.0, 1.0), (-1.0, 1.0), 8).render();
        assert!(bad.is_ok(), "centres avoid y = 0 exactly");
        let e = Chart::new("c").contour(|x, _| x.ln(), (-1.0, 1.0), (-1.0, 1.0), 8).render().unwrap_err();
        assert!(e.to_string().contains("non-finite"));
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let (edges, counts) = histogram_counts(&values, 10);
        assert_eq!(edges.len(), 11);
        assert_eq!(counts, vec![10; 10]);
        let svg = Chart::new("h").histogram("n", &values, 10).render().unwrap().svg;
        assert!(count(&svg, "rect") >= 10);
    }

    #[test]
    fn grid_renders_all_panels_in_one_document() {
        let charts = (0..5).map(|i| Chart::new(format!("panel {i}")).line("", &[0.0, 1.0], &[0.0, i as f64]));
        let fig = grid(3, charts).title("all").render().unwrap();
        assert_eq!(count(fig.svg(), "svg"), 1);
        for i in 0..5 {
            assert!(has_text(fig.svg(), &format!("panel {i}")));
        }
        assert!(fig.svg().contains(&format!("width=\"{}\"", 3 * PANEL_SIZE.0)));
    }

    #[test]
    fn same_input_same_svg() {
        let make = || Chart::new("r").scatter("", &[0.1, 0.2], &[0.3, 0.4]).render().unwrap();
        assert_eq!(make(), make());
    }

    #[test]
    fn save_writes_the_svg() {
        let path = std::env::temp_dir().join(format!("llm-math-test-{}.svg", std::process::id()));
        let chart = Chart::new("saved").line("", &[0.0, 1.0], &[1.0, 0.0]);
        chart.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), chart.render().unwrap().svg);
        std::fs::remove_file(&path).unwrap();
    }

    // One test per error variant this module returns.

    #[test]
    fn error_invalid_argument_names_the_layer() {
        let e = Chart::new("bad").line("l", &[1.0, 2.0], &[1.0]).render().unwrap_err();
        assert_eq!(e.to_string(), "invalid argument `line` = bad: xs has 2 values but ys has 1");
        assert!(matches!(Chart::new("empty").render(), Err(Error::InvalidArgument { name: "chart", .. })));
        let e = Chart::new("h").heatmap(&array![[1.0, 2.0]], &["a"], &["x"]).render().unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { name: "heatmap", .. }));
        let e = Chart::new("n").scatter("", &[f64::NAN], &[1.0]).render().unwrap_err();
        assert!(e.to_string().contains("non-finite"));
        assert!(matches!(grid(0, [Chart::new("x")]).render(), Err(Error::InvalidArgument { name: "cols", .. })));
    }

    #[test]
    fn error_plot_keeps_the_plotters_message() {
        let e = plot_err(DrawingAreaErrorKind::<std::io::Error>::LayoutError);
        assert!(matches!(e, Error::Plot(ref m) if m == &DrawingAreaErrorKind::<std::io::Error>::LayoutError.to_string()));
        assert!(e.to_string().starts_with("cannot draw the figure: "));
    }

    #[test]
    fn error_io() {
        let e = Chart::new("x").line("", &[0.0, 1.0], &[0.0, 1.0]).save("/nonexistent-dir/x.svg").unwrap_err();
        assert!(matches!(e, Error::Io { ref path, .. } if path == "/nonexistent-dir/x.svg"));
    }
}
