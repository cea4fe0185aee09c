//! Tests of the whole module, through the public API where it suffices.

use super::frame::format_tick;
use super::layers::CONTOUR_CELLS;
use super::*;
use crate::error::Error;
use ndarray::array;
use plotters::prelude::DrawingAreaErrorKind;

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

/// The value of attribute `name` in the element `element`.
fn attr(element: &str, name: &str) -> f64 {
    let start = element.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name} in {element}")) + name.len() + 3;
    let len = element[start..].find('"').unwrap();
    element[start..start + len].parse().unwrap()
}

/// The filled rectangles an SVG draws, background excluded, in the order
/// drawn: `(x, y, width, height, fill)`.
fn rects(svg: &str) -> Vec<(f64, f64, f64, f64, String)> {
    svg.lines()
        .filter(|l| l.starts_with("<rect") && !l.contains("fill=\"#FFFFFF\""))
        .map(|l| {
            let fill = l.split("fill=\"").nth(1).and_then(|f| f.split('"').next()).unwrap_or_default().to_string();
            (attr(l, "x"), attr(l, "y"), attr(l, "width"), attr(l, "height"), fill)
        })
        .collect()
}

/// The plotting area `(left, top, right, bottom)` inside a chart's axes,
/// read from the two axis lines (the only polylines longer than 50 pixels).
fn plot_area(svg: &str) -> (f64, f64, f64, f64) {
    let (mut y_axis, mut x_axis) = (None, None);
    for line in svg.lines().filter(|l| l.starts_with("<polyline")) {
        let points: Vec<f64> = line.split("points=\"").nth(1).unwrap().split(['"', ' ', ',']).take(4).map(|v| v.parse().unwrap()).collect();
        let [x1, y1, x2, y2] = points[..] else { panic!("{line}") };
        if x1 == x2 && (y2 - y1).abs() > 50.0 {
            y_axis = Some((x1, y1.min(y2)));
        } else if y1 == y2 && (x2 - x1).abs() > 50.0 {
            x_axis = Some((x1.max(x2), y1));
        }
    }
    let ((left, top), (right, bottom)) = (y_axis.expect("no y axis"), x_axis.expect("no x axis"));
    (left, top, right, bottom)
}

/// Asserts that every rectangle has a positive width and height and lies
/// within the plotting area (a pixel of slack for rounding).
fn assert_drawn_inside(what: &str, svg: &str, rects: &[(f64, f64, f64, f64, String)]) {
    let (left, top, right, bottom) = plot_area(svg);
    for (x, y, w, h, _) in rects {
        assert!(*w > 0.0 && *h > 0.0, "{what}: a rectangle {w}×{h} at ({x}, {y})");
        assert!(*x >= left - 1.0 && x + w <= right + 1.0 && *y >= top - 1.0 && y + h <= bottom + 1.0, "{what}: ({x}, {y}) {w}×{h} outside {left}..{right} × {top}..{bottom}");
    }
}

#[test]
fn one_bar_is_drawn_with_a_positive_width_inside_the_plot() {
    // Plotters' segmented axis maps one category to a point: the bar came out 12 pixels wide to the left.
    for value in [2.0, -1.5] {
        let svg = Chart::new("b").bars(&["only"], &[value]).render().unwrap().svg;
        let bars = rects(&svg);
        assert_eq!(bars.len(), 1, "{value}: {svg}");
        assert_drawn_inside("one bar", &svg, &bars);
        let (left, _, right, _) = plot_area(&svg);
        assert!(bars[0].2 > 0.9 * (right - left), "{value}: the one slot is the whole width less the gaps: {bars:?}");
        assert!(has_text(&svg, "only") && has_text(&svg, &value.to_string()));
    }
    // Many bars in narrow slots: no gap so wide that a bar's width goes negative.
    let labels: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let values: Vec<f64> = (0..200).map(|i| 1.0 + i as f64).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let svg = Chart::new("many").bars(&labels, &values).render().unwrap().svg;
    let bars = rects(&svg);
    assert_eq!(bars.len(), 200);
    assert_drawn_inside("200 bars", &svg, &bars);
    assert!(bars.windows(2).all(|w| w[0].0 + w[0].2 <= w[1].0), "bars overlap");
}

