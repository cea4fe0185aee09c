use llm_math::prelude::*;
fn main() -> Result<()> {
    let words = array![[2.0, 3.0], [1.0, 2.0]];
    Chart::new("Word vectors").x_label("dimension 1").y_label("dimension 2").equal_aspect().arrows("word vectors", &words, &["king", "queen"]).save("/tmp/g1.svg")?;
    Chart::new("Scores").y_label("score").bars(&["key 1", "key 2", "key 3", "key 4"], &[1.2, 0.7, -1.25, 0.5]).save("/tmp/g2.svg")?;
    let qk = randn(&mut seeded_rng(1), (3, 3));
    Chart::new("Scores Q·Kᵀ").heatmap(&qk, &["the", "cat", "sat"], &["the", "cat", "sat"]).save("/tmp/g3.svg")?;
    let x = array![[2.0, 0.0], [1.0, 1.0], [0.0, 1.5]];
    let y = matmul(&x, &rotation_2d(60f64.to_radians()))?;
    grid(2, [Chart::new("Rotation").equal_aspect().arrows("X", &x, &["x1","x2","x3"]).arrows("Y", &y, &["y1","y2","y3"]),
              Chart::new("hist").histogram("n", &randn_vec(&mut seeded_rng(0), 500), 20),
              Chart::new("pts").scatter("a", &[1.0,2.0,3.0], &[2.0,1.0,3.0]).scatter("b", &[1.5,2.5], &[1.0,2.0]).function("sin", 0.0, 3.0, f64::sin)]).title("A grid").save("/tmp/g4.svg")?;
    Ok(())
}
