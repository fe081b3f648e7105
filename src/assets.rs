//! Cache busting for the theme's and the site's static files, as Zola's
//! `get_url(…, cachebust=true)` and Hugo's fingerprints do: templates link
//! each file with `?h=` a fingerprint of its bytes ([`AssetUrl`]), and an
//! import map ([`ImportMap`]) sends the imports between ES modules to the
//! same fingerprinted URLs. A browser or CDN holding an earlier build's
//! script or style sheet then never serves it to pages of this build.
//! Files keep their names and bytes; servers ignore the query.

use std::collections::BTreeMap;
use std::sync::Arc;

use tera::{Kwargs, State, TeraResult};

use crate::library::encode_url_path;
use crate::render::OutputFile;

/// Static path → the file's URL with its fingerprint.
#[derive(Clone)]
pub struct Fingerprints(Arc<BTreeMap<String, String>>);

impl Fingerprints {
    /// The fingerprinted URL of each of `files`, from its bytes as published.
    pub fn of(files: &[OutputFile]) -> Fingerprints {
        let urls = files
            .iter()
            .map(|f| (f.path.clone(), format!("/{}?h={:08x}", encode_url_path(&f.path), crc32fast::hash(&f.bytes))))
            .collect();
        Fingerprints(Arc::new(urls))
    }
}

/// The `asset_url(path="zhiku.css")` function of templates: the root URL
/// of a static file with its fingerprint. An unknown path fails the
/// render, so a misspelt name is found at build time. The URL is
/// percent-encoded; templates escape it as any other value.
pub struct AssetUrl(pub Fingerprints);

impl tera::Function<TeraResult<String>> for AssetUrl {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<String> {
        let path = kwargs.must_get::<&str>("path")?.trim_start_matches('/');
        self.0.0.get(path).cloned().ok_or_else(|| {
            tera::Error::message(format!(
                "asset_url: `{path}` is not a static file of the theme or of the site's static/"
            ))
        })
    }
}

/// The `import_map()` function of templates: a `<script type="importmap">`
/// that maps every static JavaScript file's plain URL to its fingerprinted
/// one, so that `import … from "./zhiku-tokenize.js"` in a module loads
/// this build's file. It goes before the page's first module script.
/// Browsers without import maps load the plain URLs.
pub struct ImportMap(pub Fingerprints);

impl tera::Function<TeraResult<String>> for ImportMap {
    fn call(&self, _: Kwargs, _: &State) -> TeraResult<String> {
        Ok(import_map(&self.0))
    }

    /// Made here from percent-encoded paths, with `<` escaped in the JSON.
    fn is_safe(&self) -> bool {
        true
    }
}

fn import_map(fingerprints: &Fingerprints) -> String {
    let imports: serde_json::Map<String, serde_json::Value> = fingerprints
        .0
        .iter()
        .filter(|(path, _)| path.ends_with(".js") || path.ends_with(".mjs"))
        .map(|(path, url)| (format!("/{}", encode_url_path(path)), url.clone().into()))
        .collect();
    let json = serde_json::json!({ "imports": imports }).to_string().replace('<', "\\u003c");
    format!("<script type=\"importmap\">{json}</script>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_crc32_of_the_bytes() {
        let fingerprints =
            Fingerprints::of(&[OutputFile::text("zhiku.css", "p{}"), OutputFile::text("图 标#1.svg", "<svg/>")]);
        assert_eq!(fingerprints.0["zhiku.css"], format!("/zhiku.css?h={:08x}", crc32fast::hash(b"p{}")));
        assert_eq!(
            fingerprints.0["图 标#1.svg"],
            format!("/%E5%9B%BE%20%E6%A0%87%231.svg?h={:08x}", crc32fast::hash(b"<svg/>"))
        );
        let changed = Fingerprints::of(&[OutputFile::text("zhiku.css", "p{ }")]);
        assert_ne!(changed.0["zhiku.css"], fingerprints.0["zhiku.css"]);
    }

    #[test]
    fn the_import_map_holds_the_scripts() {
        let fingerprints = Fingerprints::of(&[
            OutputFile::text("zhiku-search.js", "import \"./zhiku-tokenize.js\";"),
            OutputFile::text("zhiku-tokenize.js", "export {};"),
            OutputFile::text("lib/x.mjs", "export {};"),
            OutputFile::text("zhiku.css", "p{}"),
            OutputFile::text("<x>.js", ""),
        ]);
        let map = import_map(&fingerprints);
        let json = map.strip_prefix("<script type=\"importmap\">").and_then(|m| m.strip_suffix("</script>")).unwrap();
        assert!(!json.contains('<'), "{json}");
        let imports: BTreeMap<String, String> =
            serde_json::from_value(serde_json::from_str::<serde_json::Value>(json).unwrap()["imports"].clone())
                .unwrap();
        let hash = |text: &str| format!("{:08x}", crc32fast::hash(text.as_bytes()));
        assert_eq!(
            imports,
            BTreeMap::from([
                ("/%3Cx%3E.js".to_string(), format!("/%3Cx%3E.js?h={}", hash(""))),
                ("/lib/x.mjs".to_string(), format!("/lib/x.mjs?h={}", hash("export {};"))),
                (
                    "/zhiku-search.js".to_string(),
                    format!("/zhiku-search.js?h={}", hash("import \"./zhiku-tokenize.js\";"))
                ),
                ("/zhiku-tokenize.js".to_string(), format!("/zhiku-tokenize.js?h={}", hash("export {};"))),
            ])
        );
    }
}
