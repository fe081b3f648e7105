//! Cache busting for the theme's and the site's static files, as Zola's
//! `get_url(…, cachebust=true)` and Hugo's fingerprints do: templates link
//! each file with `?h=` a fingerprint of its bytes ([`asset_url`]), and an
//! ES module's imports of other static files carry theirs, so a browser or
//! CDN holding an earlier build's script or style sheet never serves it to
//! pages of this build. Files keep their names; servers ignore the query.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tera::{Kwargs, State, TeraResult};

use crate::html::escape_attr;
use crate::render::OutputFile;

/// Static path → fingerprint (8 hex digits).
pub type Fingerprints = Arc<BTreeMap<String, String>>;

/// Gives every import in `files`' JavaScript modules of another of `files`
/// that file's `?h=`, then fingerprints each file as it will be published.
/// A module is fingerprinted after the modules it imports, so a change
/// anywhere below it changes its URL too. Imports into a cycle of modules
/// that import each other are left as written.
pub fn fingerprint(files: &mut [OutputFile]) -> Fingerprints {
    let by_path: BTreeMap<String, usize> = files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
    let imports: Vec<Vec<Import>> = files.iter().map(|f| module_imports(f, &by_path)).collect();
    let mut fingerprints: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: BTreeSet<usize> = (0..files.len()).collect();
    loop {
        let ready: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&i| imports[i].iter().all(|import| fingerprints.contains_key(&import.target)))
            .collect();
        let cycle = ready.is_empty();
        // In a cycle, each module is published with what is known.
        let now = if cycle { pending.iter().copied().collect() } else { ready };
        for i in now {
            stamp_imports(&mut files[i].bytes, &imports[i], &fingerprints);
            fingerprints.insert(files[i].path.clone(), hex(&files[i].bytes));
            pending.remove(&i);
        }
        if pending.is_empty() {
            return Arc::new(fingerprints);
        }
    }
}

/// The `asset_url(path="zhiku.css")` function of templates: the root
/// URL of a static file with its fingerprint. An unknown path fails the
/// render, so a misspelt name is found at build time.
pub struct AssetUrl(pub Fingerprints);

impl tera::Function<TeraResult<String>> for AssetUrl {
    fn call(&self, kwargs: Kwargs, _: &State) -> TeraResult<String> {
        let path = kwargs.must_get::<&str>("path")?.trim_start_matches('/');
        match self.0.get(path) {
            Some(fingerprint) => Ok(format!("/{}?h={fingerprint}", escape_attr(path))),
            None => Err(tera::Error::message(format!(
                "asset_url: `{path}` is not a static file of the theme or of the site's static/"
            ))),
        }
    }

    /// Escaped here: the fingerprint is hex, the path a file name.
    fn is_safe(&self) -> bool {
        true
    }
}

fn hex(bytes: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(bytes))
}

/// A module specifier naming another static file: the byte offset where
/// its closing quote is, and the file.
struct Import {
    end: usize,
    target: String,
}

