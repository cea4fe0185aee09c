//! Plain-text output that reads like NumPy's: numbers at a readable
//! precision, arrays in aligned rows with their shape, and none of
//! ndarray's `strides=[3, 1], layout=Cc (0x5), const ndim=2`.
//!
//! A cell's last value is shown through [`Readable`]; `println!("{x:?}")`
//! still prints every digit when a learner wants them.
//!
//! The rules, in one place:
//! - a lone `f64` keeps 6 significant digits (`60.00000000000001` → `60.0`,
//!   `1.2246467991473532e-16` → `1.22465e-16`);
//! - an array chooses one format for all its entries, like NumPy: 4 decimals
//!   (trailing zeros common to every entry dropped), or scientific notation
//!   when its largest entry is ≥ 10⁶ or below 10⁻⁴; entries smaller than the
//!   last decimal shown print as 0 (so a rotation by 90° shows
//!   `[[0.0, 2.0]]`, not `1.2246467991473532e-16`);
//! - an axis longer than 12 shows its first and last 3 entries around `...`;
//! - arrays end with their shape, `shape (2, 3)`.

use ndarray::{ArrayBase, ArrayViewD, Axis, Data, Dimension};

/// Entries per axis shown in full; a longer axis shows its ends.
const FULL_AXIS: usize = 12;
/// Entries shown at each end of a long axis.
const EDGE: usize = 3;
/// Decimals of an array entry in fixed notation.
const DECIMALS: usize = 4;
/// Significant digits of a lone number.
const SIGNIFICANT: i32 = 6;

/// A value as a learner should read it in a notebook: see the module docs
/// for the rules.
///
/// # Examples
/// ```
/// use llm_math::display::Readable;
/// use llm_math::prelude::*;
/// assert_eq!(60.00000000000001.readable(), "60.0");
/// let r = array![[0.0, -1.0], [1.0, 0.0]].dot(&array![[2.0, 0.0], [0.0, 2.0]]);
/// assert_eq!(r.readable(), "[[ 0.0, -2.0],\n [ 2.0,  0.0]]  shape (2, 2)");
/// assert_eq!((1.5, "ok").readable(), "(1.5, \"ok\")");
/// ```
pub trait Readable {
    /// The text shown for this value.
    fn readable(&self) -> String;
}

