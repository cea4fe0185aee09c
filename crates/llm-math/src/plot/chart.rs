//! The [`Chart`] builder: one panel, of one kind (x–y layers, bars or a
//! heatmap), checked and prepared for drawing.

use ndarray::{AsArray, Ix1, Ix2};

use super::frame::Area;
use super::layers::{Arrows, Bars, Contour, Heatmap, Histogram, Layer, Points, XyLayer, between};
use super::svg::{Figure, render_svg};
use super::{CHART_SIZE, bars, heatmap, xy};
use crate::error::{Error, Result};

/// One panel of a figure: a title, axis labels and layers drawn on shared
/// axes.
///
/// A chart is either an x–y chart (any mix of [`line`](Chart::line),
/// [`function`](Chart::function), [`scatter`](Chart::scatter),
/// [`arrows`](Chart::arrows), [`arrows_from`](Chart::arrows_from),
/// [`contour`](Chart::contour), [`histogram`](Chart::histogram)) or a
/// [`bars`](Chart::bars) chart or a [`heatmap`](Chart::heatmap). The first
/// layer decides; a layer that does not fit is refused at the call that adds
/// it, and drawing the chart reports that call as [`Error::ChartMisuse`].
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let xs: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
/// let ys: Vec<f64> = xs.iter().map(|x| x * x).collect();
/// let chart = Chart::new("f(x) = x²").x_label("x").y_label("f(x)").line("x²", &xs, &ys);
/// assert!(chart.render()?.svg().contains("f(x) = x²"));
///
/// // Bars have axes of their own: a line cannot join them.
/// let mixed = Chart::new("die").bars(&["1", "2"], &[0.5, 0.5]).line("", &[0.0, 1.0], &[0.5, 0.5]);
/// assert!(matches!(mixed.render(), Err(Error::ChartMisuse { layer: "line", .. })));
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub(super) title: String,
    pub(super) x_label: String,
    pub(super) y_label: String,
    pub(super) x_range: Option<(f64, f64)>,
    pub(super) y_range: Option<(f64, f64)>,
    pub(super) equal_aspect: bool,
    pub(super) log_x: bool,
    pub(super) log_y: bool,
    size: (u32, u32),
    kind: Kind,
    /// The first layer added against the chart's kind, reported when the
    /// chart is drawn ([`Error::ChartMisuse`]).
    misuse: Option<Error>,
}

/// What a chart draws. Bars and a heatmap have axes of their own, so each
/// fills its chart alone; every other layer shares x–y axes.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Any number of x–y layers (none yet in a new chart).
    Xy(Vec<XyLayer>),
    Bars(Bars),
    Heatmap(Heatmap),
}

/// The largest width or height of a chart, in pixels (an SVG scales, so a
/// bigger one is never needed).
const MAX_SIDE: u32 = 10_000;

