//! [`grid`]: several charts side by side in one figure.

use super::chart::Plot;
use super::svg::{Figure, render_svg};
use super::{Chart, PANEL_SIZE, plot_err};
use crate::error::{Error, Result};

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
        // Every panel is checked before any is drawn.
        let plots = self.charts.iter().map(Chart::prepare).collect::<Result<Vec<Plot>>>()?;
        let cols = self.cols.min(self.charts.len());
        let rows = self.charts.len().div_ceil(cols);
        let title_height = if self.title.is_some() { 40 } else { 0 };
        let size = (PANEL_SIZE.0 * cols as u32, PANEL_SIZE.1 * rows as u32 + title_height);
        render_svg(size, |root| {
            let body = match &self.title {
                Some(t) => root.titled(t, ("sans-serif", 24)).map_err(plot_err)?,
                None => root.clone(),
            };
            for (plot, panel) in plots.iter().zip(body.split_evenly((rows, cols))) {
                plot.draw(&panel)?;
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

