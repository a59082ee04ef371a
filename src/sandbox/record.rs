//! A stored person as a few compact bytes, read back on demand.
//!
//! The sandbox holds every person of a workspace in memory. As a [`Person`]
//! (every text an allocation of its own, the custom attributes a
//! `serde_json` map) one took about 1.2 KB; as the JSON the API answers
//! with, about 420 bytes, most of them keys and nulls. Encoded here it takes
//! the length of its texts and little more: no keys, one bit for each field
//! that is absent, a UUID id as its 16 bytes, an `updatedAt` equal to
//! `createdAt` as one byte. A request decodes the one person it needs; a
//! scan (a search, an index built the first time a slug is matched on)
//! reads the texts in place without allocating.

use std::cmp::Ordering;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::api::model::{CompanyRef, Person};
use crate::person::{SCALAR_FIELDS, SOCIAL_NETWORKS};

const SCALARS: usize = SCALAR_FIELDS.len();
const SOCIALS: usize = SOCIAL_NETWORKS.len();

/// Bits of the presence flags after the scalars and the socials.
const COMPANY: u32 = 1 << (SCALARS + SOCIALS);
const COMPANY_NAME: u32 = COMPANY << 1;
const COMPANY_DOMAIN: u32 = COMPANY << 2;
const CUSTOM: u32 = COMPANY << 3;
const _: () = assert!(SCALARS + SOCIALS + 4 <= 32, "the presence flags fit a u32");

/// The tag of an id or an `updatedAt`: how the text that follows is kept.
const TEXT: u8 = 0;
const UUID: u8 = 1;
const SAME_AS_CREATED: u8 = 2;

/// One person, encoded (see the module's docs for the layout).
pub(crate) struct Record {
    bytes: Box<[u8]>,
    /// `createdAt` in seconds, the first key of the list order.
    pub created: i64,
}

impl Record {
    /// `person`, encoded; `created` is its `createdAt` in seconds.
    pub(crate) fn new(person: &Person, created: i64) -> Record {
        Record {
            bytes: encode(person),
            created,
        }
    }

    /// The fields, read in place.
    pub(crate) fn view(&self) -> View<'_> {
        View::read(&self.bytes)
    }

    /// The id alone, read without the rest: what the list order and the
    /// id index look at.
    pub(crate) fn id(&self) -> Id<'_> {
        Reader { bytes: &self.bytes }.id()
    }

    #[cfg(test)]
    /// The bytes it takes on the heap, for the store's own account.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// A person's id as stored: the 16 bytes of a UUID written in its usual
/// lower-case form, or any other text as it is.
#[derive(Clone, Copy)]
pub(crate) enum Id<'a> {
    Uuid(Uuid),
    Text(&'a str),
}

impl Id<'_> {
    /// The id as text, written on the stack for a UUID.
    pub(crate) fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Id::Uuid(uuid) => f(uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer())),
            Id::Text(text) => f(text),
        }
    }

    pub(crate) fn is(&self, id: &str) -> bool {
        self.with_str(|own| own == id)
    }

    /// The order of the ids as texts.
    pub(crate) fn cmp(&self, other: &Id<'_>) -> Ordering {
        match (self, other) {
            // Lower-case hex orders as the bytes it stands for.
            (Id::Uuid(a), Id::Uuid(b)) => a.cmp(b),
            _ => self.with_str(|a| other.with_str(|b| a.cmp(b))),
        }
    }
}

