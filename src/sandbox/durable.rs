//! The durable copy of the sandbox's state: a SQLite file in WAL mode, one row
//! per person and per company (its JSON), written in one transaction per
//! answered write.
//!
//! The working set lives in memory ([`super::store`]); this file is read once
//! at start and then only written.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::SandboxError;
use super::attributes::CustomAttribute;
use crate::api::model::{Company, Person};
use crate::api::object::ObjectSlug;

/// The open state file.
pub(crate) struct Durable {
    path: PathBuf,
    /// The exclusive lock on `<state>.lock`, held as long as the sandbox
    /// runs: two processes writing one state would each keep their own copy
    /// in memory and store people twice (two holders of one email). The OS
    /// drops the lock when the process ends, however it ends.
    _owner: std::fs::File,
    // `Connection` is not `Sync`; writes are serialised by the store's lock anyway.
    conn: Mutex<Connection>,
}

/// What the state file held at start, but for the people: they are read
/// one at a time into the store ([`Durable::read_people`]).
pub(crate) struct Loaded {
    pub companies: Vec<Company>,
    /// The custom attributes, each with its object, in creation order.
    pub attributes: Vec<(ObjectSlug, CustomAttribute)>,
}

/// What a seed added to a new state, or the start to an old one.
#[derive(Default)]
pub(crate) struct Seeded {
    pub people: Vec<Person>,
    pub companies: Vec<Company>,
}