/// The rule a layer breaks when it joins a bar chart, or when bars join a
/// chart that already has a layer.
pub(super) const BARS_ALONE: &str = "a bar chart holds one bars layer and nothing else; draw the rest on another chart";
/// The same for a heatmap.
pub(super) const HEATMAP_ALONE: &str = "a heatmap chart holds one heatmap layer and nothing else; draw the rest on another chart";

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
            kind: Kind::Xy(Vec::new()),
            misuse: None,
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
    /// right (use it for vectors and rotations). Linear axes only: with
    /// [`log_x`](Chart::log_x) or [`log_y`](Chart::log_y) it is an
    /// [`Error::InvalidArgument`] when the chart is drawn.
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

    /// Size in pixels when drawn on its own (default [`CHART_SIZE`]), from
    /// 100×100 to 10 000×10 000; another size is an
    /// [`Error::InvalidArgument`] when the chart is drawn.
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
    pub fn line<'a, 'b>(self, label: impl Into<String>, xs: impl AsArray<'a, f64, Ix1>, ys: impl AsArray<'b, f64, Ix1>) -> Self {
        self.add(Layer::Xy(XyLayer::Line(Points::new(label, xs, ys))))
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
        let xs: Vec<f64> = (0..SAMPLES).map(|i| between(from, to, i as f64, (SAMPLES - 1) as f64)).collect();
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
    pub fn scatter<'a, 'b>(self, label: impl Into<String>, xs: impl AsArray<'a, f64, Ix1>, ys: impl AsArray<'b, f64, Ix1>) -> Self {
        self.add(Layer::Xy(XyLayer::Scatter(Points::new(label, xs, ys))))
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
    pub fn arrows<'a>(self, label: impl Into<String>, vectors: impl AsArray<'a, f64, Ix2>, names: &[&str]) -> Self {
        self.add(Layer::Xy(XyLayer::Arrows(Arrows {
            label: label.into(),
            starts: None,
            vectors: vectors.into().to_owned(),
            names: names.iter().map(|s| s.to_string()).collect(),
        })))
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
    pub fn arrows_from<'a, 'b>(self, label: impl Into<String>, starts: impl AsArray<'a, f64, Ix2>, vectors: impl AsArray<'b, f64, Ix2>) -> Self {
        self.add(Layer::Xy(XyLayer::Arrows(Arrows {
            label: label.into(),
            starts: Some(starts.into().to_owned()),
            vectors: vectors.into().to_owned(),
            names: Vec::new(),
        })))
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
    pub fn contour(self, f: impl Fn(f64, f64) -> f64, (x_min, x_max): (f64, f64), (y_min, y_max): (f64, f64), levels: usize) -> Self {
        self.add(Layer::Xy(XyLayer::Contour(Contour::sample(f, (x_min, x_max), (y_min, y_max), levels))))
    }

    /// A bar per value, with its category label under it and its value on top.
    /// The bars fill their chart alone: any other layer, before or after, is
    /// refused ([`Error::ChartMisuse`]).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let chart = Chart::new("die").bars(&["1", "2", "3", "4", "5", "6"], &[1.0 / 6.0; 6]);
    /// chart.render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn bars<'a>(self, labels: &[&str], values: impl AsArray<'a, f64, Ix1>) -> Self {
        self.add(Layer::Bars(Bars {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            values: values.into().to_vec(),
        }))
    }

    /// A matrix drawn as coloured cells (viridis: dark is low, yellow is high)
    /// with each value written in its cell; row 0 is at the top. Labels: one
    /// per row and one per column. The heatmap fills its chart alone: any
    /// other layer, before or after, is refused ([`Error::ChartMisuse`]).
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let w = ndarray::array![[0.7, 0.3], [0.1, 0.9]];
    /// let chart = Chart::new("weights").heatmap(&w, &["the", "cat"], &["the", "cat"]);
    /// assert!(chart.render()?.svg().contains("0.90"));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn heatmap<'a>(self, values: impl AsArray<'a, f64, Ix2>, row_labels: &[&str], col_labels: &[&str]) -> Self {
        self.add(Layer::Heatmap(Heatmap {
            values: values.into().to_owned(),
            row_labels: row_labels.iter().map(|s| s.to_string()).collect(),
            col_labels: col_labels.iter().map(|s| s.to_string()).collect(),
        }))
    }

    /// A histogram of `values` in `bins` equal-width bins (counts on y):
    /// from 1 to 10 000 bins, more is an [`Error::InvalidArgument`] when the
    /// chart is drawn.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// let x = randn_vec(&mut seeded_rng(0), 500);
    /// Chart::new("N(0, 1)").histogram("samples", &x, 20).render()?;
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn histogram<'a>(self, label: impl Into<String>, values: impl AsArray<'a, f64, Ix1>, bins: usize) -> Self {
        self.add(Layer::Xy(XyLayer::Histogram(Histogram { label: label.into(), values: values.into().to_vec(), bins })))
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
    /// [`Error::ChartMisuse`] if a layer was added to a chart of another
    /// kind (bars or a heatmap mixed with other layers);
    /// [`Error::InvalidArgument`] naming the layer whose data is inconsistent
    /// (lengths that differ, non-finite values, wrong label counts, an empty
    /// chart); [`Error::Plot`] if drawing fails.
    pub fn render(&self) -> Result<Figure> {
        let plot = self.prepare()?;
        render_svg(self.size, |root| plot.draw(root))
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

    /// Adds a layer, or, if the layer does not fit the chart's kind, keeps
    /// the chart as it was and remembers the first such call for
    /// [`Chart::render`] to report.
    fn add(mut self, layer: Layer) -> Self {
        if self.misuse.is_some() {
            return self;
        }
        self.kind = match (std::mem::replace(&mut self.kind, Kind::Xy(Vec::new())), layer) {
            (Kind::Xy(mut layers), Layer::Xy(layer)) => {
                layers.push(layer);
                Kind::Xy(layers)
            }
            (Kind::Xy(layers), Layer::Bars(bars)) if layers.is_empty() => Kind::Bars(bars),
            (Kind::Xy(layers), Layer::Heatmap(heatmap)) if layers.is_empty() => Kind::Heatmap(heatmap),
            (kind, layer) => {
                // A bar or heatmap chart's own rule; on an x–y chart, the rule of the bars or heatmap that came late.
                let rule = match (&kind, &layer) {
                    (Kind::Bars(_), _) | (Kind::Xy(_), Layer::Bars(_)) => BARS_ALONE,
                    _ => HEATMAP_ALONE,
                };
                self.misuse = Some(Error::ChartMisuse { chart: self.title.clone(), layer: layer.name(), rule });
                kind
            }
        };
        self
    }

    /// Checks the chart and computes, once, everything drawing it needs.
    pub(super) fn prepare(&self) -> Result<Plot<'_>> {
        if let Some(misuse) = &self.misuse {
            return Err(misuse.clone());
        }
        if self.size.0 < 100 || self.size.1 < 100 {
            return Err(Error::invalid("size", format!("{:?}", self.size), "a chart needs at least 100×100 pixels"));
        }
        // plotters places everything in i32 pixels: beyond i32::MAX the figure would be garbage.
        if self.size.0 > MAX_SIDE || self.size.1 > MAX_SIDE {
            return Err(Error::invalid("size", format!("{:?}", self.size), format!("a chart is at most {MAX_SIDE}×{MAX_SIDE} pixels")));
        }
        let body = match &self.kind {
            Kind::Xy(layers) if layers.is_empty() => {
                return Err(Error::invalid("chart", &self.title, "has nothing to draw: add a layer such as .line(...)"));
            }
            Kind::Xy(layers) => Body::Xy(xy::Prepared::new(self, layers)?),
            Kind::Bars(bars) => {
                bars.check().map_err(|why| Error::invalid("bars", &self.title, why))?;
                Body::Bars(bars)
            }
            Kind::Heatmap(heatmap) => {
                heatmap.check().map_err(|why| Error::invalid("heatmap", &self.title, why))?;
                Body::Heatmap(heatmap)
            }
        };
        Ok(Plot { chart: self, body })
    }
}

/// A checked chart with its derived data, ready to draw once or onto a grid
/// panel.
pub(super) struct Plot<'c> {
    chart: &'c Chart,
    body: Body<'c>,
}

enum Body<'c> {
    Xy(xy::Prepared<'c>),
    Bars(&'c Bars),
    Heatmap(&'c Heatmap),
}

impl Plot<'_> {
    /// Draws onto an area (the whole figure or one grid panel).
    pub(super) fn draw(&self, area: &Area) -> Result<()> {
        match &self.body {
            Body::Xy(layers) => xy::draw(area, self.chart, layers),
            Body::Bars(bars) => bars::draw(area, self.chart, bars),
            Body::Heatmap(heatmap) => heatmap::draw(area, self.chart, heatmap),
        }
    }
}