/// A stored person's fields, borrowed from its bytes.
pub(crate) struct View<'a> {
    pub id: Id<'a>,
    created_at: &'a str,
    /// `None` when it is `createdAt`.
    updated_at: Option<&'a str>,
    scalars: [Option<&'a str>; SCALARS],
    socials: [Option<&'a str>; SOCIALS],
    emails: Texts<'a>,
    company: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
    /// Compact JSON of the custom attributes; empty for none.
    custom: &'a str,
}

impl<'a> View<'a> {
    fn read(bytes: &'a [u8]) -> View<'a> {
        let mut r = Reader { bytes };
        let id = r.id();
        let created_at = r.text();
        let updated_at = match r.byte() {
            SAME_AS_CREATED => None,
            _ => Some(r.text()),
        };
        let flags = u32::from_le_bytes(r.take(4).try_into().unwrap_or_default());
        let mut bit = 0;
        let mut optional = |r: &mut Reader<'a>| {
            let present = flags & (1 << bit) != 0;
            bit += 1;
            present.then(|| r.text())
        };
        let scalars = std::array::from_fn(|_| optional(&mut r));
        let socials = std::array::from_fn(|_| optional(&mut r));
        let emails = r.texts();
        let company = (flags & COMPANY != 0).then(|| {
            let id = r.text();
            let name = (flags & COMPANY_NAME != 0).then(|| r.text());
            let domain = (flags & COMPANY_DOMAIN != 0).then(|| r.text());
            (id, name, domain)
        });
        let custom = if flags & CUSTOM != 0 { r.text() } else { "" };
        View {
            id,
            created_at,
            updated_at,
            scalars,
            socials,
            emails,
            company,
            custom,
        }
    }

    /// A standard string field by JSON name (see [`Person::scalar`]).
    pub(crate) fn scalar(&self, name: &str) -> Option<&'a str> {
        let at = SCALAR_FIELDS.iter().position(|field| *field == name)?;
        self.scalars[at]
    }

    pub(crate) fn emails(&self) -> Texts<'a> {
        self.emails
    }

    /// The id of the company the person is linked to.
    pub(crate) fn company_id(&self) -> Option<&'a str> {
        self.company.map(|(id, _, _)| id)
    }

    /// The custom attributes, parsed.
    pub(crate) fn custom_attributes(&self) -> Map<String, Value> {
        if self.custom.is_empty() {
            return Map::new();
        }
        // Cannot fail: the text was written from a map by `encode`.
        serde_json::from_str(self.custom).unwrap_or_default()
    }

    /// The whole person, decoded.
    pub(crate) fn person(&self) -> Person {
        let owned = |text: Option<&str>| text.map(str::to_string);
        let mut person = crate::sandbox::store::blank_person(
            self.id.with_str(str::to_string),
            self.created_at.to_string(),
        );
        if let Some(updated_at) = self.updated_at {
            person.updated_at = updated_at.to_string();
        }
        for (name, value) in SCALAR_FIELDS.iter().zip(self.scalars) {
            if let Some(slot) = person.scalar_mut(name) {
                *slot = owned(value);
            }
        }
        for (name, value) in SOCIAL_NETWORKS.iter().zip(self.socials) {
            if let Some(slot) = person.socials.get_mut(name) {
                *slot = owned(value);
            }
        }
        person.emails = self.emails.map(str::to_string).collect();
        person.company = self.company.map(|(id, name, domain)| CompanyRef {
            id: id.to_string(),
            name: owned(name),
            domain: owned(domain),
        });
        person.custom_attributes = self.custom_attributes();
        person
    }
}

/// The person's JSON as the API answers with it, written straight from the
/// bytes: a list page of 100 decodes no `Person`. The fields are those of
/// [`Person`] in its order (a test holds the two together).
impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `emails` follows the first three scalars.
        let (names, scalars) = (SCALAR_FIELDS.split_at(3), self.scalars.split_at(3));
        let mut out = serializer.serialize_struct("Person", 15)?;
        self.id.with_str(|id| out.serialize_field("id", id))?;
        for (name, value) in names.0.iter().zip(scalars.0) {
            out.serialize_field(name, value)?;
        }
        out.serialize_field("emails", &Seq(self.emails))?;
        for (name, value) in names.1.iter().zip(scalars.1) {
            out.serialize_field(name, value)?;
        }
        out.serialize_field("company", &self.company.map(CompanyJson))?;
        out.serialize_field("socials", &SocialsJson(self.socials))?;
        out.serialize_field("customAttributes", &self.custom_attributes())?;
        out.serialize_field("createdAt", self.created_at)?;
        out.serialize_field("updatedAt", self.updated_at.unwrap_or(self.created_at))?;
        out.end()
    }
}

struct Seq<'a>(Texts<'a>);

impl Serialize for Seq<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0)
    }
}

/// As [`CompanyRef`] serializes.
struct CompanyJson<'a>((&'a str, Option<&'a str>, Option<&'a str>));

impl Serialize for CompanyJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (id, name, domain) = self.0;
        let mut out = serializer.serialize_struct("CompanyRef", 3)?;
        out.serialize_field("id", id)?;
        out.serialize_field("name", &name)?;
        out.serialize_field("domain", &domain)?;
        out.end()
    }
}

