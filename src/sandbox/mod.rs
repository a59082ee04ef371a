//! The sandbox: a local emulator of the Zeeg CRM people API (`zeeg-api.md`),
//! served over HTTP by `zeeg sandbox serve` and started in-process by
//! `zeeg plan/apply/import --sandbox`.
//!
//! - [`start`] runs a sandbox from a [`SandboxConfig`] on an address;
//! - [`start_for_project`] runs the sandbox of a project directory, its state
//!   in `<root>/.zeeg/sandbox.db`, seeded from `<root>/sandbox-seed.yaml`.
//!
//! Inside: `http` (routes, auth, simulated conditions), `body` (reading a
//! person, the 422 rules), `companies` (reading a company, the companies in
//! memory), `store` (the people in memory, with indexes, beside the
//! companies), `durable` (the SQLite copy), `seed` (seed files), `attributes`
//! (the people object's schema), `limit` and `faults` (the rate limit and the
//! trouble the API page allows, on demand).

mod attributes;
mod body;
mod companies;
mod durable;
mod error;
pub(crate) mod faults;
mod http;
mod latency;
pub(crate) mod limit;
mod listing;
mod objects;
mod record;
mod seed;
mod serve;
mod slot_index;
mod store;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use attributes::{AttributeType, CustomAttribute};
pub use error::SandboxError;
pub use faults::{FailMix, Faults, RetryAfter};
pub use limit::RateLimit;

use crate::api::model::Company;
use crate::api::object::ObjectSlug;
use attributes::Objects;
use durable::{Durable, Loaded, Seeded};
use seed::Seed;
use store::Store;

/// The token a sandbox accepts (read and write) when no token is configured,
/// and the token of [`start_for_project`]. Not a secret: the sandbox holds no
/// real data.
pub const DEFAULT_TOKEN: &str = "zeeg-sandbox-token";

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = crate::api::assumed::MAX_REQUEST_BYTES;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    /// `crm:read`: the GET endpoints.
    pub read: bool,
    /// `crm:write`: `PUT /crm/people` and `PUT /crm/companies`.
    pub write: bool,
}

/// A token the sandbox accepts and its scopes. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct GrantedToken {
    secret: String,
    pub scopes: Scopes,
}

impl GrantedToken {
    /// A token with both scopes.
    pub fn read_write(secret: impl Into<String>) -> GrantedToken {
        GrantedToken {
            secret: secret.into(),
            scopes: Scopes {
                read: true,
                write: true,
            },
        }
    }

    /// Parses the `--token` form: `TOKEN` (read and write), `TOKEN:crm:read`
    /// (read only), `TOKEN:crm:write` (write only), or `TOKEN:crm:read,crm:write`.
    pub fn parse(spec: &str) -> Result<GrantedToken, SandboxError> {
        let (secret, scopes) = match spec.split_once(':') {
            None => (spec, None),
            Some((secret, scopes)) => (secret, Some(scopes)),
        };
        let bad = |reason: &str| SandboxError::BadToken {
            spec: match scopes {
                Some(scopes) => format!("…:{scopes}"),
                None => "…".to_string(),
            },
            reason: reason.to_string(),
        };
        if secret.is_empty() || secret.chars().any(char::is_whitespace) {
            return Err(bad("the token must be non-empty and without spaces"));
        }
        let Some(scopes) = scopes else {
            return Ok(GrantedToken::read_write(secret));
        };
        let mut granted = Scopes {
            read: false,
            write: false,
        };
        for scope in scopes.split(',') {
            match scope.trim() {
                "crm:read" => granted.read = true,
                "crm:write" => granted.write = true,
                _ => {
                    return Err(bad(
                        "the scopes after the token must be `crm:read` and/or `crm:write`",
                    ));
                }
            }
        }
        Ok(GrantedToken {
            secret: secret.to_string(),
            scopes: granted,
        })
    }
}

impl fmt::Debug for GrantedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantedToken")
            .field("secret", &"<hidden>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// How to run a sandbox. `Default` is an in-memory sandbox accepting
/// [`DEFAULT_TOKEN`], with no custom attributes and no simulated trouble.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    /// The tokens accepted; empty means [`DEFAULT_TOKEN`] with both scopes.
    pub tokens: Vec<GrantedToken>,
    /// Custom attributes of the people object, besides those of the seed and state.
    pub custom_attributes: Vec<CustomAttribute>,
    /// A seed file (YAML or JSON), applied when the state is new or empty.
    pub seed: Option<PathBuf>,
    /// A SQLite file holding durable state; `None` keeps state in memory.
    pub state: Option<PathBuf>,
    /// Requests per second before 429 (a token bucket, empty at the start).
    pub rate_limit: Option<RateLimit>,
    /// A delay before every answer.
    pub latency: Duration,
    /// Which requests fail (500, 429, a dropped connection) whatever the rate.
    pub faults: Faults,
    /// What the 429s say in `Retry-After`.
    pub retry_after: RetryAfter,
}

