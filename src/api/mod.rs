//! The HTTP client of the Zeeg CRM API, and the wire model it shares with the
//! sandbox. All knowledge of endpoints and assumed behaviours lives here; the
//! assumptions themselves sit together in [`assumed`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), zeeg::api::ApiError> {
//! use zeeg::api::{Client, ClientConfig, Token};
//! let token = Token::load(None)?; // ZEEG_API_TOKEN
//! let client = Client::new(ClientConfig::new(token))?;
//! let everyone = client.list_all().await?;
//! println!("{} people, {} requests", everyone.len(), client.stats().requests);
//! # Ok(()) }
//! ```

pub mod assumed;
pub mod attribute;
pub mod client;
pub mod destination;
pub mod error;
pub mod model;
pub mod object;
pub mod pace;
pub mod retry;
mod surrogate;
pub mod token;

pub use attribute::{AttributeType, ValueProblem, ValueRefusal};
pub use client::{
    AssertedCompany, Client, ClientConfig, ClientStats, Notices, RawAnswer, TryFailure, Upserted,
};
pub use error::{ApiError, FieldError, Scope};
pub use model::{
    Attribute, Company, CompanyEnvelope, CompanyRef, ErrorBody, ListResponse, ObjectSchema,
    Pagination, Person, PersonEnvelope, Socials,
};
pub use object::{
    AttributeOption, AttributePatch, NewAttribute, NewOption, ObjectSlug, OptionPatch, derive_key,
    derive_key_among,
};
pub use pace::{PaceConfig, Pacer};
pub use retry::{Cause, Retry, RetryPolicy};
pub use token::{TOKEN_ENV, Token};