/// As [`crate::api::model::Socials`] serializes: every network, null when unset.
struct SocialsJson<'a>([Option<&'a str>; SOCIALS]);

impl Serialize for SocialsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Socials", SOCIALS)?;
        for (name, value) in SOCIAL_NETWORKS.iter().zip(self.0) {
            out.serialize_field(name, &value)?;
        }
        out.end()
    }
}

/// A list of texts read in place, such as a person's emails.
#[derive(Clone, Copy)]
pub(crate) struct Texts<'a> {
    left: usize,
    reader: Reader<'a>,
}

impl<'a> Iterator for Texts<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.left = self.left.checked_sub(1)?;
        Some(self.reader.text())
    }
}

fn encode(person: &Person) -> Box<[u8]> {
    let mut w = Writer(Vec::with_capacity(128));
    match Uuid::try_parse(&person.id) {
        Ok(uuid) if Id::Uuid(uuid).is(&person.id) => {
            w.0.push(UUID);
            w.0.extend_from_slice(uuid.as_bytes());
        }
        _ => {
            w.0.push(TEXT);
            w.text(&person.id);
        }
    }
    w.text(&person.created_at);
    if person.updated_at == person.created_at {
        w.0.push(SAME_AS_CREATED);
    } else {
        w.0.push(TEXT);
        w.text(&person.updated_at);
    }
    let scalars = SCALAR_FIELDS.iter().map(|name| person.scalar(name));
    let socials = SOCIAL_NETWORKS.iter().map(|name| person.socials.get(name));
    let texts: Vec<Option<&str>> = scalars.chain(socials).collect();
    let company = person.company.as_ref();
    let mut flags = texts
        .iter()
        .enumerate()
        .filter(|(_, text)| text.is_some())
        .fold(0u32, |flags, (bit, _)| flags | 1 << bit);
    for (present, flag) in [
        (company.is_some(), COMPANY),
        (company.is_some_and(|c| c.name.is_some()), COMPANY_NAME),
        (company.is_some_and(|c| c.domain.is_some()), COMPANY_DOMAIN),
        (!person.custom_attributes.is_empty(), CUSTOM),
    ] {
        if present {
            flags |= flag;
        }
    }
    w.0.extend_from_slice(&flags.to_le_bytes());
    for text in texts.into_iter().flatten() {
        w.text(text);
    }
    w.varint(person.emails.len());
    for email in &person.emails {
        w.text(email);
    }
    if let Some(company) = company {
        w.text(&company.id);
        for text in [&company.name, &company.domain].into_iter().flatten() {
            w.text(text);
        }
    }
    if !person.custom_attributes.is_empty() {
        // A map of JSON values always serializes.
        w.text(&serde_json::to_string(&person.custom_attributes).unwrap_or_default());
    }
    w.0.into_boxed_slice()
}

struct Writer(Vec<u8>);

impl Writer {
    /// LEB128: seven bits a byte, low bits first.
    fn varint(&mut self, mut n: usize) {
        while n >= 0x80 {
            self.0.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn text(&mut self, text: &str) {
        self.varint(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }
}

/// Reads what [`Writer`] wrote. The bytes are the store's own, so they are
/// always well formed; were they not, a read gives empty values rather than
/// a panic.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or_default()
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        head
    }

    fn varint(&mut self) -> usize {
        let mut n = 0usize;
        for shift in (0..usize::BITS).step_by(7) {
            let byte = self.byte();
            n |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        n
    }

    fn text(&mut self) -> &'a str {
        let len = self.varint();
        std::str::from_utf8(self.take(len)).unwrap_or_default()
    }

    fn id(&mut self) -> Id<'a> {
        match self.byte() {
            UUID => Id::Uuid(Uuid::from_bytes(
                self.take(16).try_into().unwrap_or_default(),
            )),
            _ => Id::Text(self.text()),
        }
    }

    fn texts(&mut self) -> Texts<'a> {
        let left = self.varint();
        let texts = Texts {
            left,
            reader: *self,
        };
        for _ in 0..left {
            self.text();
        }
        texts
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sandbox::store::blank_person;

