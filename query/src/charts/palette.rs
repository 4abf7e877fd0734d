//! Colours for chart series and heat maps, chosen to stay apart for colour-blind readers
//! (after the Okabe–Ito set) and a sequential ramp that prints well in grey.

use plotters::style::RGBColor;

/// Distinct series colours; the last is for "other".
pub const SERIES: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(70, 70, 70),
    RGBColor(170, 170, 170),
];

/// Stops of the heat-map ramp, from none to most.
const RAMP: [(f64, (f64, f64, f64)); 4] = [
    (0.0, (255.0, 255.0, 229.0)),
    (0.35, (254.0, 196.0, 79.0)),
    (0.7, (236.0, 112.0, 20.0)),
    (1.0, (140.0, 45.0, 4.0)),
];

/// The ramp's colour at `t` in 0..=1 (clamped).
pub fn heat(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let upper = RAMP
        .iter()
        .position(|(at, _)| *at >= t)
        .unwrap_or(RAMP.len() - 1)
        .max(1);
    let (t0, c0) = RAMP[upper - 1];
    let (t1, c1) = RAMP[upper];
    let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(mix(c0.0, c1.0), mix(c0.1, c1.1), mix(c0.2, c1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ramp_runs_from_pale_to_dark() {
        assert_eq!(heat(0.0), RGBColor(255, 255, 229));
        assert_eq!(heat(1.0), RGBColor(140, 45, 4));
        assert_eq!(heat(2.0), heat(1.0));
        assert_eq!(heat(f64::NAN), heat(0.0));
        let brightness = |c: RGBColor| c.0 as u32 + c.1 as u32 + c.2 as u32;
        let steps: Vec<u32> = (0..=10)
            .map(|i| brightness(heat(i as f64 / 10.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[0] >= w[1]), "{steps:?}");
    }
}
