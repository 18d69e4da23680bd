//! Collision-free names for generated variables.
//!
//! Every identifier that appears anywhere in the user's function is reserved, so a generated
//! name (`t0`, `bar_x`, `v`) can never capture or shadow a user's variable, constant or
//! function. User variables keep their own names where they can; a shadowing `let` or a
//! reassignment gets a numbered variant (`x_1`), because the reverse sweep reads every version.

use proc_macro2::{Span, TokenStream, TokenTree};
use std::collections::HashSet;
use syn::Ident;

/// Hands out names that collide with nothing in the user's function nor with each other.
pub struct Namer {
    reserved: HashSet<String>,
    taken: HashSet<String>,
    temps: usize,
    /// The next suffix to try for each base name.
    suffixes: std::collections::HashMap<String, usize>,
    /// For each numbered version of a user's binding (`x_1`), the user's name (`x`).
    versions: std::collections::HashMap<String, String>,
}

impl Namer {
    /// A namer that avoids every identifier in `tokens`.
    pub fn new(tokens: TokenStream) -> Self {
        let mut reserved = HashSet::new();
        collect_idents(tokens, &mut reserved);
        Namer {
            reserved,
            taken: HashSet::new(),
            temps: 0,
            suffixes: std::collections::HashMap::new(),
            versions: std::collections::HashMap::new(),
        }
    }

    /// For each numbered version of a user's binding handed out by [`Namer::user`] (`x_1`),
    /// the user's name (`x`), so that messages can name what the user wrote.
    pub fn versions(&self) -> &std::collections::HashMap<String, String> {
        &self.versions
    }

    fn free(&self, name: &str) -> bool {
        !self.reserved.contains(name) && !self.taken.contains(name) && is_ident(name)
    }

    fn take(&mut self, name: String, span: Span) -> Ident {
        self.taken.insert(name.clone());
        // A keyword used as a name (`r#fn`) stays a raw identifier.
        if is_keyword(&name) {
            Ident::new_raw(&name, span)
        } else {
            Ident::new(&name, span)
        }
    }

    /// The name for a user's binding of `name`: the name itself the first time, then `name_1`,
    /// `name_2`, ... for shadowing bindings and reassignments.
    pub fn user(&mut self, name: &str, span: Span) -> Ident {
        let name = name.trim_start_matches("r#");
        if !self.taken.contains(name) {
            return self.take(name.to_string(), span);
        }
        let version = self.fresh(name, span);
        self.versions
            .insert(version.to_string().replace("r#", ""), name.to_string());
        version
    }

    /// `base` if it is free, else the first free `base_N`.
    pub fn fresh(&mut self, base: &str, span: Span) -> Ident {
        let base = base.replace("r#", "");
        let base = base.as_str();
        if self.free(base) {
            return self.take(base.to_string(), span);
        }
        let mut n = self.suffixes.get(base).copied().unwrap_or(1);
        while !self.free(&format!("{base}_{n}")) {
            n += 1;
        }
        self.suffixes.insert(base.to_string(), n + 1);
        self.take(format!("{base}_{n}"), span)
    }

    /// A name for a binding that code written by the macro declares as a user would (the
    /// accumulator of a reduction): `base` or the first free `base_N`, which no fresh name
    /// takes from now on and whose first [`Namer::user`] keeps it as it is.
    pub fn unused(&mut self, base: &str, span: Span) -> Ident {
        let name = self.fresh(base, span);
        let text = name.to_string();
        self.taken.remove(&text);
        self.reserved.insert(text);
        name
    }

    /// The next temporary: `t0`, `t1`, ...
    pub fn temp(&mut self) -> Ident {
        loop {
            let name = format!("t{}", self.temps);
            self.temps += 1;
            if self.free(&name) {
                return self.take(name, Span::call_site());
            }
        }
    }
}

/// True when `name` parses as an identifier (`syn::Ident`: not a keyword, not `_`). An ASCII
/// name is checked by its characters, which is what the generated names are; another one is
/// parsed, as `syn` decides about Unicode identifiers. Parsing every candidate name cost a
/// twentieth of the expansion.
pub(crate) fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    let ascii_shape = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    // The names `syn` refuses besides keywords (`self`, `_`, ...) take the parser's word.
    const SPECIAL: &[&str] = &["_", "crate", "self", "Self", "super"];
    if ascii_shape && !is_keyword(name) && !SPECIAL.contains(&name) {
        return true;
    }
    syn::parse_str::<Ident>(name).is_ok()
}

/// Rust's keywords, which a name can only be as a raw identifier.
fn is_keyword(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use",
        "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
        "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    KEYWORDS.contains(&name)
}

/// Which of `names` are identifiers in `tokens`, at any depth (a raw identifier counts without
/// its `r#`): `found[k]` is set for `names[k]`. Each identifier is printed once and compared,
/// without gathering them all.
pub fn mark_named(tokens: TokenStream, names: &[&str], found: &mut [bool]) {
    for tree in tokens {
        if found.iter().all(|hit| *hit) {
            return;
        }
        match tree {
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                let text = text.trim_start_matches("r#");
                for (name, hit) in names.iter().zip(found.iter_mut()) {
                    *hit |= *name == text;
                }
            }
            TokenTree::Group(group) => mark_named(group.stream(), names, found),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// Adds to `out` every identifier in `tokens`, at any depth (a raw identifier without its
/// `r#`).
pub fn collect_idents(tokens: TokenStream, out: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string().trim_start_matches("r#").to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}
