//! Counts in what zeeg prints: `1 person`, `2 people`. One helper, so that
//! no output says "1 people".

/// `n` and the noun that agrees with it: `counted(1, "company", "companies")`
/// is `1 company`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", agreeing(n, one, many))
}

/// The word that agrees with `n`, without it: `agreeing(2, "holds", "hold")`
/// is `hold`, for the verbs and nouns of a sentence that counts elsewhere.
pub fn agreeing<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The parts as a list in prose: `a`, `a and b`, `a, b and c`.
pub fn and_joined<S: AsRef<str>>(parts: &[S]) -> String {
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.as_ref().to_string(),
        Some((last, rest)) => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{agreeing, and_joined, counted};

    #[test]
    fn lists_read_as_prose() {
        let parts = |n: usize| -> Vec<String> {
            ["a", "b", "c"][..n].iter().map(|p| p.to_string()).collect()
        };
        assert_eq!(and_joined(&parts(0)), "");
        assert_eq!(and_joined(&parts(1)), "a");
        assert_eq!(and_joined(&parts(2)), "a and b");
        assert_eq!(and_joined(&parts(3)), "a, b and c");
    }

    #[test]
    fn the_noun_agrees_with_the_count() {
        assert_eq!(counted(0, "person", "people"), "0 people");
        assert_eq!(counted(1, "person", "people"), "1 person");
        assert_eq!(counted(2, "file", "files"), "2 files");
        assert_eq!(agreeing(1, "holds", "hold"), "holds");
        assert_eq!(agreeing(0, "holds", "hold"), "hold");
    }
}
