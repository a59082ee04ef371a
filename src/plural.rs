//! Counts in what zeeg prints: `1 person`, `2 people`. One helper, so that
//! no output says "1 people".

/// `n` and the noun that agrees with it: `counted(1, "company", "companies")`
/// is `1 company`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn the_noun_agrees_with_the_count() {
        assert_eq!(counted(0, "person", "people"), "0 people");
        assert_eq!(counted(1, "person", "people"), "1 person");
        assert_eq!(counted(2, "file", "files"), "2 files");
    }
}
