//! The names of the generated people and the 50 MB people file the
//! `validate` and `plan` benches both measure.

use std::fmt::Write as _;

pub const FIRST: &[&str] = &[
    "Jane", "Max", "Zoë", "Tomás", "Giulia", "Kwame", "Aiko", "Søren", "Priya", "Lena",
];
pub const LAST: &[&str] = &[
    "Doe",
    "Mustermann",
    "Horvat",
    "Bianchi",
    "Mensah",
    "Tanaka",
    "Nørgaard",
    "Iyer",
    "Weiß",
];
pub const TITLES: &[&str] = &[
    "Account Executive",
    "Head of Product",
    "Support Engineer",
    "Field Technician",
    "Partner Manager",
];

/// One people file of at least 50,000,000 bytes (356,100 people), and how
/// many people it holds.
pub fn fifty_megabytes() -> (String, usize) {
    let mut text = String::from("people:\n");
    let mut n = 0;
    while text.len() < 50_000_000 {
        let _ = write!(
            text,
            "  - firstName: {first}\n    lastName: {last}\n    emails: [p{n}@acme.example]\n    jobTitle: {title}\n    phoneNumber: \"+49301{n:07}\"\n",
            first = FIRST[n % FIRST.len()],
            last = LAST[n % LAST.len()],
            title = TITLES[n % TITLES.len()],
        );
        n += 1;
    }
    (text, n)
}
