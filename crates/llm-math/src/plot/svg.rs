//! The SVG document: [`Figure`], and drawing one with the SVG backend.

use super::frame::Area;
use super::plot_err;
use crate::error::{Error, Result};
use plotters::prelude::*;

/// A rendered figure: an SVG document. Shown inline when it is the value of a
/// notebook cell.
///
/// Its root element has a `viewBox` and `style="max-width:100%;height:auto"`
/// besides its size in pixels, so where the SVG is part of the page (inline
/// in HTML, or a saved file opened on its own) a column narrower than the
/// figure shrinks it, keeping its shape, instead of cutting it off. (Shown as
/// an `<img>`, as JupyterLab and nbconvert do, the image's size is the
/// page's to set: the `viewBox` lets it scale, and the page's CSS decides
/// whether it does; the project's `scripts/lab` and HTML export load
/// `tooling/llm_math_tools/templates/figures.css`, which lets it.)
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// let fig: Figure = Chart::new("f").line("", &[0.0, 1.0], &[0.0, 1.0]).render()?;
/// assert!(fig.svg().trim_end().ends_with("</svg>"));
/// assert!(fig.svg().starts_with(r#"<svg width="640" height="420" viewBox="0 0 640 420""#));
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
    fit_width(&mut svg, size)?;
    Ok(Figure { svg })
}

/// What the root element gets besides its size, so that it shrinks to a
/// narrower column and keeps its aspect ratio.
const FIT_WIDTH: &str = r#" style="max-width:100%;height:auto""#;

/// Adds [`FIT_WIDTH`] to the root `<svg>` element, and a `viewBox` of the
/// figure's size if the backend wrote none (plotters 0.3.7 writes one).
pub(super) fn fit_width(svg: &mut String, (width, height): (u32, u32)) -> Result<()> {
    let end = svg.find('>').filter(|_| svg.starts_with("<svg")).ok_or_else(|| plot_err("no <svg> root element"))?;
    let mut attributes = String::new();
    if !svg[..end].contains(" viewBox=") {
        attributes.push_str(&format!(r#" viewBox="0 0 {width} {height}""#));
    }
    attributes.push_str(FIT_WIDTH);
    svg.insert_str(end, &attributes);
    Ok(())
}
