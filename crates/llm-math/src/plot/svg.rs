//! The SVG document: [`Figure`], and drawing one with the SVG backend.

use super::frame::Area;
use super::plot_err;
use crate::error::{Error, Result};
use plotters::prelude::*;

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
    pub(super) svg: String,
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

/// Draws a figure of `size` pixels on a white background.
pub(super) fn render_svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<Figure> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    Ok(Figure { svg })
}
