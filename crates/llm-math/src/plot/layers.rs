//! The data of each kind of layer, and the checks it must pass before it is
//! drawn. A failed check is a sentence (the `why` of an
//! [`Error::InvalidArgument`](crate::Error::InvalidArgument) that names the
//! layer and the chart).

use ndarray::{Array2, AsArray, Ix1};

/// Cells per side of the grid on which [`Chart::contour`](super::Chart::contour)
/// samples its function.
pub(super) const CONTOUR_CELLS: usize = 60;

/// Any layer, as a builder method adds it.
pub(super) enum Layer {
    Xy(XyLayer),
    Bars(Bars),
    Heatmap(Heatmap),
}

/// A layer drawn on x–y axes shared with the chart's other x–y layers.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum XyLayer {
    Line(Points),
    Scatter(Points),
    Arrows(Arrows),
    Contour(Contour),
    Histogram(Histogram),
}

/// The points of a line or a scatter layer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Points {
    pub label: String,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
}

/// 2-D vectors, from the origin or from `starts`, with optional names at the tips.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Arrows {
    pub label: String,
    pub starts: Option<Array2<f64>>,
    pub vectors: Array2<f64>,
    pub names: Vec<String>,
}

/// A function sampled on a grid over `xs × ys`, shown in `levels` bands.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Contour {
    pub xs: (f64, f64),
    pub ys: (f64, f64),
    pub values: Array2<f64>,
    pub levels: usize,
}

/// The most bins a [`Chart::histogram`](super::Chart::histogram) takes: far
/// more than a chart has pixels across, and few enough to count quickly (a
/// count of `usize::MAX` bins could not even be allocated).
pub(super) const MAX_BINS: usize = 10_000;

/// Values counted in `bins` equal-width bins.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Histogram {
    pub label: String,
    pub values: Vec<f64>,
    pub bins: usize,
}

/// One bar per value, each with a category label.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bars {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
}

/// A matrix of coloured cells with a label per row and per column.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Heatmap {
    pub values: Array2<f64>,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
}

impl Layer {
    /// The layer's name in messages: its builder method (`function` adds a line).
    pub(super) fn name(&self) -> &'static str {
        match self {
            Layer::Xy(layer) => layer.name(),
            Layer::Bars(_) => "bars",
            Layer::Heatmap(_) => "heatmap",
        }
    }
}

impl XyLayer {
    pub(super) fn name(&self) -> &'static str {
        match self {
            XyLayer::Line(_) => "line",
            XyLayer::Scatter(_) => "scatter",
            XyLayer::Arrows(_) => "arrows",
            XyLayer::Contour(_) => "contour",
            XyLayer::Histogram(_) => "histogram",
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        match self {
            XyLayer::Line(points) | XyLayer::Scatter(points) => points.check(),
            XyLayer::Arrows(arrows) => arrows.check(),
            XyLayer::Contour(contour) => contour.check(),
            XyLayer::Histogram(histogram) => histogram.check(),
        }
    }
}

impl Points {
    pub(super) fn new<'a, 'b>(label: impl Into<String>, xs: impl AsArray<'a, f64, Ix1>, ys: impl AsArray<'b, f64, Ix1>) -> Self {
        Points { label: label.into(), xs: xs.into().to_vec(), ys: ys.into().to_vec() }
    }

    fn check(&self) -> Result<(), String> {
        let Points { xs, ys, .. } = self;
        if xs.len() != ys.len() {
            return Err(format!("xs has {} values but ys has {}", xs.len(), ys.len()));
        }
        if xs.is_empty() {
            return Err("there are no points".into());
        }
        finite(xs.iter().chain(ys))
    }
}

impl Arrows {
    fn check(&self) -> Result<(), String> {
        let Arrows { starts, vectors, names, .. } = self;
        if vectors.ncols() != 2 || vectors.nrows() == 0 {
            return Err(format!("vectors must have shape (n, 2) with n ≥ 1, got {:?}", vectors.shape()));
        }
        if let Some(starts) = starts
            && starts.shape() != vectors.shape()
        {
            return Err(format!("starts has shape {:?} but vectors has shape {:?}", starts.shape(), vectors.shape()));
        }
        if !names.is_empty() && names.len() != vectors.nrows() {
            return Err(format!("{} names for {} vectors", names.len(), vectors.nrows()));
        }
        finite(vectors.iter().chain(starts.iter().flatten()))?;
        // Where each arrow ends, start + vector, must be a number too.
        if let Some(starts) = starts
            && let Some(k) = (0..vectors.nrows()).find(|&k| !(0..2).all(|j| (starts[[k, j]] + vectors[[k, j]]).is_finite()))
        {
            return Err(format!("the tip of arrow {k} (start + vector) is beyond the largest f64"));
        }
        Ok(())
    }
}

