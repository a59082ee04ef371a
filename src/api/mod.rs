//! The HTTP client of the Zeeg CRM API, and the wire model it shares with the
//! sandbox. All knowledge of endpoints and assumed behaviours lives here.

pub mod model;

pub use model::{
    Attribute, Company, ErrorBody, ListResponse, ObjectSchema, Pagination, Person, PersonEnvelope,
    Socials,
};
