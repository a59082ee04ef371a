//! Sending a call: retries, pacing, watching, reading the body, and the
//! messages a failed call turns into.

use super::*;

impl Client {
    /// Sends a call, trying again after transient failures as the retry
    /// policy says, and saying so before each wait; returns the status and
    /// body of a 2xx answer.
    pub(super) async fn execute(&self, call: &Call) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let mut tries = 1;
        loop {
            match self.try_call(call, tries).await {
                Ok(answer) => return Ok(answer),
                Err(TryFailure::Failed(error)) => return Err(error),
                Err(TryFailure::Retry(retry)) => {
                    self.notify(&retry.line(&call.describe()));
                    tokio::time::sleep(retry.wait).await;
                    tries = retry.next_try;
                }
            }
        }
    }

    /// One try of a call, number `tries` (from 1): waits for the shared pace,
    /// sends, and reads the answer. A transient failure comes back as the
    /// policy's decision to retry, or as the final error once it says no.
    pub(super) async fn try_call(
        &self,
        call: &Call,
        tries: u32,
    ) -> Result<(StatusCode, Vec<u8>), TryFailure> {
        match self.attempt(call, tries).await {
            Ok(answer) => Ok(answer),
            Err(Failure::Fatal(error)) => Err(TryFailure::Failed(error)),
            Err(Failure::Transient(transient)) => {
                match self.inner.retry.after(&transient.cause, tries) {
                    Some(retry) => Err(TryFailure::Retry(Retry {
                        pace: transient.pace,
                        ..retry
                    })),
                    None => Err(TryFailure::Failed(self.gave_up(call, transient, tries))),
                }
            }
        }
    }

    pub(super) async fn attempt(
        &self,
        call: &Call,
        attempt: u32,
    ) -> Result<(StatusCode, Vec<u8>), Failure> {
        let ticket = self.inner.pacer.ready().await;
        let (status, retry_after, answer, cut) = self.send(call, attempt, ticket).await?;
        if status.is_success() {
            return Ok((status, answer));
        }
        let mut failure = self.refused(call, status, retry_after, &answer);
        if let (true, Failure::Transient(transient)) = (cut, &mut failure) {
            transient.pace = self.inner.pacer.rate();
        }
        Err(failure)
    }

    /// Sends one try and reads its answer, counting it and telling the
    /// shared pace whether the API throttled it.
    pub(super) async fn send(
        &self,
        call: &Call,
        attempt: u32,
        ticket: Ticket,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>, bool), Failure> {
        let url = self.url(call, true);
        let mut request = self.inner.http.request(call.method.clone(), url);
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let counters = &self.inner.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if attempt > 1 {
            counters.retries.fetch_add(1, Ordering::Relaxed);
        }
        let started = Instant::now();
        let (status, retry_after, answer) = self
            .watched(call, async {
                let response = request.send().await.map_err(|e| self.transport(call, e))?;
                let status = response.status();
                let retry_after = retry::retry_after(response.headers(), SystemTime::now());
                let answer = self.read_body(call, response).await?;
                Ok((status, retry_after, answer))
            })
            .await?;
        let cut = if status == StatusCode::TOO_MANY_REQUESTS {
            counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            self.inner.pacer.throttled(ticket)
        } else {
            self.inner.pacer.accepted(ticket);
            false
        };
        tracing::debug!(
            method = %call.method,
            path = %call.path,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            attempt,
            "api request"
        );
        Ok((status, retry_after, answer, cut))
    }

    /// What an answer other than 2xx means: a try to repeat, or an error.
    pub(super) fn refused(
        &self,
        call: &Call,
        status: StatusCode,
        retry_after: Option<Duration>,
        answer: &[u8],
    ) -> Failure {
        // Bodies vary by endpoint: branch on the status, read what is there.
        // What the server wrote is data: the token is cut out of it and its
        // length is capped before it can reach a message.
        let body: ErrorBody = serde_json::from_slice(answer).unwrap_or_default();
        let message = body.text().map(|text| self.server_text(text));
        let code = status.as_u16();
        if assumed::is_transient_status(code) {
            let cause = if code == 429 {
                Cause::RateLimited { retry_after }
            } else {
                Cause::Server { status: code }
            };
            return Failure::Transient(Transient {
                cause,
                pace: None,
                message,
                source: None,
            });
        }
        let request = call.describe();
        Failure::Fatal(match code {
            400 => ApiError::BadRequest { request, message },
            401 => ApiError::Unauthorized { request },
            403 => ApiError::Forbidden {
                request,
                scope: call.scope,
            },
            404 => ApiError::NotFound {
                request,
                // Without the query, which may hold a searched email.
                url: self.shown_url(call),
                message,
            },
            409 => ApiError::Conflict { request, message },
            422 => ApiError::Validation {
                request,
                message,
                errors: self.field_errors(body.errors.unwrap_or_default()),
            },
            _ => ApiError::UnexpectedStatus {
                request,
                status: code,
                message,
            },
        })
    }

    /// Runs a request to its answer, saying every so often that it has had
    /// none yet: a slow server is never silence.
    pub(super) async fn watched<T>(&self, call: &Call, request: impl Future<Output = T>) -> T {
        let every = self.inner.slow_notice;
        tokio::pin!(request);
        let mut waited = Duration::ZERO;
        loop {
            tokio::select! {
                answer = &mut request => return answer,
                () = tokio::time::sleep(every) => {
                    waited += every;
                    self.notify(&format!(
                        "still waiting for an answer to {} after {} (gives up after {})",
                        call.describe(),
                        retry::seconds(waited),
                        retry::seconds(self.inner.request_timeout),
                    ));
                }
            }
        }
    }

    /// Reads a body, refusing one over [`assumed::MAX_RESPONSE_BYTES`]
    /// before it is all in memory: a server streaming forever must not.
    pub(super) async fn read_body(
        &self,
        call: &Call,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, Failure> {
        let limit = assumed::MAX_RESPONSE_BYTES;
        let too_large = || {
            Failure::Fatal(ApiError::ResponseTooLarge {
                url: self.shown_url(call),
                limit: limit / (1024 * 1024),
            })
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(call, e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Text a server sent, made safe to print: without the token (a server
    /// may echo the request's headers) and at most a few hundred characters.
    pub(super) fn server_text(&self, text: &str) -> String {
        let clean = crate::secret::Secrets::new([self.inner.token.expose()]).cut(text);
        let limit = assumed::MAX_SERVER_TEXT_CHARS;
        match clean.char_indices().nth(limit) {
            Some((cut, _)) => format!("{}… (cut at {limit} characters)", &clean[..cut]),
            None => clean,
        }
    }

    /// `{"field": ["message", …]}` as a list; a lone string or any other value
    /// becomes one message, so nothing the API said is lost.
    pub(super) fn field_errors(&self, errors: Map<String, Value>) -> Vec<FieldError> {
        field_errors(errors)
            .into_iter()
            .map(|error| FieldError {
                field: self.server_text(&error.field),
                messages: error.messages.iter().map(|m| self.server_text(m)).collect(),
            })
            .collect()
    }

    pub(super) fn notify(&self, line: &str) {
        self.inner.notices.notify(line);
    }

    /// A request that got no (complete) answer, sorted into what a retry may
    /// mend and what it cannot. The URL is dropped from the error: reqwest's
    /// would include the query string.
    pub(super) fn transport(&self, call: &Call, error: reqwest::Error) -> Failure {
        if error.is_builder() {
            return Failure::Fatal(ApiError::InvalidUrl {
                url: call.path.clone(),
                reason: error.without_url().to_string(),
            });
        }
        let host = self.inner.base.host_str().unwrap_or_default().to_string();
        let cause = match network_cause(&error) {
            NetworkCause::UnknownHost => {
                return Failure::Fatal(ApiError::UnknownHost {
                    host,
                    source: error.without_url(),
                });
            }
            NetworkCause::Certificate(reason) => {
                return Failure::Fatal(ApiError::Certificate {
                    host,
                    reason: self.server_text(&reason),
                });
            }
            NetworkCause::Refused => Cause::Refused,
            NetworkCause::Timeout => Cause::Timeout,
            NetworkCause::Other => Cause::Dropped,
        };
        Failure::Transient(Transient {
            cause,
            pace: None,
            message: None,
            source: Some(error.without_url()),
        })
    }

    /// The error of a call whose last try failed transiently.
    pub(super) fn gave_up(&self, call: &Call, transient: Transient, tries: u32) -> ApiError {
        let Transient {
            cause,
            message,
            source,
            ..
        } = transient;
        let url = self.shown_url(call);
        match (cause, source) {
            (Cause::RateLimited { .. }, _) => ApiError::RateLimited {
                request: call.describe(),
                tries,
            },
            (Cause::Server { status }, _) => ApiError::Server {
                request: call.describe(),
                status,
                tries,
                message,
            },
            (Cause::Timeout, _) => ApiError::Timeout {
                url,
                timeout: retry::seconds(self.inner.request_timeout),
                tries,
            },
            (Cause::Refused, _) => ApiError::Refused { url, tries },
            (Cause::Dropped, Some(source)) => ApiError::Unreachable { url, tries, source },
            (Cause::Dropped, None) => ApiError::Refused { url, tries },
        }
    }

    /// The call's URL as a message names it: without the query, and without
    /// the token, should the base URL hold it (`https://host/v2/TOKEN/`).
    pub(super) fn shown_url(&self, call: &Call) -> String {
        crate::secret::Secrets::new([self.inner.token.expose()]).cut(self.url(call, false).as_str())
    }

    /// The call's URL; without the query string when it is for a message,
    /// since a search query holds contact data.
    pub(super) fn url(&self, call: &Call, with_query: bool) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(&call.segments);
        }
        if with_query && !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }
}

/// One request, described without its body so it can be named in messages.
pub(super) struct Call {
    method: Method,
    /// The path below the base URL, for messages and logs: `/crm/people`.
    path: String,
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    /// Shared with each try's request rather than copied into it.
    body: Option<bytes::Bytes>,
    scope: Scope,
}

impl Call {
    pub(super) fn new(method: Method, path: &str, scope: Scope) -> Call {
        Call {
            method,
            path: path.to_string(),
            segments: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            query: Vec::new(),
            body: None,
            scope,
        }
    }

    pub(super) fn segment(mut self, segment: &str) -> Call {
        self.path = format!("{}/{segment}", self.path);
        self.segments.push(segment.to_string());
        self
    }

    pub(super) fn query(mut self, key: &'static str, value: &str) -> Call {
        self.query.push((key, value.to_string()));
        self
    }

    pub(super) fn body(mut self, body: Vec<u8>) -> Call {
        self.body = Some(body.into());
        self
    }

    pub(super) fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Why a try failed: worth another try, or final.
pub(super) enum Failure {
    Transient(Transient),
    Fatal(ApiError),
}

pub(super) struct Transient {
    cause: Cause,
    /// The shared pace after this answer cut it (requests per second).
    pace: Option<f64>,
    /// What the server said, for the final error.
    message: Option<String>,
    /// The network error, for the final error's chain.
    source: Option<reqwest::Error>,
}

/// The outcome of one failed try of an upsert, for a caller that schedules
/// the retries itself (apply's executor, so that a waiting entry holds no
/// concurrency slot).
#[derive(Debug)]
pub enum TryFailure {
    /// Worth another try after [`Retry::wait`]; the policy said so.
    Retry(Retry),
    /// Final: no retry can mend it, or the tries are used up.
    Failed(ApiError),
}

/// What a network error means for retrying.
pub(super) enum NetworkCause {
    UnknownHost,
    Certificate(String),
    Refused,
    Timeout,
    Other,
}

/// Sorts a network error by walking its chain: reqwest only says "error
/// sending request"; the resolver, the TLS library and the socket say why.
pub(super) fn network_cause(error: &reqwest::Error) -> NetworkCause {
    if error.is_timeout() {
        return NetworkCause::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return NetworkCause::Refused,
                std::io::ErrorKind::TimedOut => return NetworkCause::Timeout,
                _ => {}
            }
        }
        let text = current.to_string();
        // hyper-util's resolver error, and rustls's "invalid peer
        // certificate: UnknownIssuer" (their types are not ours to name).
        if text.starts_with("dns error") {
            return NetworkCause::UnknownHost;
        }
        if text.contains("invalid peer certificate")
            || text.contains("certificate") && text.contains("invalid")
        {
            return NetworkCause::Certificate(text);
        }
        source = current.source();
    }
    NetworkCause::Other
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{Mock, Reply, TOKEN, client_of};
    use super::*;

    /// One try of an upsert against an API that answers `reply`.
    async fn one_try(reply: Reply) -> TryFailure {
        let mock = Mock::serve(vec![reply]).await;
        let body = br#"{"emails":["jane@acme.com"]}"#;
        match mock.client().upsert_try("email", body, 1).await {
            Ok(upserted) => panic!("upserted {upserted:?}"),
            Err(failure) => failure,
        }
    }

    async fn failed(reply: Reply) -> ApiError {
        match one_try(reply).await {
            TryFailure::Failed(error) => error,
            TryFailure::Retry(retry) => panic!("retried: {retry}"),
        }
    }

    async fn retried(reply: Reply) -> Retry {
        match one_try(reply).await {
            TryFailure::Retry(retry) => retry,
            TryFailure::Failed(error) => panic!("failed: {error}"),
        }
    }

    #[tokio::test]
    async fn a_422_body_becomes_field_errors_without_the_token() {
        let body = json!({
            "message": "The given data was invalid.",
            "errors": {
                "firstName": ["is required", format!("not {TOKEN}")],
                TOKEN: "echoed",
            },
        });
        let ApiError::Validation {
            request,
            message,
            errors,
        } = failed(Reply::json(422, body)).await
        else {
            panic!("not a validation error")
        };
        assert_eq!(request, "PUT /crm/people");
        assert_eq!(message.as_deref(), Some("The given data was invalid."));
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let cut = crate::secret::CUT;
        assert_eq!(
            shown,
            [
                format!("firstName: is required, not {cut}"),
                format!("{cut}: echoed")
            ]
        );
    }

    #[tokio::test]
    async fn an_unreadable_error_body_keeps_the_statuss_error_without_a_message() {
        let error = failed(Reply::raw(422, "<html>oops</html>")).await;
        assert!(
            matches!(
                &error,
                ApiError::Validation { message: None, errors, .. } if errors.is_empty()
            ),
            "{error:?}"
        );
        let error = failed(Reply::raw(409, "")).await;
        assert!(
            matches!(error, ApiError::Conflict { message: None, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn the_other_error_shape_gives_the_message_too() {
        let error = failed(Reply::json(400, json!({"error": "bad page"}))).await;
        assert!(
            matches!(&error, ApiError::BadRequest { message: Some(m), .. } if m == "bad page"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_429_waits_as_its_retry_after_says_in_either_form() {
        let in_30_s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(30));
        for (value, least, most) in [
            ("7", 7.0, 7.1),
            (in_30_s.as_str(), 28.9, 30.1),
            (past.as_str(), 0.0, 0.01),
        ] {
            let retry = retried(Reply::raw(429, "").header("retry-after", value)).await;
            let Cause::RateLimited {
                retry_after: Some(after),
            } = retry.cause
            else {
                panic!("{value}: {:?}", retry.cause)
            };
            let (after, wait) = (after.as_secs_f64(), retry.wait.as_secs_f64());
            assert!((least..=most).contains(&after), "{value}: {after}");
            assert!((least..=most).contains(&wait), "{value}: {wait}");
            assert_eq!((retry.next_try, retry.max_tries), (2, 6));
        }
    }

    #[tokio::test]
    async fn a_429_without_a_readable_retry_after_backs_off() {
        for reply in [
            Reply::raw(429, ""),
            Reply::raw(429, "").header("retry-after", "soon"),
        ] {
            let retry = retried(reply).await;
            assert_eq!(retry.cause, Cause::RateLimited { retry_after: None });
            let wait = retry.wait.as_secs_f64();
            assert!((1.0..=1.1).contains(&wait), "{wait}");
        }
    }

    #[tokio::test]
    async fn an_upsert_try_reads_created_from_the_status_and_needs_a_person_with_an_id() {
        // Fields of the person apply never reads may be anything.
        let person = json!({"id": "p-1", "emails": 7, "customAttributes": "?"});
        let envelope = |status| json!({"success": true, "status": status, "person": person});
        let mock = Mock::serve(vec![
            Reply::json(201, envelope(201)),
            Reply::json(200, envelope(200)),
            Reply::json(200, json!({"success": true, "status": 200, "person": {}})),
            Reply::json(200, json!({"success": true, "status": 200})),
        ])
        .await;
        let client = mock.client();
        let body = br#"{"emails":["jane@acme.com"]}"#;
        assert!(matches!(
            client.upsert_try("email", body, 1).await,
            Ok(true)
        ));
        assert!(matches!(
            client.upsert_try("email", body, 1).await,
            Ok(false)
        ));
        for _ in 0..2 {
            let answer = client.upsert_try("email", body, 1).await;
            assert!(
                matches!(
                    &answer,
                    Err(TryFailure::Failed(ApiError::InvalidResponse { request, .. }))
                        if request == "PUT /crm/people"
                ),
                "{answer:?}"
            );
        }
        assert_eq!(
            mock.received()[0].body,
            json!({"emails": ["jane@acme.com"]})
        );
    }

    #[tokio::test]
    async fn a_5xx_is_retried_until_the_last_try_which_names_the_tries() {
        let retry = retried(Reply::json(503, json!({"message": "down"}))).await;
        assert_eq!(retry.cause, Cause::Server { status: 503 });
        let mock = Mock::serve(vec![Reply::json(503, json!({"message": "down"}))]).await;
        let last = mock.client().upsert_try("email", b"{}", 6).await;
        let Err(TryFailure::Failed(ApiError::Server {
            status,
            tries,
            message,
            ..
        })) = last
        else {
            panic!("{last:?}")
        };
        assert_eq!((status, tries, message.as_deref()), (503, 6, Some("down")));
    }

    #[tokio::test]
    async fn a_refused_connection_gets_three_tries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v2", listener.local_addr().unwrap());
        drop(listener);
        let failure = client_of(&url).upsert_try("email", b"{}", 1).await;
        let Err(TryFailure::Retry(retry)) = failure else {
            panic!("{failure:?}")
        };
        assert_eq!((retry.cause, retry.max_tries), (Cause::Refused, 3));
    }

    #[tokio::test]
    async fn a_404_names_the_url_tried_without_its_query() {
        let mock = Mock::serve(vec![Reply::json(404, json!({"message": "gone"}))]).await;
        let error = mock
            .client()
            .search_companies("jane@acme.com")
            .await
            .unwrap_err();
        let ApiError::NotFound { request, url, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(request, "GET /crm/companies");
        assert_eq!(url, format!("{}/crm/companies", mock.url));
        let sent = &mock.received()[0].line;
        assert!(sent.contains("search=jane%40acme.com"), "{sent}");
    }

    #[test]
    fn segments_are_escaped_and_the_query_is_only_sent() {
        let client = client_of("http://127.0.0.1:9/v2/");
        let call = Call::new(Method::GET, PEOPLE_PATH, Scope::Read)
            .segment("a/b c")
            .query(SEARCH_PARAM, "jane@acme.com");
        assert_eq!(
            client.url(&call, true).as_str(),
            "http://127.0.0.1:9/v2/crm/people/a%2Fb%20c?search=jane%40acme.com"
        );
        assert_eq!(
            client.shown_url(&call),
            "http://127.0.0.1:9/v2/crm/people/a%2Fb%20c"
        );
        assert_eq!(call.describe(), "GET /crm/people/a/b c");
    }

    #[test]
    fn a_token_in_the_base_url_is_cut_from_the_urls_shown() {
        let client = client_of(&format!("http://127.0.0.1:9/v2/{TOKEN}"));
        let call = Call::new(Method::GET, PEOPLE_PATH, Scope::Read);
        let shown = client.shown_url(&call);
        assert_eq!(
            shown,
            format!("http://127.0.0.1:9/v2/{}/crm/people", crate::secret::CUT)
        );
    }

    #[test]
    fn server_text_is_cut_at_its_limit_in_characters() {
        let client = client_of("http://127.0.0.1:9/v2");
        let limit = assumed::MAX_SERVER_TEXT_CHARS;
        let long = "é".repeat(limit + 1);
        assert_eq!(
            client.server_text(&long),
            format!("{}… (cut at {limit} characters)", "é".repeat(limit))
        );
        let exact = "é".repeat(limit);
        assert_eq!(client.server_text(&exact), exact);
    }
}
