//! What of a layer falls inside the plotting area, cut out before plotters
//! sees it. plotters maps a value to whole pixels with `as i32` and then adds
//! offsets, so a point far outside a fixed axis range (x = 1e308 with
//! `x_range(0, 8)`, a bar of −2 on `y_range(0, 1e-300)`) would overflow
//! that arithmetic. Only what is inside the view is drawn: lines are cut
//! where they leave it (the visible part keeps its exact slope), points
//! outside it are left out, rectangles are cut to it.

use std::ops::Range;

/// One axis of the view: its range, and whether it is logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    pub range: Range<f64>,
    pub log: bool,
}

/// The visible rectangle of an x–y chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct View {
    pub x: Span,
    pub y: Span,
}

impl Span {
    /// Whether `v` is on the axis (ends included).
    pub fn contains(&self, v: f64) -> bool {
        self.range.start <= v && v <= self.range.end
    }

    /// `v` moved onto the axis if it is off it.
    pub fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.range.start, self.range.end)
    }

    /// Where `v` sits along the axis in the units in which a straight line
    /// is drawn straight: the value itself on a linear axis, its log10 on a
    /// logarithmic one. Halved on a linear axis, so that the difference of
    /// any two finite values is finite (1e308 − (−1e308) is not).
    fn place(&self, v: f64) -> f64 {
        if self.log { v.log10() } else { 0.5 * v }
    }

    /// The inverse of [`Span::place`], kept on the axis.
    fn value(&self, t: f64) -> f64 {
        self.clamp(if self.log { 10f64.powf(t) } else { 2.0 * t })
    }
}

