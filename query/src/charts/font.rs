//! The font chart text is drawn with. plotters' `ab_glyph` backend needs the bytes of one
//! TrueType font; using the system's avoids fontconfig and shipping a font in the binary. The
//! font is read once per process and kept for its lifetime, as plotters requires.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::ChartError;

/// Where common systems keep a plain sans-serif TrueType font, most likely first.
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// The families plotters asks for; all are served by the one font.
const FAMILIES: &[&str] = &["sans-serif", "serif", "monospace"];

static REGISTERED: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// Registers a font with plotters: `explicit` if given, else the first system font found.
/// Returns the font's path.
pub fn ensure(explicit: Option<&Path>) -> Result<PathBuf, ChartError> {
    REGISTERED
        .get_or_init(|| register(explicit))
        .clone()
        .map_err(ChartError::Font)
}

fn register(explicit: Option<&Path>) -> Result<PathBuf, String> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => find().ok_or_else(|| {
            "no TrueType font found for chart text; install fonts-dejavu-core (or any .ttf) \
             or point ALARMLAKE_FONT at one"
                .to_string()
        })?,
    };
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read font {}: {e}", path.display()))?;
    // plotters keeps fonts for the life of the process; this happens once.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    for family in FAMILIES {
        register_font(family, FontStyle::Normal, bytes)
            .map_err(|_| format!("{} is not a TrueType font", path.display()))?;
    }
    Ok(path)
}

fn find() -> Option<PathBuf> {
    CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| any_ttf(Path::new("/usr/share/fonts"), 3))
}

/// Any `.ttf` under `dir`, a few levels deep, in a stable order.
fn any_ttf(dir: &Path, depth: usize) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let ttf = entries
        .iter()
        .find(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ttf")));
    if let Some(found) = ttf {
        return Some(found.clone());
    }
    if depth == 0 {
        return None;
    }
    entries
        .iter()
        .filter(|p| p.is_dir())
        .find_map(|p| any_ttf(p, depth - 1))
}