impl Contour {
    /// `f` at the centres of a [`CONTOUR_CELLS`] × [`CONTOUR_CELLS`] grid over
    /// `xs × ys`; row 0 is the bottom.
    pub(super) fn sample(f: impl Fn(f64, f64) -> f64, xs: (f64, f64), ys: (f64, f64), levels: usize) -> Self {
        let n = CONTOUR_CELLS;
        let values = Array2::from_shape_fn((n, n), |(row, col)| {
            let x = between(xs.0, xs.1, col as f64 + 0.5, n as f64);
            let y = between(ys.0, ys.1, row as f64 + 0.5, n as f64);
            f(x, y)
        });
        Contour { xs, ys, values, levels }
    }

    fn check(&self) -> Result<(), String> {
        let Contour { xs, ys, levels, values } = self;
        if !(xs.0 < xs.1 && ys.0 < ys.1) {
            return Err(format!("need x_min < x_max and y_min < y_max, got {xs:?} and {ys:?}"));
        }
        if *levels < 2 {
            return Err(format!("need at least 2 levels, got {levels}"));
        }
        finite(values)
    }
}

impl Histogram {
    fn check(&self) -> Result<(), String> {
        let Histogram { values, bins, .. } = self;
        if *bins == 0 || values.is_empty() {
            return Err(format!("need at least one bin and one value (bins = {bins}, values = {})", values.len()));
        }
        if *bins > MAX_BINS {
            return Err(format!("{bins} bins are more than the {MAX_BINS} a chart can show (it is a few hundred pixels wide); use fewer"));
        }
        finite(values)
    }
}

impl Bars {
    pub(super) fn check(&self) -> Result<(), String> {
        let Bars { labels, values } = self;
        if labels.len() != values.len() || values.is_empty() {
            return Err(format!("{} labels for {} values (need one each, at least one)", labels.len(), values.len()));
        }
        finite(values)
    }
}

impl Heatmap {
    pub(super) fn check(&self) -> Result<(), String> {
        let Heatmap { values, row_labels, col_labels } = self;
        if values.is_empty() {
            return Err("the matrix is empty".into());
        }
        if row_labels.len() != values.nrows() || col_labels.len() != values.ncols() {
            return Err(format!(
                "matrix is {:?} but there are {} row labels and {} column labels",
                values.shape(),
                row_labels.len(),
                col_labels.len()
            ));
        }
        finite(values)
    }
}

/// The point `k/n` of the way from `from` to `to`, `from + (to − from)·k/n`;
/// for ends so far apart that this overflows (−1e308 to 1e308), the same
/// point computed as `from·(1 − k/n) + to·k/n`, which cannot.
pub(super) fn between(from: f64, to: f64, k: f64, n: f64) -> f64 {
    let step = (to - from) * k;
    if step.is_finite() {
        from + step / n
    } else {
        let t = k / n;
        from * (1.0 - t) + to * t
    }
}

/// The first NaN or infinity, as the reason a layer cannot be drawn.
fn finite<'a>(values: impl IntoIterator<Item = &'a f64>) -> Result<(), String> {
    match values.into_iter().find(|v| !v.is_finite()) {
        Some(v) => Err(format!("contains a non-finite value ({v})")),
        None => Ok(()),
    }
}

/// Equal-width histogram bins: returns `bins + 1` edges and `bins` counts
/// (`bins` = 0 is taken as 1).
///
/// ```text
/// width = (max − min) / bins,  value v goes to bin ⌊(v − min) / width⌋ (the last bin is closed)
/// ```
///
/// NaN and infinite values fall in no bin: they are not counted, and `min`
/// and `max` are those of the finite values (with none, the bins span
/// −0.5 to 0.5).
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
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let min = finite().fold(f64::INFINITY, f64::min);
    let max = finite().fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = if max > min {
        (min, max)
    } else if min.is_finite() {
        (min - 0.5, min + 0.5)
    } else {
        (-0.5, 0.5)
    };
    // Values from −1e308 to 1e308 span more than an f64 holds: then the bins
    // are laid out on the values halved.
    let half = if (max - min).is_finite() { 1.0 } else { 0.5 };
    let width = (half * max - half * min) / bins as f64;
    // The last edge is `max` itself: min + width·bins may round below it.
    let edges = (0..=bins).map(|b| if b == bins { max } else { ((half * min + width * b as f64) / half).min(max) }).collect();
    let mut counts = vec![0; bins];
    for v in finite() {
        counts[(((half * v - half * min) / width) as usize).min(bins - 1)] += 1;
    }
    (edges, counts)
}
