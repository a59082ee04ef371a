//! The durable copy of the sandbox's state: a SQLite file in WAL mode, one row
//! per person (its JSON), written in one transaction per answered write.
//!
//! The working set lives in memory ([`super::store`]); this file is read once
//! at start and then only written.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::SandboxError;
use super::attributes::CustomAttribute;
use crate::api::model::Person;

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

/// What the state file held at start.
pub(crate) struct Loaded {
    pub people: Vec<Person>,
    pub attributes: Vec<CustomAttribute>,
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
";

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
        let mut people = Vec::new();
        {
            let mut statement = conn
                .prepare("SELECT id, person FROM people")
                .map_err(state_err)?;
            let mut rows = statement.query([]).map_err(state_err)?;
            while let Some(row) = rows.next().map_err(state_err)? {
                let id: String = row.get(0).map_err(state_err)?;
                let json: String = row.get(1).map_err(state_err)?;
                let person: Person = serde_json::from_str(&json)
                    .map_err(|e| corrupt(format!("person {id}: {e}")))?;
                people.push(person);
            }
        }
        let mut attributes = Vec::new();
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
                attributes.push(attribute);
            }
        }
        let durable = Durable {
            path: path.to_path_buf(),
            _owner: owner,
            conn: Mutex::new(conn),
        };
        Ok((durable, Loaded { people, attributes }))
    }

    /// The lock file beside a state file.
    pub(crate) fn lock_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        path.with_file_name(name)
    }

    /// Writes one person; returns once the transaction is committed.
    pub(crate) fn save(&self, person: &Person) -> Result<(), rusqlite::Error> {
        let json = serde_json::to_string(person)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        conn.prepare_cached(
            "INSERT INTO people (id, person) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET person = excluded.person",
        )?
        .execute(params![person.id, json])?;
        Ok(())
    }

    /// Writes the seed's people and every attribute declaration in one transaction.
    pub(crate) fn save_all(
        &self,
        people: &[Person],
        attributes: &[CustomAttribute],
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
        for attribute in attributes {
            let known: Option<String> = tx
                .query_row(
                    "SELECT type FROM custom_attributes WHERE slug = ?1",
                    params![attribute.slug],
                    |row| row.get(0),
                )
                .optional()
                .map_err(state_err)?;
            if known.is_none() {
                tx.execute(
                    "INSERT INTO custom_attributes (slug, type) VALUES (?1, ?2)",
                    params![attribute.slug, attribute.type_spec()],
                )
                .map_err(state_err)?;
            }
        }
        for person in people {
            let json = serde_json::to_string(person)
                .map_err(|e| state_err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
            tx.execute(
                "INSERT INTO people (id, person) VALUES (?1, ?2)",
                params![person.id, json],
            )
            .map_err(state_err)?;
        }
        tx.commit().map_err(state_err)
    }
}