/// A lone floating-point number with [`SIGNIFICANT`] significant digits.
fn scalar(v: f64) -> String {
    if !v.is_finite() {
        return nonfinite(v);
    }
    if v == 0.0 {
        return "0.0".into();
    }
    // Round to the digits shown first, then pick the notation from the
    // rounded exponent (999999.7 rounds to 1.00000e6, so it is 1.0e6).
    let text = format!("{v:.prec$e}", prec = (SIGNIFICANT - 1) as usize);
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` always writes an exponent");
    let magnitude: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    if (-4..6).contains(&magnitude) {
        let decimals = (SIGNIFICANT - 1 - magnitude).max(0) as usize;
        trim_fixed(&format!("{v:.decimals$}"))
    } else {
        format!("{}e{exponent}", trim_fixed(mantissa))
    }
}

fn nonfinite(v: f64) -> String {
    if v.is_nan() { "NaN".into() } else if v > 0.0 { "inf".into() } else { "-inf".into() }
}

/// Drops trailing zeros after the decimal point, keeping at least one digit
/// there (`2.5000` → `2.5`, `3.000` → `3.0`, `12` → `12.0`).
fn trim_fixed(text: &str) -> String {
    match text.split_once('.') {
        None => format!("{text}.0"),
        Some((whole, decimals)) => {
            let kept = decimals.trim_end_matches('0');
            format!("{whole}.{}", if kept.is_empty() { "0" } else { kept })
        }
    }
}

/// Formats all entries of a float array in one notation, NumPy style.
fn float_entries(values: &[f64]) -> Vec<String> {
    let largest = values.iter().filter(|v| v.is_finite()).fold(0.0_f64, |m, v| m.max(v.abs()));
    let scientific = largest >= 1e6 || (largest > 0.0 && largest < 1e-4);
    if scientific {
        return values
            .iter()
            .map(|&v| if v.is_finite() { format!("{v:.DECIMALS$e}") } else { nonfinite(v) })
            .collect();
    }
    let fixed: Vec<String> = values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return nonfinite(v);
            }
            let text = format!("{v:.DECIMALS$}");
            // -0.00001 rounds to "-0.0000": no sign on a zero.
            if text.trim_start_matches('-').bytes().all(|b| b == b'0' || b == b'.') {
                text.trim_start_matches('-').to_string()
            } else {
                text
            }
        })
        .collect();
    // Drop the trailing zeros every finite entry has, keeping one decimal.
    let common = fixed
        .iter()
        .filter(|t| t.contains('.'))
        .map(|t| t.len() - t.trim_end_matches('0').len())
        .min()
        .unwrap_or(0)
        .min(DECIMALS - 1);
    fixed.into_iter().map(|t| if t.contains('.') { t[..t.len() - common].to_string() } else { t }).collect()
}

/// The element types an array can show: how to write all entries at once.
pub trait ArrayEntry: Copy {
    /// The text of every entry, in one consistent notation.
    fn entries(values: &[Self]) -> Vec<String>;
}

impl ArrayEntry for f64 {
    fn entries(values: &[f64]) -> Vec<String> {
        float_entries(values)
    }
}

impl ArrayEntry for f32 {
    fn entries(values: &[f32]) -> Vec<String> {
        float_entries(&values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())
    }
}

macro_rules! plain_entries {
    ($($t:ty),*) => {$(
        impl ArrayEntry for $t {
            fn entries(values: &[$t]) -> Vec<String> {
                values.iter().map(|v| v.to_string()).collect()
            }
        }
    )*};
}
plain_entries!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool);

/// Writes a (possibly elided) n-d block of already formatted, right-aligned
/// entries; `depth` is the number of `[` already open to its left.
fn block(view: ArrayViewD<'_, String>, depth: usize) -> String {
    if view.ndim() == 0 {
        return view.first().cloned().unwrap_or_default();
    }
    let len = view.len_of(Axis(0));
    let shown: Vec<Option<usize>> = if len > FULL_AXIS {
        (0..EDGE).map(Some).chain([None]).chain((len - EDGE..len).map(Some)).collect()
    } else {
        (0..len).map(Some).collect()
    };
    let parts: Vec<String> = shown
        .into_iter()
        .map(|i| match i {
            Some(i) => block(view.index_axis(Axis(0), i), depth + 1),
            None => "...".into(),
        })
        .collect();
    let separator = if view.ndim() == 1 {
        ", ".to_string()
    } else {
        format!(",\n{}{}", "\n".repeat(view.ndim() - 2), " ".repeat(depth + 1))
    };
    format!("[{}]", parts.join(&separator))
}

impl<A, S, D> Readable for ArrayBase<S, D>
where
    A: ArrayEntry,
    S: Data<Elem = A>,
    D: Dimension,
{
    fn readable(&self) -> String {
        let values: Vec<A> = self.iter().copied().collect();
        let texts = A::entries(&values);
        let width = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        let aligned: Vec<String> = texts.into_iter().map(|t| format!("{t:>width$}")).collect();
        let grid = ndarray::ArrayD::from_shape_vec(self.shape(), aligned)
            .expect("one text per entry, in logical order");
        let body = block(grid.view(), 0);
        match self.shape() {
            [] => body,
            [n] => format!("{body}  shape ({n},)"),
            shape => {
                let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
                format!("{body}  shape ({})", dims.join(", "))
            }
        }
    }
}

impl Readable for f64 {
    fn readable(&self) -> String {
        scalar(*self)
    }
}

impl Readable for f32 {
    fn readable(&self) -> String {
        scalar(f64::from(*self))
    }
}

macro_rules! display_readable {
    ($($t:ty),*) => {$(
        impl Readable for $t {
            fn readable(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_readable!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool);

/// `impl Readable` as the type's `Debug`, for types whose `Debug` already
/// reads well.
macro_rules! readable_as_debug {
    ($($t:ty),*) => {$(
        impl $crate::display::Readable for $t {
            fn readable(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}
pub(crate) use readable_as_debug;

// Text is shown quoted, as Rust writes it (`"dog"`), so a string is told
// apart from a number.
readable_as_debug!(str, String, char, ());

impl<T: Readable + ?Sized> Readable for &T {
    fn readable(&self) -> String {
        (**self).readable()
    }
}

impl<T: Readable + ?Sized> Readable for Box<T> {
    fn readable(&self) -> String {
        (**self).readable()
    }
}

/// `[a, b, c]`; a long list shows its ends and its length.
fn list<T: Readable>(items: &[T]) -> String {
    let texts: Vec<String> = if items.len() > FULL_AXIS {
        let ends = items[..EDGE].iter().chain(&items[items.len() - EDGE..]).map(Readable::readable);
        let mut texts: Vec<String> = ends.collect();
        texts.insert(EDGE, "...".into());
        texts
    } else {
        items.iter().map(Readable::readable).collect()
    };
    let body = join_items(&texts, "[", "]");
    if items.len() > FULL_AXIS { format!("{body}  ({} items)", items.len()) } else { body }
}

/// Joins item texts between brackets: on one line when every item fits on
/// one, else one item per line, continuation lines indented under the first.
fn join_items(texts: &[String], open: &str, close: &str) -> String {
    if texts.iter().all(|t| !t.contains('\n')) {
        return format!("{open}{}{close}", texts.join(", "));
    }
    let pad = " ".repeat(open.chars().count());
    let indented: Vec<String> = texts.iter().map(|t| t.replace('\n', &format!("\n{pad}"))).collect();
    format!("{open}{}{close}", indented.join(&format!(",\n{pad}")))
}

impl<T: Readable> Readable for [T] {
    fn readable(&self) -> String {
        list(self)
    }
}

impl<T: Readable, const N: usize> Readable for [T; N] {
    fn readable(&self) -> String {
        list(self)
    }
}

impl<T: Readable> Readable for Vec<T> {
    fn readable(&self) -> String {
        list(self)
    }
}

impl<T: Readable> Readable for Option<T> {
    fn readable(&self) -> String {
        match self {
            Some(v) => join_items(&[v.readable()], "Some(", ")"),
            None => "None".into(),
        }
    }
}

/// An `Err` shows its message (`Display`), as a learner would read it.
impl<T: Readable, E: std::fmt::Display> Readable for Result<T, E> {
    fn readable(&self) -> String {
        match self {
            Ok(v) => join_items(&[v.readable()], "Ok(", ")"),
            Err(e) => format!("Err({e})"),
        }
    }
}

macro_rules! tuple_readable {
    ($(($($name:ident),+)),+) => {$(
        impl<$($name: Readable),+> Readable for ($($name,)+) {
            #[allow(non_snake_case)]
            fn readable(&self) -> String {
                let ($($name,)+) = self;
                join_items(&[$($name.readable()),+], "(", ")")
            }
        }
    )+};
}
tuple_readable!((A), (A, B), (A, B, C), (A, B, C, D), (A, B, C, D, E), (A, B, C, D, E, F), (A, B, C, D, E, F, G));

/// `Name { field: value, ... }` for a result struct, its fields written by
/// [`Readable`]: on one line when all are short, else one per line.
pub(crate) fn fields(name: &str, fields: &[(&str, String)]) -> String {
    if fields.iter().all(|(_, v)| !v.contains('\n')) {
        let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        return format!("{name} {{ {} }}", inner.join(", "));
    }
    let lines: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let pad = " ".repeat(k.chars().count() + 4);
            format!("  {k}: {},", v.replace('\n', &format!("\n{pad}")))
        })
        .collect();
    format!("{name} {{\n{}\n}}", lines.join("\n"))
}

/// `impl Readable` for a struct with named public fields, each `Readable`.
macro_rules! readable_struct {
    ($t:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::display::Readable for $t {
            fn readable(&self) -> String {
                $crate::display::text::fields(
                    stringify!($t),
                    &[$((stringify!($field), $crate::display::Readable::readable(&self.$field))),+],
                )
            }
        }
    };
}
pub(crate) use readable_struct;

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, Array3, array};

    #[test]
    fn lone_numbers_keep_six_significant_digits() {
        assert_eq!(scalar(60.00000000000001), "60.0");
        assert_eq!(scalar(0.35011175980689), "0.350112");
        assert_eq!(scalar(1.2246467991473532e-16), "1.22465e-16");
        assert_eq!(scalar(32.0), "32.0");
        assert_eq!(scalar(-2.5), "-2.5");
        assert_eq!(scalar(50_257.0), "50257.0");
        assert_eq!(scalar(10.824_905_1), "10.8249");
        assert_eq!(scalar(1e-5), "1.0e-5");
        assert_eq!(scalar(2.5e9), "2.5e9");
        assert_eq!(scalar(999_999.7), "1.0e6");
        assert_eq!(scalar(99_999.4), "99999.4");
        assert_eq!(scalar(99_999.97), "100000.0");
        assert_eq!(scalar(0.0), "0.0");
        assert_eq!(scalar(-0.0), "0.0");
        assert_eq!(scalar(f64::NAN), "NaN");
        assert_eq!(scalar(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn lone_numbers_round_to_the_value_they_show() {
        // Independent route: parse the text back; it must be within half a
        // unit of the 6th significant digit.
        for v in [0.123_456_789, 98_765.432_1, -2.718_281_9, 7.0e-3, 1.0e-4] {
            let back: f64 = scalar(v).parse().unwrap();
            assert!((back - v).abs() <= 0.5e-5 * v.abs(), "{v} shown as {}", scalar(v));
        }
    }

    #[test]
    fn any_finite_number_reads_back_within_its_digits() {
        use rand::RngExt;
        let mut rng = crate::random::seeded_rng(7);
        for _ in 0..20_000 {
            // Any bit pattern: every exponent, subnormals included.
            let v = f64::from_bits(rng.random());
            if !v.is_finite() {
                assert!(["NaN", "inf", "-inf"].contains(&scalar(v).as_str()));
                continue;
            }
            let text = scalar(v);
            let back: f64 = text.parse().unwrap_or_else(|_| panic!("{v:e} shown as {text}"));
            assert!((back - v).abs() <= 5e-6 * v.abs(), "{v:e} shown as {text}");
        }
    }

    #[test]
    fn any_matrix_shows_one_row_per_line_and_its_shape() {
        use rand::RngExt;
        let mut rng = crate::random::seeded_rng(8);
        for _ in 0..300 {
            let (rows, cols) = (rng.random_range(1..20), rng.random_range(1..20));
            let scale = 10f64.powi(rng.random_range(-8..9));
            let m = Array2::from_shape_fn((rows, cols), |_| scale * (rng.random::<f64>() - 0.5));
            let text = m.readable();
            let shown = if rows > FULL_AXIS { 2 * EDGE + 1 } else { rows };
            assert_eq!(text.lines().count(), shown, "{text}");
            assert!(text.ends_with(&format!("shape ({rows}, {cols})")), "{text}");
        }
    }

    #[test]
    fn a_rotated_matrix_shows_zero_not_rounding_noise() {
        let angle = std::f64::consts::FRAC_PI_2;
        let r = array![[angle.cos(), -angle.sin()], [angle.sin(), angle.cos()]];
        let rotated = array![[2.0, 0.0]].dot(&r.t());
        assert_eq!(rotated.readable(), "[[0.0, 2.0]]  shape (1, 2)");
    }

    #[test]
    fn arrays_share_one_notation_and_align() {
        assert_eq!(array![0.5, 1.25, -3.0].readable(), "[ 0.50,  1.25, -3.00]  shape (3,)");
        assert_eq!(array![1.0, 2.0].readable(), "[1.0, 2.0]  shape (2,)");
        assert_eq!(array![0.35011175980689, 0.1].readable(), "[0.3501, 0.1000]  shape (2,)");
        assert_eq!(array![2.0e7, 1.0].readable(), "[2.0000e7, 1.0000e0]  shape (2,)");
        assert_eq!(array![3.0e-6, 0.0].readable(), "[3.0000e-6,  0.0000e0]  shape (2,)");
        assert_eq!(array![f64::NAN, 1.0].readable(), "[NaN, 1.0]  shape (2,)");
        assert_eq!(array![-0.00001, 1.0].readable(), "[0.0, 1.0]  shape (2,)");
        assert_eq!(array![1_usize, 20].readable(), "[ 1, 20]  shape (2,)");
    }

    #[test]
    fn shapes_are_printed_and_nothing_of_the_memory_layout() {
        let m = Array2::<f64>::zeros((2, 3));
        let text = m.readable();
        assert!(text.ends_with("shape (2, 3)"), "{text}");
        assert!(!text.contains("strides") && !text.contains("layout"), "{text}");
        assert_eq!(m.t().readable(), "[[0.0, 0.0],\n [0.0, 0.0],\n [0.0, 0.0]]  shape (3, 2)");
        let cube = Array3::<f64>::ones((2, 1, 2));
        assert_eq!(cube.readable(), "[[[1.0, 1.0]],\n\n [[1.0, 1.0]]]  shape (2, 1, 2)");
        assert_eq!(ndarray::arr0(0.25).readable(), "0.25");
    }

    #[test]
    fn long_axes_show_their_ends() {
        let v = Array1::from_iter((0..50_257).map(|i| i as f64));
        let expected = "[    0.0,     1.0,     2.0, ..., 50254.0, 50255.0, 50256.0]  shape (50257,)";
        assert_eq!(v.readable(), expected);
        let small = Array1::from_iter((0..20).map(|i| i as f64));
        assert_eq!(small.readable(), "[ 0.0,  1.0,  2.0, ..., 17.0, 18.0, 19.0]  shape (20,)");
        let list: Vec<u32> = (0..20).collect();
        assert_eq!(list.readable(), "[0, 1, 2, ..., 17, 18, 19]  (20 items)");
    }

    #[test]
    fn containers_nest_and_keep_multiline_items_aligned() {
        assert_eq!(vec![0.1 + 0.2, 1.0].readable(), "[0.3, 1.0]");
        assert_eq!(Some(2.0).readable(), "Some(2.0)");
        assert_eq!(None::<f64>.readable(), "None");
        let ok: Result<f64, String> = Err("bad shape".into());
        assert_eq!(ok.readable(), "Err(bad shape)");
        let pair = (array![[1.0, 2.0], [3.0, 4.0]], 0.5);
        assert_eq!(pair.readable(), "([[1.0, 2.0],\n  [3.0, 4.0]]  shape (2, 2),\n 0.5)");
        assert_eq!(("cat", 3_usize, true).readable(), "(\"cat\", 3, true)");
    }

    #[test]
    fn structs_list_their_fields() {
        assert_eq!(fields("T", &[("a", "1.0".into()), ("b", "2".into())]), "T { a: 1.0, b: 2 }");
        assert_eq!(
            fields("T", &[("m", "[[1],\n [2]]".into()), ("b", "2".into())]),
            "T {\n  m: [[1],\n      [2]],\n  b: 2,\n}"
        );
    }
}