/// A sandbox serving on a socket. Dropping it stops the server without waiting;
/// [`shutdown`](Self::shutdown) stops it and waits until it has stopped.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// The address it listens on (with the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, `http://HOST:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// Stops accepting requests, lets those in flight finish, and waits.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result.map_err(|source| SandboxError::Serve { source }),
                Err(join) => Err(SandboxError::Serve {
                    source: std::io::Error::other(join.to_string()),
                }),
            },
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a sandbox on `addr` (port 0 picks a free port): reads the seed and
/// state, binds, and serves in the background on the current tokio runtime.
pub async fn start(
    config: SandboxConfig,
    addr: SocketAddr,
) -> Result<RunningSandbox, SandboxError> {
    let app = build(config)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let router = http::router(Arc::new(app));
    let task = tokio::spawn(serve::serve(
        listener,
        router,
        serve::HEADER_READ_TIMEOUT,
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(RunningSandbox {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Starts the sandbox of a project on a free loopback port: state in
/// `<root>/.zeeg/sandbox.db` (created on first use, with a `.gitignore`),
/// seeded from `<root>/sandbox-seed.yaml` if that exists and the state is
/// empty. Returns the sandbox and the token it accepts ([`DEFAULT_TOKEN`]).
pub async fn start_for_project(
    project_root: &Path,
) -> Result<(RunningSandbox, String), SandboxError> {
    let dir = project_root.join(".zeeg");
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).map_err(|source| SandboxError::ProjectDir {
            path: dir.clone(),
            source,
        })?;
        // The sandbox state is scratch data, never something to commit.
        let _ = std::fs::write(dir.join(".gitignore"), "*\n");
    }
    let seed = project_root.join("sandbox-seed.yaml");
    let config = SandboxConfig {
        tokens: vec![GrantedToken::read_write(DEFAULT_TOKEN)],
        seed: seed.is_file().then_some(seed),
        state: Some(dir.join("sandbox.db")),
        ..SandboxConfig::default()
    };
    let running = start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    Ok((running, DEFAULT_TOKEN.to_string()))
}

/// Checks the configuration, reads seed and state, and builds the app.
fn build(config: SandboxConfig) -> Result<http::App, SandboxError> {
    if !(0.0..=1.0).contains(&config.faults.rate) {
        return Err(SandboxError::BadFailRate {
            value: config.faults.rate,
        });
    }
    let seed = config.seed.as_deref().map(Seed::read).transpose()?;
    let (durable, loaded) = match &config.state {
        Some(path) => {
            let (durable, loaded) = Durable::open(path)?;
            (Some(durable), Some(loaded))
        }
        None => (None, None),
    };
    let attributes = declared_attributes(loaded.as_ref(), seed.as_ref(), &config)?;
    let mut store = Store::default();
    let mut seeded = Seeded::default();
    if let (Some(durable), Some(loaded)) = (&durable, loaded) {
        store = Store::with_capacity(durable.people_hint()?);
        restore(&mut store, durable, loaded, &mut seeded)?;
    }
    if store.is_empty()
        && let Some(seed) = &seed
    {
        let (companies, people) = seed.contents(&attributes, jiff::Timestamp::now())?;
        for (company, created) in companies {
            seeded.companies.push(company.clone());
            store.companies.insert(company, created);
        }
        for (person, created) in people {
            seeded.people.push(person.clone());
            store.insert(person, created);
        }
    }
    if let Some(durable) = &durable {
        let declared: Vec<(ObjectSlug, CustomAttribute)> = ObjectSlug::ALL
            .into_iter()
            .flat_map(|object| {
                attributes
                    .of(object)
                    .iter()
                    .map(move |a| (object, a.clone()))
            })
            .collect();
        durable.save_all(&seeded, &declared)?;
    }
    Ok(app(config, store, durable, attributes))
}

/// The custom attributes of the stored state, then the seed's, then the
/// command line's. A stored attribute may have been changed through the API
/// since the seed declared it: the stored one stands, as long as the type
/// agrees.
fn declared_attributes(
    loaded: Option<&Loaded>,
    seed: Option<&Seed>,
    config: &SandboxConfig,
) -> Result<Objects, SandboxError> {
    let mut objects = Objects::default();
    let stored = loaded.map(|l| l.attributes.as_slice()).unwrap_or(&[]);
    for (object, attribute) in stored {
        objects.of_mut(*object).declare(attribute.clone())?;
    }
    let seeded = seed.map(|s| s.attributes.as_slice()).unwrap_or(&[]);
    let flags = config
        .custom_attributes
        .iter()
        .map(|a| (ObjectSlug::People, a.clone()));
    for (object, attribute) in seeded.iter().cloned().chain(flags) {
        let was_stored = stored
            .iter()
            .any(|(o, a)| *o == object && a.slug == attribute.slug && a.kind == attribute.kind);
        if !was_stored {
            objects.of_mut(object).declare(attribute)?;
        }
    }
    Ok(objects)
}

/// Puts the stored companies and people of the state file `durable` back
/// into `store`; the companies it has to declare go into `seeded`.
fn restore(
    store: &mut Store,
    durable: &Durable,
    loaded: Loaded,
    seeded: &mut Seeded,
) -> Result<(), SandboxError> {
    let created_of = |what: &str, id: &str, created_at: &str| {
        created_at
            .parse::<jiff::Timestamp>()
            .map(|created| created.as_second())
            .map_err(|e| SandboxError::StateCorrupt {
                path: durable.path().to_path_buf(),
                reason: format!("{what} {id}: createdAt: {e}"),
            })
    };
    // Companies first: each person then shows its company as stored.
    for company in loaded.companies {
        let created = created_of("company", &company.id, &company.created_at)?;
        store.companies.insert(company, created);
    }
    durable.read_people(|person| {
        let created = created_of("person", &person.id, &person.created_at)?;
        if let Some(link) = &person.company
            && store.companies.get(&link.id).is_none()
        {
            // A state written before the sandbox kept companies links people
            // to companies it does not hold. Each is declared from the first
            // linked person's view of it, as a seed person's `company`
            // declares one, so that those people can be upserted with their
            // `companyId` again.
            let company = Company {
                custom_attributes: Default::default(),
                id: link.id.clone(),
                name: link.name.clone(),
                domain: link.domain.clone(),
                created_at: person.created_at.clone(),
                updated_at: person.created_at.clone(),
            };
            seeded.companies.push(company.clone());
            store.companies.insert(company, created);
        }
        store.insert(person, created);
        Ok(())
    })
}

/// The app over `store`, with the tokens, limits and conditions of `config`.
fn app(
    config: SandboxConfig,
    store: Store,
    durable: Option<Durable>,
    attributes: Objects,
) -> http::App {
    let tokens = if config.tokens.is_empty() {
        vec![GrantedToken::read_write(DEFAULT_TOKEN)]
    } else {
        config.tokens
    };
    let bucket = config
        .rate_limit
        .map(|limit| Mutex::new(limit::TokenBucket::new(limit, Instant::now())));
    http::App {
        store: RwLock::new(store),
        durable,
        attributes: RwLock::new(attributes),
        tokens: tokens.into_iter().map(|t| (t.secret, t.scopes)).collect(),
        bucket,
        latency: latency::Latency::new(config.latency),
        faults: config.faults,
        retry_after: config.retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn list(base: &str, token: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{base}/crm/people"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_project_sandbox_seeds_once_and_keeps_its_state() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("sandbox-seed.yaml"),
            "customAttributes: {tier: select=gold|silver}\npeople:\n  - firstName: Ada\n    emails: [ada@x.io]\n",
        )
        .unwrap();
        let (sandbox, token) = start_for_project(root.path()).await.unwrap();
        assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
        assert!(sandbox.base_url().ends_with("/v2"));
        let answer = reqwest::Client::new()
            .put(format!(
                "{}/crm/people?matchingAttribute=email",
                sandbox.base_url()
            ))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"emails": ["ADA@x.io"], "customAttributes": {"tier": "gold"}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        sandbox.shutdown().await.unwrap();
        assert!(root.path().join(".zeeg/sandbox.db").is_file());
        assert!(root.path().join(".zeeg/.gitignore").is_file());

        let (sandbox, token) = start_for_project(root.path()).await.unwrap();
        let page = list(&sandbox.base_url(), &token).await;
        assert_eq!(
            page["pagination"]["total"], 1,
            "the seed is not applied twice"
        );
        assert_eq!(page["collection"][0]["customAttributes"]["tier"], "gold");
        let page = list(&sandbox.base_url(), "wrong").await;
        assert_eq!(page["status"], 401);
    }

    #[test]
    fn tokens_parse_with_their_scopes_and_hide_their_secret() {
        let read = GrantedToken::parse("abc:crm:read").unwrap();
        assert_eq!(
            read.scopes,
            Scopes {
                read: true,
                write: false
            }
        );
        assert!(GrantedToken::parse("abc").unwrap().scopes.write);
        assert!(GrantedToken::parse("abc:admin").is_err());
        assert!(!format!("{read:?}").contains("abc"));
        let error = GrantedToken::parse("secret:admin").unwrap_err().to_string();
        assert!(!error.contains("secret"), "{error}");
    }
}