    fn full_person() -> Person {
        let mut person = blank_person(
            "0190b0e4-7c1a-7d3e-9f00-0123456789ab".into(),
            "2026-12-03T10:00:00+00:00".into(),
        );
        person.updated_at = "2026-12-03T11:00:00+00:00".into();
        for (i, name) in SCALAR_FIELDS.iter().enumerate() {
            *person.scalar_mut(name).unwrap() = Some(format!("{name} {i} ü"));
        }
        person.socials.twitter = Some("@jane".into());
        person.socials.instagram = Some(String::new());
        person.emails = vec!["Jane@Example.com".into(), "j@x.org".into()];
        person.company = Some(CompanyRef {
            id: "c1".into(),
            name: None,
            domain: Some("acme.example".into()),
        });
        person.custom_attributes = json!({"tier": "gold", "n": 1.5, "list": ["a", null]})
            .as_object()
            .unwrap()
            .clone();
        person
    }

    #[test]
    fn a_person_reads_back_as_it_was_written() {
        let mut sparse = blank_person("not-a-uuid".into(), "2026-01-01T00:00:00Z".into());
        sparse.first_name = Some("A".repeat(300));
        let upper = blank_person(
            "0190B0E4-7C1A-7D3E-9F00-0123456789AB".into(),
            "2026-12-03T10:00:00+00:00".into(),
        );
        for person in [full_person(), sparse, upper] {
            let record = Record::new(&person, 7);
            let back = record.view().person();
            assert_eq!(back, person);
            let json = serde_json::to_string(&person).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
            assert_eq!(
                serde_json::to_string(&record.view()).unwrap(),
                json,
                "the answer's bytes, keys in order"
            );
        }
    }

    #[test]
    fn the_view_reads_fields_in_place() {
        let person = full_person();
        let record = Record::new(&person, 7);
        let view = record.view();
        assert!(view.id.is("0190b0e4-7c1a-7d3e-9f00-0123456789ab"));
        assert!(record.id().is("0190b0e4-7c1a-7d3e-9f00-0123456789ab"));
        assert!(matches!(view.id, Id::Uuid(_)), "a UUID takes 16 bytes");
        assert_eq!(view.scalar("jobTitle"), person.job_title.as_deref());
        assert_eq!(view.scalar("nickname"), None);
        assert_eq!(
            view.emails().collect::<Vec<_>>(),
            ["Jane@Example.com", "j@x.org"]
        );
        assert_eq!(view.company_id(), Some("c1"));
        assert_eq!(view.custom_attributes(), person.custom_attributes);
    }

    #[test]
    fn ids_order_as_their_texts() {
        let a = Uuid::parse_str("0190b0e4-7c1a-7d3e-9f00-0123456789ab").unwrap();
        let b = Uuid::parse_str("0190b0e4-7c1a-7d3e-9f00-a123456789ab").unwrap();
        assert_eq!(Id::Uuid(a).cmp(&Id::Uuid(b)), Ordering::Less);
        assert_eq!(
            Id::Uuid(b).cmp(&Id::Text("0190b0e4-7c1a-7d3e-9f00-0")),
            Ordering::Greater
        );
        assert_eq!(Id::Text("p1").cmp(&Id::Text("p2")), Ordering::Less);
    }

    #[test]
    fn a_record_is_its_texts_and_a_few_bytes() {
        let mut person = blank_person(
            Uuid::now_v7().to_string(),
            "2026-12-03T10:00:00+00:00".into(),
        );
        person.first_name = Some("Giulia".into());
        person.last_name = Some("Nørgaard".into());
        person.emails = vec!["p123456@acme.example".into()];
        person.job_title = Some("Account Executive".into());
        person.phone_number = Some("+493010123456".into());
        let texts = [
            &person.created_at,
            &person.emails[0],
            &person.job_title.clone().unwrap_or_default(),
        ]
        .iter()
        .map(|text| text.len())
        .sum::<usize>()
            + "Giulia".len()
            + "Nørgaard".len()
            + "+493010123456".len();
        // Tag and UUID, `updatedAt`'s tag, the flags, a length for each of
        // the six texts, the count of emails.
        let overhead = 17 + 1 + 4 + 6 + 1;
        let record = Record::new(&person, 0);
        assert_eq!(record.heap_bytes(), texts + overhead);
        let json = serde_json::to_string(&person).unwrap();
        assert!(
            json.len() > 3 * record.heap_bytes(),
            "JSON: {} bytes",
            json.len()
        );
    }
}
