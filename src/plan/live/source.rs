//! The reads a plan makes of the CRM, and the API client making them.

use std::future::Future;

use crate::api::object::ObjectSlug;
use crate::api::{ApiError, Client, Company, ObjectSchema, Person};

/// The reads a plan makes of the CRM. Plan owns this seam, so that how it
/// reads can be tested against a fake that counts calls; the API client
/// implements it below.
pub trait LiveSource: Sync {
    /// `GET /crm/objects/{slug}`: the object's attributes, their types and
    /// options.
    fn object_schema_of(
        &self,
        object: ObjectSlug,
    ) -> impl Future<Output = Result<ObjectSchema, ApiError>> + Send;
    /// How many people the CRM holds (one small request).
    fn total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// Every person, a page at a time, handed to `visit` in the API's
    /// order as it arrives (a person may come twice, on two pages).
    fn list_pages(
        &self,
        visit: impl FnMut(Vec<Person>) + Send,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// The people whose names, emails or phone number contain `text`.
    fn search(&self, text: &str) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send;
    /// How many companies the CRM holds (one small request).
    fn companies_total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// Every company, page by page.
    fn list_companies(&self) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send;
    /// The companies whose name or domain contains `text`.
    fn search_companies(
        &self,
        text: &str,
    ) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send;
    /// The company with this id; `None` when the CRM holds none (404).
    fn company(&self, id: &str) -> impl Future<Output = Result<Option<Company>, ApiError>> + Send;
}

impl LiveSource for Client {
    fn object_schema_of(
        &self,
        object: ObjectSlug,
    ) -> impl Future<Output = Result<ObjectSchema, ApiError>> + Send {
        Client::object_schema_of(self, object)
    }

    fn total(&self) -> impl Future<Output = Result<u64, ApiError>> + Send {
        Client::total(self)
    }

    fn list_pages(
        &self,
        visit: impl FnMut(Vec<Person>) + Send,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        Client::list_pages(self, visit)
    }

    fn search(&self, text: &str) -> impl Future<Output = Result<Vec<Person>, ApiError>> + Send {
        Client::search(self, text)
    }

    async fn companies_total(&self) -> Result<u64, ApiError> {
        Ok(self.companies_page(1, 1, None).await?.pagination.total)
    }

    fn list_companies(&self) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send {
        Client::list_companies(self)
    }

    fn search_companies(
        &self,
        text: &str,
    ) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send {
        Client::search_companies(self, text)
    }

    async fn company(&self, id: &str) -> Result<Option<Company>, ApiError> {
        match self.get_company(id).await {
            Ok(company) => Ok(Some(company)),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}