/// The imports (`import … from "./x.js"`, `import "./x.js"`,
/// `import("./x.js")`) of `file`, when it is a JavaScript module, that name
/// another of the static files.
fn module_imports(file: &OutputFile, by_path: &BTreeMap<String, usize>) -> Vec<Import> {
    if !(file.path.ends_with(".js") || file.path.ends_with(".mjs")) {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(&file.bytes) else { return Vec::new() };
    let mut found = Vec::new();
    for (at, quote) in text.char_indices().filter(|(_, c)| *c == '"' || *c == '\'') {
        let before = text[..at].trim_end();
        let introduced = before.ends_with("from")
            || before.ends_with("import")
            || before.strip_suffix('(').is_some_and(|b| b.trim_end().ends_with("import"));
        if !introduced {
            continue;
        }
        let Some(length) = text[at + 1..].find(quote) else { continue };
        let specifier = &text[at + 1..at + 1 + length];
        if let Some(target) = resolve(&file.path, specifier).filter(|t| *t != file.path && by_path.contains_key(t)) {
            found.push(Import { end: at + 1 + length, target });
        }
    }
    found
}

/// The static path a module at `from` means by `specifier`, if it is a
/// relative or root path.
fn resolve(from: &str, specifier: &str) -> Option<String> {
    let mut parts: Vec<&str> = if let Some(rooted) = specifier.strip_prefix('/') {
        return Some(rooted.to_string()).filter(|p| !p.is_empty());
    } else if specifier.starts_with("./") || specifier.starts_with("../") {
        from.split('/').collect()
    } else {
        return None;
    };
    parts.pop(); // the module's own name
    for part in specifier.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Appends `?h=` and the fingerprint of its file to each import whose file
/// has one.
fn stamp_imports(bytes: &mut Vec<u8>, imports: &[Import], fingerprints: &BTreeMap<String, String>) {
    for import in imports.iter().rev() {
        if let Some(fingerprint) = fingerprints.get(&import.target) {
            let query = format!("?h={fingerprint}");
            bytes.splice(import.end..import.end, query.bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    fn text(files: &[OutputFile], path: &str) -> String {
        String::from_utf8(files.iter().find(|f| f.path == path).unwrap().bytes.clone()).unwrap()
    }

    #[test]
    fn imports_carry_the_fingerprint_of_what_they_import() {
        let mut files = vec![
            file(
                "app.js",
                "import { a } from \"./lib/a.js\";\nconst b = await import('/b.js');\nimport \"./style.css\";\nfetch(\"./b.js\");\nimport x from \"https://cdn.example/x.js\";",
            ),
            file("lib/a.js", "export * from \"../b.js\";\nexport const a = 1;"),
            file("b.js", "export const b = 2;"),
            file("style.css", "p{}"),
        ];
        let fingerprints = fingerprint(&mut files);
        let [a, b, css] = ["lib/a.js", "b.js", "style.css"].map(|p| fingerprints[p].clone());
        assert_eq!(text(&files, "b.js"), "export const b = 2;");
        assert_eq!(b, hex(b"export const b = 2;"));
        assert_eq!(text(&files, "lib/a.js"), format!("export * from \"../b.js?h={b}\";\nexport const a = 1;"));
        assert_eq!(
            text(&files, "app.js"),
            format!(
                "import {{ a }} from \"./lib/a.js?h={a}\";\nconst b = await import('/b.js?h={b}');\n\
                 import \"./style.css?h={css}\";\nfetch(\"./b.js\");\nimport x from \"https://cdn.example/x.js\";"
            )
        );
        assert_eq!(fingerprints["app.js"], hex(text(&files, "app.js").as_bytes()));
    }

    #[test]
    fn a_change_below_a_module_changes_its_fingerprint() {
        let site = |b: &str| {
            let mut files =
                vec![file("a.js", "import \"./b.js\";"), file("b.js", "import \"./c.js\";"), file("c.js", b)];
            fingerprint(&mut files)["a.js"].clone()
        };
        assert_ne!(site("1"), site("2"));
        assert_eq!(site("1"), site("1"));
    }

    #[test]
    fn modules_in_a_cycle_are_published() {
        let mut files = vec![file("a.js", "import \"./b.js\";"), file("b.js", "import \"./a.js\";")];
        let fingerprints = fingerprint(&mut files);
        assert_eq!(fingerprints.len(), 2);
        assert_eq!(text(&files, "a.js"), "import \"./b.js\";");
    }

    #[test]
    fn paths_resolve_from_the_module() {
        assert_eq!(resolve("js/app.js", "./x.js").as_deref(), Some("js/x.js"));
        assert_eq!(resolve("js/app.js", "../x.js").as_deref(), Some("x.js"));
        assert_eq!(resolve("app.js", "../x.js"), None);
        assert_eq!(resolve("app.js", "/js/x.js").as_deref(), Some("js/x.js"));
        assert_eq!(resolve("app.js", "lodash"), None);
    }
}