#[test]
fn one_row_and_one_column_heatmaps_fill_a_cell_per_value() {
    // One query's attention row, as a row and as a column: plotters' segmented
    // axis gave the cells no height (no width), so the heatmap was blank.
    let row = array![[0.1, 0.7, 0.2]];
    let (dark, bright, middle) = ("#440154", "#FEE825", "#433981");
    let cases = [
        ("1×3", Chart::new("h").heatmap(&row, &["q"], &["a", "b", "c"]), true),
        ("3×1", Chart::new("h").heatmap(&row.t().to_owned(), &["a", "b", "c"], &["q"]), false),
    ];
    for (what, chart, across) in cases {
        let svg = chart.render().unwrap().svg;
        let mut cells = rects(&svg);
        assert_eq!(cells.len(), 3, "{what}: {svg}");
        assert_drawn_inside(what, &svg, &cells);
        // Side by side along the row (down the column, row 0 on top), in order, filling the plot.
        cells.sort_by(|a, b| if across { a.0.total_cmp(&b.0) } else { a.1.total_cmp(&b.1) });
        let fills: Vec<&str> = cells.iter().map(|c| c.4.as_str()).collect();
        assert_eq!(fills, [dark, bright, middle], "{what}");
        let (left, top, right, bottom) = plot_area(&svg);
        let area: f64 = cells.iter().map(|c| c.2 * c.3).sum();
        assert!(area > 0.95 * (right - left) * (bottom - top), "{what}: cells cover {area} of the plot: {cells:?}");
        for text in ["0.10", "0.70", "0.20", "q", "a", "b", "c"] {
            assert!(has_text(&svg, text), "{what}: missing {text}");
        }
    }
    let svg = Chart::new("h").heatmap(&array![[0.5]], &["r"], &["c"]).render().unwrap().svg;
    let cells = rects(&svg);
    assert_eq!(cells.len(), 1);
    assert_drawn_inside("1×1", &svg, &cells);
    assert!(has_text(&svg, "0.50") && has_text(&svg, "r") && has_text(&svg, "c"));
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
    // Runs of cells in one band are one rectangle: at least one per row, far fewer than one per cell.
    let rects = count(&svg, "rect");
    assert!((CONTOUR_CELLS..CONTOUR_CELLS * CONTOUR_CELLS / 4).contains(&rects), "{rects} rectangles");
    assert_eq!(count(&svg, "polygon"), 2);
    // A flat map is one band: exactly one rectangle per row, on top of what a chart draws anyway.
    let point = |c: Chart| c.scatter("", &[0.0], &[0.0]).x_range(-1.0, 1.0).y_range(-1.0, 1.0).render().unwrap().svg;
    let background = count(&point(Chart::new("c")), "rect");
    let flat = count(&point(Chart::new("c").contour(|_, _| 1.0, (-1.0, 1.0), (-1.0, 1.0), 8)), "rect");
    assert_eq!(flat - background, CONTOUR_CELLS);
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
fn figures_have_a_view_box_of_their_size_and_shrink_to_fit() {
    let line = || Chart::new("c").line("", &[0.0, 1.0], &[0.0, 1.0]);
    let panels = [line(), line(), line()];
    let figures = [
        (line().render().unwrap(), CHART_SIZE),
        (line().size(300, 200).render().unwrap(), (300, 200)),
        (grid(3, panels).title("t").render().unwrap(), (3 * PANEL_SIZE.0, PANEL_SIZE.1 + 40)),
    ];
    for (figure, (w, h)) in figures {
        let root = &figure.svg[..figure.svg.find('>').unwrap()];
        assert_eq!(
            root,
            format!(r#"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" style="max-width:100%;height:auto""#)
        );
    }
}

#[test]
fn a_root_without_a_view_box_gets_one() {
    let mut svg = r#"<svg width="10" height="20"><rect/></svg>"#.to_string();
    svg::fit_width(&mut svg, (10, 20)).unwrap();
    assert_eq!(svg, r#"<svg width="10" height="20" viewBox="0 0 10 20" style="max-width:100%;height:auto"><rect/></svg>"#);
    assert!(matches!(svg::fit_width(&mut "<p>".to_string(), (1, 1)), Err(Error::Plot(_))));
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

/// The misuse error of a chart titled `chart` that refused `layer`.
fn misuse(chart: &str, layer: &'static str, rule: &'static str) -> Error {
    Error::ChartMisuse { chart: chart.into(), layer, rule }
}

#[test]
fn error_chart_misuse_bars_stand_alone() {
    let rule = chart::BARS_ALONE;
    let e = Chart::new("die").bars(&["1", "2"], &[0.5, 0.5]).line("", &[0.0, 1.0], &[0.0, 1.0]).render().unwrap_err();
    assert_eq!(e, misuse("die", "line", rule));
    assert_eq!(
        e.to_string(),
        "chart \"die\" cannot take the line layer: a bar chart holds one bars layer and nothing else; draw the rest on another chart"
    );
    let bars = |c: Chart| c.bars(&["a"], &[1.0]).render().unwrap_err();
    assert_eq!(bars(Chart::new("s").scatter("", &[1.0], &[1.0])), misuse("s", "bars", rule), "bars after an x–y layer");
    assert_eq!(bars(Chart::new("b").bars(&["z"], &[2.0])), misuse("b", "bars", rule), "a second bars layer");
    let on_bars = || Chart::new("b").bars(&["a"], &[1.0]);
    assert_eq!(on_bars().arrows("", &array![[1.0, 1.0]], &[]).render().unwrap_err(), misuse("b", "arrows", rule));
    let e = on_bars().heatmap(&array![[1.0]], &["r"], &["c"]).render().unwrap_err();
    assert_eq!(e, misuse("b", "heatmap", rule), "the bar chart's rule, not the heatmap's");
}

#[test]
fn error_chart_misuse_a_heatmap_stands_alone() {
    let rule = chart::HEATMAP_ALONE;
    let heatmap = |c: Chart| c.heatmap(&array![[1.0]], &["r"], &["c"]).render().unwrap_err();
    assert_eq!(heatmap(Chart::new("h").histogram("", &[1.0, 2.0], 2)), misuse("h", "heatmap", rule), "a heatmap after an x–y layer");
    assert_eq!(heatmap(Chart::new("h").heatmap(&array![[2.0]], &["r"], &["c"])), misuse("h", "heatmap", rule), "a second heatmap");
    let on_heatmap = || Chart::new("w").heatmap(&array![[0.5, 0.5]], &["r"], &["a", "b"]);
    assert_eq!(on_heatmap().function("f", 0.0, 1.0, |x| x).render().unwrap_err(), misuse("w", "line", rule));
    let e = on_heatmap().contour(|x, y| x + y, (0.0, 1.0), (0.0, 1.0), 4).render().unwrap_err();
    assert_eq!(e, misuse("w", "contour", rule));
    let e = on_heatmap().bars(&["a"], &[1.0]).render().unwrap_err();
    assert_eq!(e, misuse("w", "bars", rule), "the heatmap's rule, not the bars'");
}

#[test]
fn error_chart_misuse_is_the_first_refused_call_wherever_the_chart_is_drawn() {
    // Later calls, and mistakes that would otherwise be reported first, do not hide it.
    let chart = Chart::new("m").size(10, 10).line("l", &[1.0, 2.0], &[1.0]).bars(&["a"], &[1.0]).heatmap(&array![[1.0]], &["r"], &["c"]).scatter("", &[1.0], &[1.0]);
    let first = misuse("m", "bars", chart::BARS_ALONE);
    assert_eq!(chart.render().unwrap_err(), first);
    assert_eq!(grid(2, [Chart::new("ok").line("", &[0.0, 1.0], &[0.0, 1.0]), chart.clone()]).render().unwrap_err(), first);
    assert_eq!(chart.save(std::env::temp_dir().join("llm-math-never-written.svg")).unwrap_err(), first);
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

/// Renders `chart` on another thread and fails if it takes more than 20 s
/// (an endless tick search used to hang the learner's kernel); returns the
/// error message, or `None` if it drew.
fn render_within_time_limit(chart: Chart) -> Option<String> {
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sent.send(chart.render().err().map(|e| e.to_string()));
    });
    received.recv_timeout(std::time::Duration::from_secs(20)).expect("rendering hung (no answer within 20 s)")
}

#[test]
fn axes_whose_span_overflows_are_refused_not_drawn_forever() {
    let cases = [
        ("a diverged loss curve", Chart::new("loss").line("loss", &[0.0, 1.0], &[0.0, 1.75e308])),
        ("an infinite fixed range", Chart::new("r").y_range(0.0, f64::INFINITY).line("l", &[0.0, 1.0], &[0.0, 1.0])),
        ("bars at both ends of f64", Chart::new("b").bars(&["a", "b"], &[1e308, -1e308])),
        ("a histogram over all of f64", Chart::new("h").histogram("v", &[-1e308, 1e308], 10)),
    ];
    for (what, chart) in cases {
        let message = render_within_time_limit(chart).unwrap_or_else(|| panic!("{what}: drawn without an error"));
        assert!(message.contains("axis") && (message.contains("finite") || message.contains("too wide")), "{what}: {message}");
    }
}

#[test]
fn what_lies_outside_fixed_ranges_is_cut_off_not_drawn_off_the_axes() {
    // A line leaving the view ends on its edge; the points beyond it are not drawn.
    let svg = Chart::new("cut").x_range(0.0, 1.0).y_range(0.0, 1.0).line("", &[0.5, 1e308], &[0.5, 0.5]).scatter("", &[0.5, 2.0], &[0.5, 0.5]).render().unwrap().svg;
    assert_eq!(count(&svg, "circle"), 1);
    // Bars beyond a fixed y range stop at its edge, their values written inside it.
    let svg = Chart::new("b").bars(&["low", "mid", "high"], &[-2.0, 0.5, 3.0]).y_range(0.0, 1.0).render().unwrap().svg;
    for text in ["-2", "0.5", "3"] {
        assert!(has_text(&svg, text), "missing {text}");
    }
    // A heatmap from -1e308 to 1e308: the colour scale spans it without overflowing.
    let svg = Chart::new("h").heatmap(&array![[-1e308, 0.0, 1e308]], &["r"], &["a", "b", "c"]).render().unwrap().svg;
    assert!(svg.contains("#440154") && svg.contains("#FEE825"));
    // An arrow whose tip is beyond f64 is an error naming it.
    let e = Chart::new("a").arrows_from("", &array![[1e308, 0.0]], &array![[1e308, 0.0]]).render().unwrap_err();
    assert!(e.to_string().contains("tip of arrow 0"), "{e}");
}

#[test]
fn a_nan_range_is_an_error_not_a_panic() {
    let message = render_within_time_limit(Chart::new("n").x_range(f64::NAN, f64::NAN).line("l", &[0.0, 1.0], &[0.0, 1.0]));
    assert!(message.is_some_and(|m| m.contains("x axis") && m.contains("finite")));
    let message = render_within_time_limit(Chart::new("n").x_range(2.0, 1.0).line("l", &[0.0, 1.0], &[0.0, 1.0]));
    assert!(message.is_some_and(|m| m.contains("start must be below its end")));
}

#[test]
fn a_log_axis_reaching_subnormal_values_is_refused_not_drawn_forever() {
    let chart = Chart::new("decay").log_y().function("e^-x", 0.0, 745.0, |x| (-x).exp());
    let message = render_within_time_limit(chart).expect("a subnormal lower end must be refused");
    assert!(message.contains("logarithmic") && message.contains("smallest normal"), "{message}");
    // Just above the normal range it draws.
    assert_eq!(render_within_time_limit(Chart::new("decay").log_y().function("e^-x", 0.0, 700.0, |x| (-x).exp())), None);
    // Ends more than f64::MAX apart as a ratio: plotters would count decades forever.
    let chart = Chart::new("wide").log_x().x_range(1e-100, 1e308).line("", &[1.0, 2.0], &[1.0, 2.0]);
    let message = render_within_time_limit(chart).expect("a ratio of ends beyond f64 must be refused");
    assert!(message.contains("logarithmic") && message.contains("decades"), "{message}");
    assert_eq!(render_within_time_limit(Chart::new("wide").log_x().x_range(1e-100, 1e200).line("", &[1.0, 2.0], &[1.0, 2.0])), None);
}