impl View {
    /// Whether the point is inside the view (edges included).
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        self.x.contains(x) && self.y.contains(y)
    }

    /// The part of the segment `p → q` inside the view, or `None` if none
    /// of it is. An end inside the view is returned bit for bit; an end
    /// outside is moved along the segment to the edge where it crosses into
    /// the view, that coordinate exactly on the edge and the other
    /// interpolated from the end nearer to it (and kept in the view, against
    /// rounding).
    pub fn segment(&self, p: (f64, f64), q: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let spans = [&self.x, &self.y];
        let ends = [(p.0, q.0), (p.1, q.1)];
        // On each axis, in the units a line is straight in: the two ends, the
        // two edges, and the fractions of the way from p to q at which the
        // segment crosses them.
        let mut placed = [(0.0, 0.0, 0.0, 0.0); 2];
        let (mut enter, mut leave) = (0.0f64, 1.0f64);
        for (axis, (span, (a, b))) in spans.iter().zip(ends).enumerate() {
            // Wholly beyond one edge: nothing to draw (decided exactly, on the values).
            if a.max(b) < span.range.start || a.min(b) > span.range.end {
                return None;
            }
            let (a, b) = (span.place(a), span.place(b));
            let (lo, hi) = (span.place(span.range.start), span.place(span.range.end));
            placed[axis] = (a, b, lo, hi);
            let d = b - a;
            if d != 0.0 {
                let (t_lo, t_hi) = ((lo - a) / d, (hi - a) / d);
                enter = enter.max(t_lo.min(t_hi));
                leave = leave.min(t_lo.max(t_hi));
            }
        }
        // Passing by a corner.
        if enter > leave {
            return None;
        }
        // Where the segment crosses into the view coming from `from` (p or q,
        // outside): the crossing of the edges `from` is beyond that lies
        // nearest to the other end.
        let cross = |from_p: bool| {
            let mut best: Option<(f64, usize, f64)> = None; // (fraction from `from`, axis, edge)
            for (axis, &(a, b, lo, hi)) in placed.iter().enumerate() {
                let (c_from, c_to) = if from_p { (a, b) } else { (b, a) };
                let edge = if c_from < lo { lo } else if c_from > hi { hi } else { continue };
                let f = (edge - c_from) / (c_to - c_from);
                if best.is_none_or(|(g, _, _)| f > g) {
                    best = Some((f, axis, edge));
                }
            }
            let Some((_, axis, edge)) = best else {
                // Outside only by less than the halving rounds away (a subnormal): on the edge.
                let from = if from_p { p } else { q };
                return (self.x.clamp(from.0), self.y.clamp(from.1));
            };
            let other = 1 - axis;
            let (ca, cb, ..) = placed[axis];
            let (oa, ob, ..) = placed[other];
            // From the nearer end: the shorter the way, the smaller the rounding.
            let ((c0, c1), (o0, o1)) = if (edge - ca).abs() <= (edge - cb).abs() { ((ca, cb), (oa, ob)) } else { ((cb, ca), (ob, oa)) };
            let f = ((edge - c0) / (c1 - c0)).clamp(0.0, 1.0);
            let mut crossing = [0.0; 2];
            crossing[axis] = spans[axis].value(edge);
            crossing[other] = spans[other].value(o0 + f * (o1 - o0));
            (crossing[0], crossing[1])
        };
        let start = if self.contains(p) { p } else { cross(true) };
        let end = if self.contains(q) { q } else { cross(false) };
        Some((start, end))
    }

    /// The visible pieces of the polyline through `points`: each a run of
    /// points to join, cut where the line leaves the view. A single point
    /// is one piece if it is inside.
    pub fn polyline(&self, points: impl IntoIterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
        let mut points = points.into_iter();
        let Some(mut previous) = points.next() else { return Vec::new() };
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        let mut single = true;
        for point in points {
            single = false;
            match self.segment(previous, point) {
                Some((start, end)) => {
                    if current.last() != Some(&start) {
                        pieces.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
                        current.push(start);
                    }
                    if current.last() != Some(&end) {
                        current.push(end);
                    }
                }
                None => pieces.extend((!current.is_empty()).then(|| std::mem::take(&mut current))),
            }
            previous = point;
        }
        if single && self.contains(previous) {
            current.push(previous);
        }
        pieces.extend((!current.is_empty()).then_some(current));
        pieces
    }

    /// The part of the axis-aligned rectangle with corners `a` and `b` inside
    /// the view, as two corners, or `None` if it lies wholly outside.
    pub fn rectangle(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let overlaps = |span: &Span, u: f64, v: f64| u.min(v) <= span.range.end && u.max(v) >= span.range.start;
        if !(overlaps(&self.x, a.0, b.0) && overlaps(&self.y, a.1, b.1)) {
            return None;
        }
        Some(((self.x.clamp(a.0), self.y.clamp(a.1)), (self.x.clamp(b.0), self.y.clamp(b.1))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(x: Range<f64>, y: Range<f64>) -> View {
        View { x: Span { range: x, log: false }, y: Span { range: y, log: false } }
    }

    #[test]
    fn a_segment_inside_is_kept_bit_for_bit() {
        let v = view(0.0..1.0, 0.0..1.0);
        assert_eq!(v.segment((0.1, 0.2), (0.3, 0.4)), Some(((0.1, 0.2), (0.3, 0.4))));
    }

    #[test]
    fn a_segment_leaving_the_view_is_cut_at_its_edge_with_its_slope() {
        let v = view(0.0..1.0, 0.0..1.0);
        // y = x/2 from (0, 0) to (4, 2): leaves through x = 1 at y = 0.5.
        assert_eq!(v.segment((0.0, 0.0), (4.0, 2.0)), Some(((0.0, 0.0), (1.0, 0.5))));
        // Crossing the whole view, from far outside on both sides.
        assert_eq!(v.segment((-1e308, 0.5), (1e308, 0.5)), Some(((0.0, 0.5), (1.0, 0.5))));
        let ((x0, y0), end) = v.segment((-1e308, -1e308), (0.5, 0.5)).unwrap();
        assert!(x0 == 0.0 && y0.abs() < 1e-15 && end == (0.5, 0.5), "({x0}, {y0}) → {end:?}");
        // From 1e308 down to the origin at a slope of 5e-324/1e308: a flat line from the edge.
        assert_eq!(v.segment((1e308, 5e-324), (0.0, 0.0)), Some(((1.0, 0.0), (0.0, 0.0))));
        // Wholly outside.
        assert_eq!(v.segment((2.0, 0.0), (3.0, 1.0)), None);
        assert_eq!(v.segment((1e308, 5e-324), (0.0, 5.0)), None);
    }

    #[test]
    fn a_segment_on_a_logarithmic_axis_is_cut_where_it_is_drawn_straight() {
        let v = View { x: Span { range: 1.0..100.0, log: true }, y: Span { range: 0.0..1.0, log: false } };
        // From (1, 0) to (10 000, 1): straight in log10 x, it leaves x = 100 halfway up.
        let (_, (x, y)) = v.segment((1.0, 0.0), (1e4, 1.0)).unwrap();
        assert!((x - 100.0).abs() < 1e-12 && (y - 0.5).abs() < 1e-12, "({x}, {y})");
    }

    #[test]
    fn a_polyline_is_cut_into_its_visible_pieces() {
        let v = view(0.0..1.0, 0.0..1.0);
        let pieces = v.polyline([(0.25, 0.25), (0.5, 0.5), (2.0, 0.5), (2.0, 0.75), (0.5, 0.75)]);
        assert_eq!(pieces, vec![vec![(0.25, 0.25), (0.5, 0.5), (1.0, 0.5)], vec![(1.0, 0.75), (0.5, 0.75)]]);
        assert_eq!(v.polyline([(0.5, 0.5)]), vec![vec![(0.5, 0.5)]]);
        assert!(v.polyline([(5.0, 0.5)]).is_empty());
        assert!(v.polyline(std::iter::empty()).is_empty());
    }

    #[test]
    fn a_rectangle_is_cut_to_the_view() {
        let v = view(0.0..1.0, 0.0..1e-300);
        assert_eq!(v.rectangle((0.25, 0.0), (0.75, -2.1)), Some(((0.25, 0.0), (0.75, 0.0))));
        assert_eq!(v.rectangle((0.25, -1.0), (0.75, -2.1)), None);
        assert_eq!(v.rectangle((-5.0, 0.0), (5.0, 1.0)), Some(((0.0, 0.0), (1.0, 1e-300))));
    }
}