/// Takes the state's lock, or says who has it. A separate file rather than
/// the database itself, so the lock never meets SQLite's own locking.
fn lock(path: &Path) -> Result<std::fs::File, SandboxError> {
    let lock_path = Durable::lock_path(path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| SandboxError::StateLock {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SandboxError::StateInUse {
            path: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(SandboxError::StateLock {
            path: lock_path,
            source,
        }),
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, person TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS custom_attributes (slug TEXT PRIMARY KEY, type TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS companies (id TEXT PRIMARY KEY, company TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS object_attributes (object TEXT NOT NULL, key TEXT NOT NULL,
    attribute TEXT NOT NULL, PRIMARY KEY (object, key)) STRICT;
";

/// Writes an attribute (its API JSON), created or changed.
const SAVE_ATTRIBUTE: &str = "INSERT INTO object_attributes (object, key, attribute)
    VALUES (?1, ?2, ?3) ON CONFLICT (object, key) DO UPDATE SET attribute = excluded.attribute";

impl Durable {
    /// Opens (creating if needed) the state file and reads everything in it.
    pub(crate) fn open(path: &Path) -> Result<(Durable, Loaded), SandboxError> {
        let state_err = |source| SandboxError::State {
            path: path.to_path_buf(),
            source,
        };
        let owner = lock(path)?;
        let conn = Connection::open(path).map_err(state_err)?;
        // WAL with synchronous=NORMAL: a committed transaction is in the WAL file
        // before the answer goes out, so it survives a killed process (`kill -9`);
        // only a power loss could lose the last few. FULL would fsync every write
        // and cap throughput far below what a CI run needs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(state_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(state_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(state_err)?;
        conn.execute_batch(SCHEMA).map_err(state_err)?;

        let corrupt = |reason: String| SandboxError::StateCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        let mut companies: Vec<Company> = Vec::new();
        for_each_row(
            &conn,
            "SELECT id, company FROM companies",
            "company",
            |company| {
                companies.push(company);
                Ok(())
            },
        )
        .map_err(|e| e.into_error(path))?;
        let mut attributes: Vec<(ObjectSlug, CustomAttribute)> = Vec::new();
        // The first states kept people's attributes as `slug, TYPE=A|B`; they
        // are read first, and a row of `object_attributes` replaces one.
        {
            let mut statement = conn
                .prepare("SELECT slug, type FROM custom_attributes ORDER BY rowid")
                .map_err(state_err)?;
            let mut rows = statement.query([]).map_err(state_err)?;
            while let Some(row) = rows.next().map_err(state_err)? {
                let slug: String = row.get(0).map_err(state_err)?;
                let kind: String = row.get(1).map_err(state_err)?;
                // `TYPE` or `TYPE=A|B`: options need no column of their own.
                let attribute = CustomAttribute::with_type(&slug, &kind)
                    .map_err(|e| corrupt(format!("custom attribute {slug}: {e}")))?;
                attributes.push((ObjectSlug::People, attribute));
            }
        }
        read_attributes(&conn, &mut attributes).map_err(|e| e.into_error(path))?;
        let durable = Durable {
            path: path.to_path_buf(),
            _owner: owner,
            conn: Mutex::new(conn),
        };
        Ok((
            durable,
            Loaded {
                companies,
                attributes,
            },
        ))
    }

    /// Hands every stored person to `each`, in the order they were first
    /// written, parsing one row at a time: the state's people are never all
    /// in memory as rows or as `Person`s, only as the store keeps them.
    pub(crate) fn read_people(
        &self,
        each: impl FnMut(Person) -> Result<(), SandboxError>,
    ) -> Result<(), SandboxError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        for_each_row(&conn, "SELECT id, person FROM people", "person", each)
            .map_err(|e| e.into_error(&self.path))
    }

    /// At least as many people as the state holds (rowids are never
    /// reused here: people are not deleted), without counting them.
    pub(crate) fn people_hint(&self) -> Result<usize, SandboxError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        conn.query_row("SELECT max(rowid) FROM people", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .map(|max| usize::try_from(max.unwrap_or(0)).unwrap_or(0))
        .map_err(|source| SandboxError::State {
            path: self.path.clone(),
            source,
        })
    }

    /// The state file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file beside a state file.
    pub(crate) fn lock_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        path.with_file_name(name)
    }

    /// Writes one person; returns once the transaction is committed.
    pub(crate) fn save(&self, person: &Person) -> Result<(), rusqlite::Error> {
        self.save_row(
            "INSERT INTO people (id, person) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET person = excluded.person",
            &person.id,
            person,
        )
    }

    /// Writes one company; returns once the transaction is committed. The
    /// people linked to it are not rewritten: they show their company as
    /// stored when the state is read again.
    pub(crate) fn save_company(&self, company: &Company) -> Result<(), rusqlite::Error> {
        self.save_row(
            "INSERT INTO companies (id, company) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET company = excluded.company",
            &company.id,
            company,
        )
    }

    fn save_row(
        &self,
        sql: &str,
        id: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), rusqlite::Error> {
        let json = serde_json::to_string(value)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        conn.prepare_cached(sql)?.execute(params![id, json])?;
        Ok(())
    }

    /// Writes an attribute created or changed and, in the same transaction,
    /// the people and companies whose values the change rewrote.
    pub(crate) fn save_attribute(
        &self,
        object: ObjectSlug,
        attribute: &CustomAttribute,
        people: &[Person],
        companies: &[Company],
    ) -> Result<(), rusqlite::Error> {
        let to_sql = |e| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let tx = conn.transaction()?;
        let json = serde_json::to_string(&attribute.to_api()).map_err(to_sql)?;
        tx.execute(
            SAVE_ATTRIBUTE,
            params![object.as_str(), attribute.slug, json],
        )?;
        for person in people {
            let json = serde_json::to_string(person).map_err(to_sql)?;
            tx.execute(
                "UPDATE people SET person = ?2 WHERE id = ?1",
                params![person.id, json],
            )?;
        }
        for company in companies {
            let json = serde_json::to_string(company).map_err(to_sql)?;
            tx.execute(
                "UPDATE companies SET company = ?2 WHERE id = ?1",
                params![company.id, json],
            )?;
        }
        tx.commit()
    }

    /// Writes what the start added (the seed's companies and people, or the
    /// companies declared for an older state) and every attribute declaration
    /// in one transaction.
    pub(crate) fn save_all(
        &self,
        seeded: &Seeded,
        attributes: &[(ObjectSlug, CustomAttribute)],
    ) -> Result<(), SandboxError> {
        let state_err = |source| SandboxError::State {
            path: self.path.clone(),
            source,
        };
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let tx = conn.transaction().map_err(state_err)?;
        for (object, attribute) in attributes {
            let known: Option<String> = tx
                .query_row(
                    "SELECT key FROM object_attributes WHERE object = ?1 AND key = ?2",
                    params![object.as_str(), attribute.slug],
                    |row| row.get(0),
                )
                .optional()
                .map_err(state_err)?;
            if known.is_none() {
                let json = serde_json::to_string(&attribute.to_api())
                    .map_err(|e| state_err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
                tx.execute(
                    SAVE_ATTRIBUTE,
                    params![object.as_str(), attribute.slug, json],
                )
                .map_err(state_err)?;
            }
        }
        let rows = seeded
            .companies
            .iter()
            .map(|c| {
                (
                    "INSERT INTO companies (id, company) VALUES (?1, ?2)",
                    &c.id,
                    serde_json::to_string(c),
                )
            })
            .chain(seeded.people.iter().map(|p| {
                (
                    "INSERT INTO people (id, person) VALUES (?1, ?2)",
                    &p.id,
                    serde_json::to_string(p),
                )
            }));
        for (sql, id, json) in rows {
            let json =
                json.map_err(|e| state_err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
            tx.execute(sql, params![id, json]).map_err(state_err)?;
        }
        tx.commit().map_err(state_err)
    }
}

/// Why rows could not be read: the database, a row that is not JSON of
/// the expected shape, or what the reader of a row found wrong with it.
enum RowError {
    Sql(rusqlite::Error),
    Corrupt(String),
    Refused(SandboxError),
}

impl RowError {
    fn into_error(self, path: &Path) -> SandboxError {
        match self {
            RowError::Sql(source) => SandboxError::State {
                path: path.to_path_buf(),
                source,
            },
            RowError::Corrupt(reason) => SandboxError::StateCorrupt {
                path: path.to_path_buf(),
                reason,
            },
            RowError::Refused(error) => error,
        }
    }
}

/// Hands every row of `sql` (selecting id, then JSON), read as `T`, to
/// `each`; `what` names the kind of record in an error.
fn for_each_row<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    what: &str,
    mut each: impl FnMut(T) -> Result<(), SandboxError>,
) -> Result<(), RowError> {
    let mut statement = conn.prepare(sql).map_err(RowError::Sql)?;
    let mut rows = statement.query([]).map_err(RowError::Sql)?;
    while let Some(row) = rows.next().map_err(RowError::Sql)? {
        let id = row.get_ref(0).map_err(RowError::Sql)?;
        let json = row.get_ref(1).map_err(RowError::Sql)?;
        // Read in place: no copy of the row's text.
        let json = json.as_str().map_err(|e| RowError::Sql(e.into()))?;
        let item = serde_json::from_str(json).map_err(|e| {
            let id = id.as_str().unwrap_or("?");
            RowError::Corrupt(format!("{what} {id}: {e}"))
        })?;
        each(item).map_err(RowError::Refused)?;
    }
    Ok(())
}

/// Reads `object_attributes` into `attributes`, a row replacing an attribute
/// of the same object and key read before.
fn read_attributes(
    conn: &Connection,
    attributes: &mut Vec<(ObjectSlug, CustomAttribute)>,
) -> Result<(), RowError> {
    let mut statement = conn
        .prepare("SELECT object, key, attribute FROM object_attributes ORDER BY rowid")
        .map_err(RowError::Sql)?;
    let mut rows = statement.query([]).map_err(RowError::Sql)?;
    while let Some(row) = rows.next().map_err(RowError::Sql)? {
        let object: String = row.get(0).map_err(RowError::Sql)?;
        let key: String = row.get(1).map_err(RowError::Sql)?;
        let json: String = row.get(2).map_err(RowError::Sql)?;
        let corrupt =
            |reason: String| RowError::Corrupt(format!("attribute {object}.{key}: {reason}"));
        let slug = ObjectSlug::parse(&object).ok_or_else(|| corrupt("unknown object".into()))?;
        let attribute: crate::api::model::Attribute =
            serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?;
        let attribute = CustomAttribute::from_api(&attribute).map_err(corrupt)?;
        match attributes
            .iter_mut()
            .find(|(o, a)| *o == slug && a.slug == attribute.slug)
        {
            Some(known) => known.1 = attribute,
            None => attributes.push((slug, attribute)),
        }
    }
    Ok(())
}
